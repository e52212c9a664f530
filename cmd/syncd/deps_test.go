package main

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The rule (after Tailscale's tstest/deptest): the syncd binary links no test or benchmark
// support. Its dependency graph, as `go list -deps` reports it for the platforms it is built for,
// contains no package of this module under internal/testing/ (the fakes, the fake HTTP toolkit,
// the mirror comparison helpers, the per-test database, the fault suite) or internal/bench, and
// none of the libraries meant for tests only. A production package that imports one of them
// fails here, naming the package.
const module = "github.com/syncd-dev/syncd"

// badDeps maps a forbidden import path, or a path prefix ending in "/", to why it is forbidden.
var badDeps = map[string]string{
	module + "/internal/testing/": "test support (fakes, dbtest, mirrortest, faultsuite)",
	module + "/internal/bench":    "the benchmark harness",
	module + "/internal/bench/":   "the benchmark harness",
	"testing":                     "the standard library's test framework",
	"testing/":                    "the standard library's test helpers (synctest, fstest, iotest, quick, slogtest)",
	"net/http/httptest":           "HTTP test servers and recorders",
	"go.uber.org/zap/zaptest":     "zap's test loggers",
	"go.uber.org/zap/zaptest/":    "zap's test loggers (observer)",
	"k8s.io/":                     "the Kubernetes API types (deploy/ tests decode the manifests with them)",
	"sigs.k8s.io/yaml":            "the Kubernetes YAML decoder (deploy/ tests)",
}

// forbidden returns why path may not be linked into syncd, or "" if it may.
func forbidden(path string) string {
	for p, why := range badDeps {
		if path == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(path, p)) {
			return why
		}
	}
	return ""
}

// goListDeps lists the packages that pkg links for goos, built as `make build` builds it
// (CGO_ENABLED=0).
func goListDeps(t *testing.T, goos, pkg string) []string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list syncd's dependencies: %v", err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(goTool, "list", "-deps", pkg)
	cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("GOOS=%s go list -deps %s: %v\n%s", goos, pkg, err, stderr.String())
	}
	return strings.Fields(stdout.String())
}

func TestSyncdLinksNoTestSupport(t *testing.T) {
	for _, goos := range []string{"linux", "darwin"} {
		t.Run(goos, func(t *testing.T) {
			deps := goListDeps(t, goos, module+"/cmd/syncd")
			// The listing sees what it is meant to see.
			for _, want := range []string{module + "/internal/cli", module + "/internal/daemon", "go.uber.org/zap"} {
				if !slices.Contains(deps, want) {
					t.Fatalf("syncd's dependencies do not include %s: the listing is broken", want)
				}
			}
			for _, dep := range deps {
				if why := forbidden(dep); why != "" {
					t.Errorf("syncd links %s (%s): production code must not import test or benchmark support", dep, why)
				}
			}
		})
	}
}

// TestDepRuleCatchesTheDemo checks the rule against a binary that does link test support: the
// demo runs on the fakes, so the same check must find them in its graph.
func TestDepRuleCatchesTheDemo(t *testing.T) {
	deps := goListDeps(t, "linux", module+"/cmd/demo")
	var caught []string
	for _, dep := range deps {
		if forbidden(dep) != "" {
			caught = append(caught, dep)
		}
	}
	for _, want := range []string{module + "/internal/testing/rentenginefake", module + "/internal/testing/funnelfake"} {
		if !slices.Contains(caught, want) {
			t.Errorf("the rule does not catch %s in cmd/demo's dependencies (caught %v)", want, caught)
		}
	}
}

func TestForbidden(t *testing.T) {
	for path, bad := range map[string]bool{
		module + "/internal/testing/rentenginefake": true,
		module + "/internal/testing/dbtest":         true,
		module + "/internal/testing/faultsuite":     true,
		module + "/internal/testing/funnelfluxfake": true,
		module + "/internal/bench":                  true,
		"testing":                                   true,
		"testing/synctest":                          true,
		"net/http/httptest":                         true,
		"go.uber.org/zap/zaptest":                   true,
		"go.uber.org/zap/zaptest/observer":          true,
		module + "/internal/tenants":                false,
		module + "/internal/clients/upstream":       false,
		module + "/internal/clients/funnelflux":     false,
		module + "/internal/benchmarks":             false,
		"internal/testlog":                          false, // the standard library's, linked by os
		"internal/synctest":                         false, // the standard library's, linked by sync
		"net/http":                                  false,
		"go.uber.org/zap":                           false,
		"go.uber.org/zap/zapcore":                   false,
	} {
		if got := forbidden(path) != ""; got != bad {
			t.Errorf("forbidden(%q) = %v, want %v", path, got, bad)
		}
	}
}
