package mirror_test

import (
	"os/exec"
	"strings"
	"testing"
)

// Mapping records and applying changes stay below the job runner: internal/mirror never depends
// on internal/sync, whose pulls call it.
func TestMirrorDoesNotDependOnTheJobRunner(t *testing.T) {
	const runner = "github.com/syncd-dev/syncd/internal/sync"
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps listed nothing")
	}
	for _, dep := range deps {
		if dep == runner || strings.HasPrefix(dep, runner+"/") {
			t.Errorf("internal/mirror depends on %s", dep)
		}
	}
}
