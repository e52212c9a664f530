// Command fakeupstream runs the in-memory upstream fakes as their own process, seeded with
// realistic data, for the demo and for benchmarks. It is a development tool: the production image
// does not contain it.
//
// Each fake is seeded before it starts listening, so once its line is printed (or its port
// accepts connections) a client sees the complete data set. It runs until SIGINT or SIGTERM.
//
//	FAKE_RENTENGINE_TOKEN=dev-token fakeupstream -units 500 -prospects 5000 -rate-limit 20/5s
//	rentengine base_url=http://127.0.0.1:8081/api/public/v1 units=500 prospects=5000 leasing_events=...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/syncd-dev/syncd/internal/fakeapi"
	"github.com/syncd-dev/syncd/internal/rentenginefake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run starts the fakes described by args and blocks until ctx is done. It returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fakeupstream", flag.ContinueOnError)
	fs.SetOutput(stderr)
	reAddr := fs.String("rentengine-addr", "127.0.0.1:8081", "listen address of the RentEngine fake")
	token := fs.String("token", "", "bearer token the RentEngine fake accepts (default $FAKE_RENTENGINE_TOKEN)")
	seed := fs.Int64("seed", 1, "seed for the generated data; the same seed gives the same records")
	units := fs.Int("units", 200, "RentEngine units to generate")
	prospects := fs.Int("prospects", 1000, "RentEngine prospects to generate")
	events := fs.Int("events-per-prospect", 3, "average RentEngine leasing events per prospect")
	account := fs.String("account-id", rentenginefake.DefaultAccountID, "account_id of the generated units")
	rateLimit := fs.String("rate-limit", "", `server-side limit per token as REQUESTS/PERIOD, e.g. "20/5s" (default: none)`)
	// Funnel fake: add its flags here, prefixed -funnel- (-funnel-addr, -funnel-api-key,
	// -funnel-communities, ...), once internal/funnelfake exists; see startFunnel below.
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *token == "" {
		*token = getenv("FAKE_RENTENGINE_TOKEN")
	}
	if *token == "" {
		fmt.Fprintln(stderr, "fakeupstream: set -token or FAKE_RENTENGINE_TOKEN")
		return 2
	}
	var limit *fakeapi.RateLimit
	if *rateLimit != "" {
		rl, err := parseRateLimit(*rateLimit)
		if err != nil {
			fmt.Fprintf(stderr, "fakeupstream: -rate-limit: %v\n", err)
			return 2
		}
		limit = &rl
	}

	re := rentenginefake.NewUnstarted(rentenginefake.Options{Token: *token, RateLimit: limit, Addr: *reAddr})
	start := time.Now()
	rentenginefake.Seed(re, rentenginefake.SeedOptions{
		Seed: *seed, Units: *units, Prospects: *prospects, EventsPerProspect: *events, AccountID: *account,
	})
	if err := re.Start(); err != nil {
		fmt.Fprintf(stderr, "fakeupstream: %v\n", err)
		return 1
	}
	defer re.Close()
	fmt.Fprintf(stdout, "rentengine base_url=%s units=%d prospects=%d leasing_events=%d seeded_in=%s\n",
		re.BaseURL(), re.Count(rentenginefake.Units), re.Count(rentenginefake.Prospects),
		re.Count(rentenginefake.LeasingEvents), time.Since(start).Round(time.Millisecond))

	// startFunnel: start the Funnel fake here the same way (NewUnstarted, seed, Start, print one
	// "funnel base_url=..." line, defer Close).

	<-ctx.Done()
	return 0
}

// parseRateLimit reads "20/5s" (or "5/s", "100/1m") as a RateLimit.
func parseRateLimit(s string) (fakeapi.RateLimit, error) {
	n, per, ok := strings.Cut(s, "/")
	if !ok {
		return fakeapi.RateLimit{}, fmt.Errorf("%q is not REQUESTS/PERIOD", s)
	}
	requests, err := strconv.Atoi(n)
	if err != nil || requests < 1 {
		return fakeapi.RateLimit{}, fmt.Errorf("%q: requests must be a positive integer", s)
	}
	if per != "" && (per[0] < '0' || per[0] > '9') {
		per = "1" + per // "5/s" means per one second
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		return fakeapi.RateLimit{}, fmt.Errorf("%q: period must be a positive duration such as 5s", s)
	}
	return fakeapi.RateLimit{Requests: requests, Per: d}, nil
}
