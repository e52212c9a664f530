package webhook_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The receiver applies changes through internal/mirror and never depends on the job runner
// (internal/sync); only its tests run pulls beside it.
func TestWebhookDoesNotDependOnTheJobRunner(t *testing.T) {
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
			t.Errorf("internal/webhook depends on %s", dep)
		}
	}
}
