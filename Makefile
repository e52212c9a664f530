# The two commands from README.md: `make demo` (also `go run ./cmd/demo`) and `make test`.
GO ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/syncd-dev/syncd/internal/cli.Version=$(VERSION)

.PHONY: test demo build bench vet

# Needs Postgres (default postgres://postgres@127.0.0.1:5432/test; override with
# SYNCD_TEST_POSTGRES_URL). Tests that need it fail rather than skip when it is unreachable.
test:
	$(GO) test -count=1 ./...

demo:
	$(GO) run ./cmd/demo

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o syncd ./cmd/syncd

vet:
	$(GO) vet ./...
