package cli_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/procid"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// orderTenant writes a config with one tenant, acme, with both upstreams and a push (customer
// scores only), into a new SQLite database; it returns the config, the database and the Funnel
// fake.
func orderTenant(t *testing.T, runTimeout string) (string, string, *funnelfake.Server) {
	t.Helper()
	re := rentenginefake.New(rentenginefake.Options{Token: "tok"})
	t.Cleanup(re.Close)
	fu := funnelfake.New(funnelfake.Options{APIKey: "fu-key"})
	t.Cleanup(fu.Close)
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	amy := re.Insert(rentenginefake.Prospects, map[string]any{"name": "Amy Cho", "email": "amy@example.com"})
	re.AddEvent(amy, "Showing Scheduled", at)
	community := fu.InsertCommunity(map[string]any{"id": 1234, "name": "Maple Court"}, "")
	fu.Insert(community, funnelfake.Prospects, map[string]any{"status": "Prospect",
		"people": []any{map[string]any{"first_name": "Amy", "email": "amy@example.com", "phone_1": nil}}})
	dsn := dbtest.SQLiteDSN(t)
	config := writeFile(t, "config.yaml", fmt.Sprintf(`database: {url: %q}
log: {level: error}
tenants:
  - id: acme
    run_timeout: %s
    rentengine: {base_url: %q, token_env: RE_TOKEN}
    funnel: {base_url: %q, api_key_env: FU_KEY, company_id: %d, communities: ["1234"]}
    push:
      assignments: {enabled: false}
      renewal_status: {enabled: false}
`, dsn, runTimeout, re.BaseURL(), fu.BaseURL(), fu.CompanyID()))
	return config, dsn, fu
}

var orderEnv = map[string]string{"FU_KEY": "fu-key"}

func scoreWrites(fu *funnelfake.Server) int {
	n := 0
	for _, r := range fu.Requests() {
		if r.Method != "GET" {
			n++
		}
	}
	return n
}

// A first push waits until both upstreams have had a complete pull: `syncd push` refuses
// before, saying why and how to override, and records the skip; --force pushes and says what it
// overrode; once both pulls succeeded, the push runs.
func TestPushRefusesBeforeFirstCompletePulls(t *testing.T) {
	config, dsn, fu := orderTenant(t, "30s")
	push := func(args ...string) (int, string, string) {
		return runCLIEnv(t, orderEnv, append([]string{"push", "--config", config, "--tenant", "acme"}, args...)...)
	}

	code, out, errOut := push()
	if code != 1 || !strings.Contains(out, "acme push: skipped (waiting_for_first_pulls)") ||
		!strings.Contains(errOut, "no complete rentengine or funnel pull yet") || !strings.Contains(errOut, "--force") {
		t.Fatalf("push before any pull: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if code, _, errOut := runCLIEnv(t, orderEnv, "sync", "--config", config, "--tenant", "acme", "--job", "rentengine"); code != 0 {
		t.Fatalf("sync rentengine: exit %d: %s", code, errOut)
	}
	code, _, errOut = push()
	if code != 1 || !strings.Contains(errOut, "no complete funnel pull yet") {
		t.Fatalf("push after the rentengine pull only: exit %d: %s", code, errOut)
	}
	if n := scoreWrites(fu); n != 0 {
		t.Fatalf("refused pushes sent %d write requests", n)
	}
	store := dbtest.Open(t, dsn)
	var skipped []models.SyncRun
	if err := dbtest.DB(store).Where("job = ? AND status = ?", "push", models.RunSkipped).Find(&skipped).Error; err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 2 || skipped[0].SkipReason() != models.SkipFirstPulls || skipped[0].FinishedAt == nil {
		t.Fatalf("skipped push runs %+v, want 2 with reason %s", skipped, models.SkipFirstPulls)
	}

	code, out, errOut = runCLIEnv(t, orderEnv, "status", "--config", config, "--tenant", "acme")
	if code != 0 || !strings.Contains(out, "skipped (waiting_for_first_pulls)") {
		t.Errorf("status after a skipped push: exit %d\n%s%s", code, out, errOut)
	}

	code, out, errOut = push("--force")
	if code != 0 || !strings.Contains(errOut, "--force overrides the job order") ||
		!strings.Contains(errOut, "first push before complete pulls") || !strings.Contains(out, "acme push: succeeded") {
		t.Fatalf("push --force: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

// A push from a shell waits for the tenant's pulls in progress, for at most its run timeout,
// then refuses with pulls_unfinished naming the pull; --force pushes at once and names the pull
// it did not wait for.
func TestPushWaitsForPullsInProgress(t *testing.T) {
	config, dsn, _ := orderTenant(t, "1s")
	// `syncd sync` runs both pulls, then the push: the tenant's first push is done.
	if code, out, errOut := runCLIEnv(t, orderEnv, "sync", "--config", config, "--tenant", "acme"); code != 0 || !strings.Contains(out, "acme push: succeeded") {
		t.Fatalf("sync: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	// A pull in progress in a live process (this one).
	store := dbtest.Open(t, dsn)
	running := models.SyncRun{RunID: "pull-in-progress", TenantID: "acme", Job: "funnel", StartedAt: time.Now().UTC(),
		Status: models.RunRunning, Host: "elsewhere", Process: procid.Self().String()}
	if err := dbtest.DB(store).Create(&running).Error; err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	code, out, errOut := runCLIEnv(t, orderEnv, "push", "--config", config, "--tenant", "acme")
	if code != 1 || !strings.Contains(out, "acme push: skipped (pulls_unfinished)") ||
		!strings.Contains(errOut, "funnel (run pull-in-progress on elsewhere") || !strings.Contains(errOut, "--force") {
		t.Fatalf("push during a pull: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("push gave up after %s, before its run timeout (1s)", waited)
	}

	code, out, errOut = runCLIEnv(t, orderEnv, "push", "--config", config, "--tenant", "acme", "--force")
	if code != 0 || !strings.Contains(errOut, "pull in progress: funnel (run pull-in-progress") || !strings.Contains(out, "acme push: succeeded") {
		t.Fatalf("push --force during a pull: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}

	// Once the pull has ended, the push runs without waiting.
	if err := dbtest.DB(store).Model(&models.SyncRun{}).Where("run_id = ?", running.RunID).
		Update("status", models.RunSucceeded).Error; err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLIEnv(t, orderEnv, "push", "--config", config, "--tenant", "acme"); code != 0 || !strings.Contains(out, "acme push: succeeded") {
		t.Fatalf("push after the pull: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}
