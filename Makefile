# The two commands from README.md: `make demo` (also `go run ./cmd/demo`) and `make test`.
GO ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/syncd-dev/syncd/internal/cli.Version=$(VERSION)

.PHONY: test demo build bench vet ui-check

# Also runs deploy/check.sh first: the deploy tests need promtool, which it installs from
# Debian's prometheus package when it is missing.
# Needs Postgres (default postgres://postgres@127.0.0.1:5432/test; override with
# SYNCD_TEST_POSTGRES_URL). Tests that need it fail rather than skip when it is unreachable.
# The fault suite runs on its own with -v so that its one-line summary (faults injected by kind,
# retries, rows differing at the end) shows in CI output; its full log only on failure.
test:
	@bash deploy/check.sh
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /internal/testing/faultsuite)
	@log=$$(mktemp); $(GO) test -count=1 -v ./internal/testing/faultsuite/ > $$log 2>&1 || { cat $$log; rm -f $$log; exit 1; }; \
		grep -E '^(fault suite:|ok)' $$log; rm -f $$log

demo:
	$(GO) run ./cmd/demo

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o syncd ./cmd/syncd

vet:
	$(GO) vet ./...

# Benchmarks (docs/BENCHMARKS.md): seeds the fakes and Postgres (the same server as `make test`,
# or SYNCD_TEST_POSTGRES_URL), runs every scenario at full size and rewrites the report. It takes
# about ten minutes and loads both cores. CI runs the same harness at tiny sizes as
# TestBenchSmoke (internal/bench) within `make test`.
bench:
	$(GO) run ./cmd/bench -out docs/BENCHMARKS.md

# Browser check of the status page (README, "Status page"): starts the demo daemon against the
# fakes, opens / and /tenants/demo in headless Chromium (CHROMIUM, default Debian's
# /usr/bin/chromium), saves docs/img/status.png and docs/img/tenant.png, and fails on a non-200
# answer, a template error, a missing tenant or a console error.
# UI_OUT moves the screenshots elsewhere (CI does, to leave the checkout as it was).
CHROMIUM ?= /usr/bin/chromium
UI_OUT ?= docs/img
ui-check:
	$(GO) run ./cmd/uicheck -chromium $(CHROMIUM) -out $(UI_OUT)
