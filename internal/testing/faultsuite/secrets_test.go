package faultsuite_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/logging"
	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// lockedBuffer collects log output from concurrent goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSecretsNeverReachTheLogs captures every log line of full runs at debug level — retried and
// failed HTTP calls, a rejected token, a failed database connection, and every SQL statement —
// and checks that no token, API key or database password appears.
func TestSecretsNeverReachTheLogs(t *testing.T) {
	const (
		token      = "re-TOKEN-9f8e7d6c5b4a"
		wrongToken = "re-WRONG-TOKEN-1a2b3c4d"
		apiKey     = "fu-APIKEY-5e6f7a8b9c0d"
		wrongKey   = "fu-WRONG-KEY-0a9b8c7d"
		dbPassword = "Pg-Pa55w0rd-SECRET"
	)
	var out lockedBuffer
	log, err := logging.New(logging.Config{Level: "debug", Format: "json", Output: &out})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// The test server trusts local connections, so it accepts any password: the DSN carries one
	// exactly as production would.
	u, err := url.Parse(dbtest.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), dbPassword)
	store, err := models.Open(ctx, models.OpenConfig{DSN: u.String(), LogSQL: true}, log.Named("store"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	fake := rentenginefake.New(rentenginefake.Options{Token: token})
	defer fake.Close()
	rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: 1, Units: 150, Prospects: 50, EventsPerProspect: 1})
	fake.Faults().Script(func(r *http.Request) bool { return r.URL.Query().Get("page_number") == "1" }, fakeapi.FaultServerError, 2)
	fake.Faults().Script(func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/prospects") }, fakeapi.FaultRateLimit, 1)

	fu := funnelfake.New(funnelfake.Options{APIKey: apiKey})
	defer fu.Close()
	funnelfake.Seed(fu, funnelfake.SeedOptions{Seed: 1, Communities: 1, ProspectsPerCommunity: 60, RenewalsPerCommunity: 5})
	fu.Faults().Script(func(r *http.Request) bool { return r.URL.Query().Get("page") == "2" }, fakeapi.FaultServerError, 1)
	community := fu.Communities()[0].Numeric()
	funnelBlock := func(key string) *tenants.Funnel {
		return &tenants.Funnel{BaseURL: fu.BaseURL(), APIKey: tenants.NewSecret(key), Auth: tenants.FunnelAuthBasic,
			CompanyID: fu.CompanyID(), Communities: []string{community}}
	}

	runner := syncer.NewRunner(syncer.Config{Store: store, Retry: suiteRetry}, log)
	good := &tenants.Tenant{ID: "good", RunTimeout: time.Minute,
		RentEngine: &tenants.RentEngine{BaseURL: fake.BaseURL(), Token: tenants.NewSecret(token)},
		Funnel:     funnelBlock(apiKey), Push: &tenants.Push{}}
	bad := &tenants.Tenant{ID: "bad", RunTimeout: time.Minute,
		RentEngine: &tenants.RentEngine{BaseURL: fake.BaseURL(), Token: tenants.NewSecret(wrongToken)},
		Funnel:     funnelBlock(wrongKey), Push: &tenants.Push{}}
	for _, job := range []tenants.Job{tenants.JobRentEngine, tenants.JobFunnel, tenants.JobPush} {
		if _, err := runner.Run(ctx, good, job); err != nil {
			t.Fatalf("good tenant %s: %v", job, err)
		}
	}
	for _, job := range []tenants.Job{tenants.JobRentEngine, tenants.JobFunnel} {
		if _, err := runner.Run(ctx, bad, job); err == nil {
			t.Fatalf("a rejected credential must fail the %s run", job)
		} else {
			log.Error("as the CLI reports it", zap.Error(err))
		}
	}
	// The tenant config itself logged by accident.
	log.Info("tenant config", zap.Any("tenant", good), zap.Reflect("rentengine", good.RentEngine))

	// A database that cannot be reached, with the password in its URL.
	u.Host = "127.0.0.1:1"
	if _, err := models.Open(ctx, models.OpenConfig{DSN: u.String()}, log); err == nil {
		t.Fatal("connecting to port 1 must fail")
	} else {
		log.Error("as the CLI reports it", zap.Error(err))
	}

	logs := out.String()
	for _, want := range []string{"INSERT INTO", "retrying upstream call", "401", "funnel", "push_ledger"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the capture has no %q: the test is not looking at what it should", want)
		}
	}
	for _, secret := range []string{token, wrongToken, apiKey, wrongKey, dbPassword} {
		if strings.Contains(logs, secret) {
			for _, line := range strings.Split(logs, "\n") {
				if strings.Contains(line, secret) {
					t.Errorf("secret leaked: %s", line)
				}
			}
		}
	}
}
