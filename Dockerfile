# syntax=docker/dockerfile:1
#
# syncd: a static binary on distroless. Build with
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t syncd .
# Run with the config mounted (secrets as env vars or mounted files, as the config names them):
#   docker run --stop-timeout 30 -v $PWD/config.yaml:/etc/syncd/config.yaml:ro -e ACME_RENTENGINE_TOKEN syncd
#
# Stopping: SIGTERM stops scheduling, cancels runs in progress (a cancelled pull tombstones
# nothing and is recorded as failed) and waits at most limits.shutdown_timeout (default 25s) for
# them to record that. Keep the orchestrator's stop timeout above it: Kubernetes'
# terminationGracePeriodSeconds is 30 by default, but `docker stop` waits only 10s unless given
# --stop-timeout (compose: stop_grace_period). In practice cancelled runs end within a second.

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so source edits do not invalidate the module download layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
# Static (no cgo: the SQLite driver is pure Go), reproducible paths, version stamped into the CLI.
# cmd/syncd embeds time/tzdata, so tenant time zones resolve even without the image's zoneinfo.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/syncd-dev/syncd/internal/cli.Version=${VERSION}" \
      -o /out/syncd ./cmd/syncd
# Writable data directory for the embedded SQLite default (sqlite:syncd.db), owned by the
# non-root user; distroless has no shell to create it later.
RUN mkdir -p /out/data

# distroless/static: CA certificates, tzdata, /etc/passwd with the nonroot user (65532), no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/syncd /usr/local/bin/syncd
COPY --from=build --chown=65532:65532 /out/data /var/lib/syncd
WORKDIR /var/lib/syncd
USER 65532:65532
# The config path; `--config` on the command line overrides it.
ENV SYNCD_CONFIG=/etc/syncd/config.yaml
# Where `syncd healthcheck` probes; keep in step with `listen:` in the config (":9090" there).
ENV SYNCD_HEALTH_URL=http://127.0.0.1:9090/healthz
EXPOSE 9090
VOLUME ["/var/lib/syncd"]
HEALTHCHECK --interval=30s --timeout=6s --start-period=30s --retries=3 CMD ["/usr/local/bin/syncd", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/syncd", "run"]
