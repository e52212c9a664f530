package faultsuite_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// TestPushKilledMidCallAppliesOnce SIGKILLs `syncd sync` while a push call is in flight — its
// intent written, its outcome not — for each kind of push, then runs `syncd sync` again: every
// push must end applied exactly once in the fakes' state.
func TestPushKilledMidCallAppliesOnce(t *testing.T) {
	bin := buildSyncd(t)
	cases := []struct {
		kind  string
		match func(*http.Request) bool
	}{
		{models.PushCustomerScore, func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/customer-score/")
		}},
		{models.PushAssignment, func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/leasing_events")
		}},
		{models.PushRenewalStatus, func(r *http.Request) bool {
			return r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/renewal-status/")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			dsn := dbtest.PostgresDSN(t)
			store := dbtest.Open(t, dsn)
			slow := &fakeapi.FaultPlan{SlowDelay: 30 * time.Second}
			re := rentenginefake.New(rentenginefake.Options{Token: "tok", Faults: slow})
			defer re.Close()
			fu := funnelfake.New(funnelfake.Options{APIKey: "key", Faults: slow})
			defer fu.Close()

			// Two people in both systems, each with an agent that maps and a renewal.
			var prospects []int64
			var clients []int64
			com := fu.InsertCommunity(map[string]any{"id": 77, "name": "Oak Yard"}, "")
			for i, who := range []string{"ann", "ben"} {
				email := who + "@example.com"
				p := re.Insert(rentenginefake.Prospects, map[string]any{"name": who, "email": email,
					"phone": fmt.Sprintf("555-300-000%d", i)})
				re.AddEvent(p, "Showing Scheduled", time.Date(2026, 11, 1, 10, i, 0, 0, time.UTC))
				prospects = append(prospects, p)
				c := fu.Insert(com, funnelfake.Prospects, map[string]any{"status": "Prospect",
					"people": []any{map[string]any{"first_name": who, "last_name": "K", "email": email, "is_primary": true}},
					"agents": []any{"agent@oak.example"}})
				clients = append(clients, c)
				fu.Insert(com, funnelfake.Renewals, map[string]any{"funnel_renter_id": c, "funnel_unit_id": 900 + i,
					"unit_number": strconv.Itoa(10 + i), "status": "offered", "offer_rent": 1800, "offer_expires_at": "2026-12-15T00:00:00"})
			}

			// The first matching push call hangs; the process is killed while it does.
			inFlight := make(chan struct{})
			var once sync.Once
			slowOnce := func(r *http.Request) bool {
				if tc.match(r) {
					once.Do(func() { close(inFlight) })
					return true
				}
				return false
			}
			re.Faults().Script(slowOnce, fakeapi.FaultSlow, 1)
			fu.Faults().Script(slowOnce, fakeapi.FaultSlow, 1)

			cfg := filepath.Join(t.TempDir(), "config.yaml")
			must(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`database: {url_env: PK_DB}
log: {level: error}
tenants:
  - id: pk
    rentengine: {base_url: %q, token_env: PK_TOKEN, rate_limit: {requests: 1000, per: 1s}}
    funnel: {base_url: %q, api_key_env: PK_KEY, company_id: %d, communities: ["77"], rate_limit: {requests: 1000, per: 1s}}
    push: {}
    agents: {"agent@oak.example": 3a3a3a3a-0000-4000-8000-000000000001}
`, re.BaseURL(), fu.BaseURL(), fu.CompanyID())), 0o600))
			env := append(os.Environ(), "PK_DB="+dsn, "PK_TOKEN=tok", "PK_KEY=key")
			sync := func() *exec.Cmd {
				cmd := exec.Command(bin, "sync", "--config", cfg, "--tenant", "pk")
				cmd.Env = env
				return cmd
			}

			first := sync()
			var stderr strings.Builder
			first.Stderr = &stderr
			must(t, first.Start())
			select {
			case <-inFlight:
			case <-time.After(30 * time.Second):
				_ = first.Process.Kill()
				t.Fatalf("no %s push was attempted; stderr:\n%s", tc.kind, stderr.String())
			}
			must(t, first.Process.Signal(syscall.SIGKILL))
			_ = first.Wait()

			var planned int64
			must(t, dbtest.DB(store).Model(&models.PushLedger{}).Where("kind = ? AND state = ?", tc.kind, models.PushPlanned).Count(&planned).Error)
			if planned != 1 {
				t.Fatalf("after the kill, %d %s intents are open in the ledger, want 1", planned, tc.kind)
			}

			if out, err := sync().CombinedOutput(); err != nil {
				t.Fatalf("rerun after SIGKILL: %v\n%s", err, out)
			}
			// One more run: nothing left to send.
			re.ResetRequests()
			fu.ResetRequests()
			if out, err := sync().CombinedOutput(); err != nil {
				t.Fatalf("second rerun: %v\n%s", err, out)
			}
			if n := len(fakeapi.FilterRequests(re.Requests(), http.MethodPost, rentenginefake.BasePath+"/leasing_events")) +
				len(fu.Recorder().Filter(http.MethodPost, fmt.Sprintf("%s/company/%d/customer-score/", funnelfake.BasePath, fu.CompanyID()))); n != 0 {
				t.Errorf("a settled tenant still sent %d pushes", n)
			}

			assigned := map[int64]int{}
			for _, ev := range re.Records(rentenginefake.LeasingEvents) {
				if ev["event_type"] == "Assign to User" {
					p, _ := strconv.ParseInt(fmt.Sprint(ev["prospect"]), 10, 64)
					assigned[p]++
				}
			}
			for i := range prospects {
				if assigned[prospects[i]] != 1 {
					t.Errorf("prospect %d assigned %d times, want once", prospects[i], assigned[prospects[i]])
				}
				if scores := fu.CustomerScores(clients[i]); len(scores) != 1 || scores[0].Value != 50 {
					t.Errorf("client %d scores %+v, want exactly one score of 50", clients[i], scores)
				}
			}
			var pushed int64
			must(t, dbtest.DB(store).Model(&models.PushLedger{}).Where("state = ?", models.PushPushed).Count(&pushed).Error)
			if pushed != 6 {
				t.Errorf("%d ledger rows pushed, want 6 (2 scores, 2 assignments, 2 renewal cards)", pushed)
			}
		})
	}
}
