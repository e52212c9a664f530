// Command bench runs syncd's benchmark harness (internal/bench) against the fakes and a real
// Postgres and writes docs/BENCHMARKS.md. `make bench` runs it at the size the benchmark issue asks
// for; -smoke runs the seconds-long size the CI test uses.
//
//	go run ./cmd/bench -out docs/BENCHMARKS.md
//	go run ./cmd/bench -smoke -only ingest,push -out /tmp/bench.md
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/syncd-dev/syncd/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "docs/BENCHMARKS.md", `report file ("-" for stdout)`)
	smoke := fs.Bool("smoke", false, "tiny sizes, seconds long (what CI runs)")
	only := fs.String("only", "", "comma-separated scenarios to run (default all: "+strings.Join(bench.Scenarios(), ",")+")")
	admin := fs.String("postgres", adminURL(), "Postgres URL of a database from which the benchmark creates and drops its own (env SYNCD_TEST_POSTGRES_URL)")
	reps := fs.Int("reps", 0, "repetitions of the ingest and memory scenarios (default: the size's own)")
	keep := fs.Bool("keep", false, "keep the benchmark databases (their names are printed) for inspection")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the harness process (syncd's pull runs in it during ingest) to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg := bench.Full()
	if *smoke {
		cfg = bench.Smoke()
	}
	if *reps > 0 {
		cfg.Ingest.Reps, cfg.Memory.Reps = *reps, *reps
	}
	if *only != "" {
		cfg.Only = strings.Split(*only, ",")
	}
	dbs, err := bench.NewDatabases(ctx, *admin)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	defer dbs.Close()
	cfg.NewDatabase = dbs.New
	if *keep {
		cfg.NewDatabase = func(ctx context.Context) (string, func(), error) {
			dsn, _, err := dbs.New(ctx)
			if err == nil {
				dbs.Forget(dsn)
				fmt.Fprintln(stderr, "bench: keeping database", dsn)
			}
			return dsn, nil, err
		}
	}
	cfg.Progress = stderr

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := bench.Run(ctx, cfg)
	if rep != nil {
		rep.Command = command(args)
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	md := rep.Markdown()
	if *out == "-" {
		_, _ = stdout.Write(md)
		return 0
	}
	if err := os.WriteFile(*out, md, 0o644); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	fmt.Fprintf(stderr, "bench: wrote %s (took %s)\n", *out, rep.Took.Round(1e9))
	return 0
}

// command is how this run was invoked, for the report: make exports MAKELEVEL to its commands.
func command(args []string) string {
	c := strings.TrimSpace("go run ./cmd/bench " + strings.Join(args, " "))
	if os.Getenv("MAKELEVEL") != "" {
		return "make bench  →  " + c
	}
	return c
}

// adminURL is the test suite's Postgres: $SYNCD_TEST_POSTGRES_URL or the machine's own server
// (the same default as internal/testing/dbtest, which this command does not import to keep the
// testing package out of it).
func adminURL() string {
	if u := os.Getenv("SYNCD_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}
