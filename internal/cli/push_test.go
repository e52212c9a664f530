package cli_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// `syncd push --plan` lists the customer scores it would send, to Funnel clients, and says why
// each other person is left alone.
func TestPushPlanShowsScoreSkips(t *testing.T) {
	re := rentenginefake.New(rentenginefake.Options{Token: "tok"})
	defer re.Close()
	fu := funnelfake.New(funnelfake.Options{APIKey: "fu-key"})
	defer fu.Close()
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	amy := re.Insert(rentenginefake.Prospects, map[string]any{"name": "Amy Cho", "email": "amy@example.com"})
	re.AddEvent(amy, "Showing Scheduled", at)
	dan := re.Insert(rentenginefake.Prospects, map[string]any{"name": "Dan Wu", "email": "dan@example.com"})
	re.AddEvent(dan, "New", at)
	community := fu.InsertCommunity(map[string]any{"id": 1234, "name": "Maple Court"}, "")
	client := fu.Insert(community, funnelfake.Prospects, map[string]any{"status": "Prospect",
		"people": []any{map[string]any{"first_name": "Amy", "email": "AMY@example.com", "phone_1": nil}}})

	config := writeFile(t, "config.yaml", fmt.Sprintf(`database: {url: %q}
log: {level: error}
tenants:
  - id: acme
    rentengine: {base_url: %q, token_env: RE_TOKEN}
    funnel: {base_url: %q, api_key_env: FU_KEY, company_id: %d, communities: ["1234"]}
    push:
      assignments: {enabled: false}
      renewal_status: {enabled: false}
`, dbtest.SQLiteDSN(t), re.BaseURL(), fu.BaseURL(), fu.CompanyID()))
	env := map[string]string{"FU_KEY": "fu-key"}
	for _, job := range []string{"rentengine", "funnel"} {
		if code, _, errOut := runCLIEnv(t, env, "sync", "--config", config, "--tenant", "acme", "--job", job); code != 0 {
			t.Fatalf("sync %s: exit %d: %s", job, code, errOut)
		}
	}
	fu.ResetRequests()

	code, out, errOut := runCLIEnv(t, env, "push", "--config", config, "--tenant", "acme", "--plan")
	if code != 0 {
		t.Fatalf("push --plan: exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		fmt.Sprintf("customer_score  funnel-client:%d  none    →  50/100 (Showing Scheduled) by e-mail", client),
		"1 change(s), 1 customer_score; 0 of 1 targets unchanged",
		"skipped 1: customer score: unlinked (no Funnel client in the mirror is this person)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = runCLIEnv(t, env, "push", "--config", config, "--tenant", "acme", "--plan", "--json")
	var plan struct {
		Skips map[string]map[string]int `json:"skips"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &plan) != nil {
		t.Fatalf("push --plan --json: exit %d: %s%s", code, out, errOut)
	}
	if got := plan.Skips["customer_score"]; got["unlinked"] != 1 || got["ambiguous"] != 0 || len(got) != 4 {
		t.Errorf("plan JSON skips %v", plan.Skips)
	}
	if n := len(fu.Requests()); n != 0 {
		t.Errorf("planning sent %d requests", n)
	}
}
