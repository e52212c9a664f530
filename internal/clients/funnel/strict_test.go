package funnel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
)

// TestEveryCallSendsTheDocumentedPath runs every call of the client against the fake, which
// redirects a GET without its trailing slash and answers anything else without it with an HTML
// 404: the client must never see either, so that it does not depend on a redirect upstream.
func TestEveryCallSendsTheDocumentedPath(t *testing.T) {
	for _, auth := range []string{funnel.AuthBasic, funnel.AuthBearer} {
		b := setup(t, auth, key)
		ctx := context.Background()
		rid := b.fake.IDs(b.community.ID, funnelfake.Renewals)[0]
		renewal, _ := b.fake.Get(b.community.ID, funnelfake.Renewals, rid)
		renter, unit := asInt(t, renewal["funnel_renter_id"]), asInt(t, renewal["funnel_unit_id"])
		email := firstEmail(t, b)
		for _, form := range b.community.Forms() {
			calls := map[string]func() error{
				"GetCommunity": func() error { _, _, err := b.client.GetCommunity(ctx, form); return err },
				"GetProspect": func() error {
					_, _, err := b.client.GetProspect(ctx, form, b.fake.IDs(b.community.ID, funnelfake.Prospects)[0])
					return err
				},
				"SetRenewalStatus": func() error {
					_, err := b.client.SetRenewalStatus(ctx, form, renter, unit, funnel.RenewalCard{AlertType: funnel.AlertInfo})
					return err
				},
				"PostCustomerScore": func() error {
					_, err := b.client.PostCustomerScore(ctx, funnel.CustomerScore{Name: "fit", Value: 3, Maximum: 5,
						SubmittedAt: time.Now(), Email: email})
					return err
				},
			}
			for _, res := range funnel.Resources {
				calls["List "+string(res)] = func() error {
					return b.client.List(ctx, form, res, func(upstream.Page) error { return nil })
				}
			}
			for name, call := range calls {
				t.Run(auth+"/"+form+"/"+name, func(t *testing.T) {
					b.fake.ResetRequests()
					if err := call(); err != nil {
						t.Fatal(err)
					}
					reqs := b.fake.Requests()
					if len(reqs) == 0 {
						t.Fatal("no request reached the fake")
					}
					for _, r := range reqs {
						if r.Status != http.StatusOK {
							t.Errorf("%s %s answered %d", r.Method, r.Path, r.Status)
						}
						prospect := strings.Contains(r.Path, "/prospects/") && !strings.HasSuffix(r.Path, "/prospects/")
						if strings.HasSuffix(r.Path, "/") == prospect {
							t.Errorf("%s %s: trailing slash not as documented", r.Method, r.Path)
						}
					}
				})
			}
		}
	}
}

// TestCustomerScorePayload checks the body on the wire against what Funnel documents and the
// fake enforces: integer score fields, a naive submitted_at, an e-mail or a phone.
func TestCustomerScorePayload(t *testing.T) {
	b := setup(t, funnel.AuthBasic, key)
	email := firstEmail(t, b)
	at := time.Date(2025, 6, 5, 0, 34, 0, 0, time.FixedZone("EDT", -4*3600))
	if _, err := b.client.PostCustomerScore(context.Background(), funnel.CustomerScore{Name: "fit", Value: 0, Maximum: 100,
		SubmittedAt: at, Email: email}); err != nil {
		t.Fatal(err)
	}
	reqs := b.fake.Recorder().Filter(http.MethodPost, funnelfake.BasePath+"/company/"+itoa(int(b.fake.CompanyID()))+"/customer-score/")
	if len(reqs) != 1 {
		t.Fatalf("%d posts", len(reqs))
	}
	d := json.NewDecoder(bytes.NewReader(reqs[0].Body))
	d.UseNumber()
	var body map[string]any
	if err := d.Decode(&body); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"score_value", "maximum_score"} {
		if n, ok := body[k].(json.Number); !ok || !regexp.MustCompile(`^-?\d+$`).MatchString(n.String()) {
			t.Errorf("%s = %#v, want a JSON integer", k, body[k])
		}
	}
	if body["submitted_at"] != "2025-06-05T04:34:00" {
		t.Errorf("submitted_at = %v, want the naive UTC date-time", body["submitted_at"])
	}
	if _, ok := body["phone"]; ok {
		t.Errorf("an empty phone was sent: %s", reqs[0].Body)
	}

	// What the fake would reject is refused before anything is sent.
	b.fake.ResetRequests()
	for name, s := range map[string]funnel.CustomerScore{
		"no submitted_at":        {Name: "fit", Value: 1, Email: email},
		"no name":                {Value: 1, SubmittedAt: at, Email: email},
		"blank e-mail, no phone": {Name: "fit", Value: 1, SubmittedAt: at, Email: "  "},
	} {
		if _, err := b.client.PostCustomerScore(context.Background(), s); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if n := len(b.fake.Requests()); n != 0 {
		t.Errorf("%d invalid scores were sent", n)
	}
}

func firstEmail(t *testing.T, b *bundle) string {
	t.Helper()
	for _, id := range b.fake.IDs(b.community.ID, funnelfake.Prospects) {
		raw, _ := b.fake.Raw(b.community.ID, funnelfake.Prospects, id)
		var p struct {
			People []struct {
				Email *string `json:"email"`
			} `json:"people"`
		}
		if json.Unmarshal(raw, &p) == nil && len(p.People) > 0 && p.People[0].Email != nil && strings.TrimSpace(*p.People[0].Email) != "" {
			return *p.People[0].Email
		}
	}
	t.Fatal("fixture: no prospect with an e-mail")
	return ""
}
