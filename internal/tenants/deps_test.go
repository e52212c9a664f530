package tenants

import (
	"os/exec"
	"strings"
	"testing"
)

// The configuration depends on no client package: what it needs of the upstream contracts (base
// URLs, default rates, event types, renewal statuses) lives in internal/contract, so a client can
// change without touching config and config can never reach into a client's HTTP code.
func TestNoClientImports(t *testing.T) {
	const clients = "github.com/syncd-dev/syncd/internal/clients"
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps listed nothing")
	}
	for _, dep := range deps {
		if dep == clients || strings.HasPrefix(dep, clients+"/") {
			t.Errorf("internal/tenants depends on %s", dep)
		}
	}
}
