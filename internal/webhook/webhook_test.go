package webhook_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/mirror"
	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/mirrortest"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
	"github.com/syncd-dev/syncd/internal/webhook"
)

const key = "whk-s3cret"

type delivery struct {
	name   string
	tenant string
	header map[string]string
	body   string
	status int
	result string
	check  func(t *testing.T, s *models.Store)
}

func prospect(t *testing.T, s *models.Store, id int64) (row models.RentEngineProspect, ok bool) {
	t.Helper()
	err := dbtest.DB(s).Where("tenant_id = ? AND id = ?", "acme", id).Limit(1).Find(&row).Error
	if err != nil {
		t.Fatal(err)
	}
	return row, row.ID == id
}

func TestRentEngineWebhook(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		tenant := &tenants.Tenant{ID: "acme", RentEngine: &tenants.RentEngine{
			Webhook: &tenants.RentEngineWebhook{Header: "X-API-Key", APIKey: tenants.NewSecret(key)}}}
		// beta is configured, but without a webhook.
		beta := &tenants.Tenant{ID: "beta", RentEngine: &tenants.RentEngine{}}
		outcomes := map[string]int{}
		quarantined := map[string]int{}
		mux := http.NewServeMux()
		mux.Handle(webhook.Path, webhook.New(webhook.Config{
			Store: store,
			Tenant: func(id string) *tenants.Tenant {
				switch id {
				case tenant.ID:
					return tenant
				case beta.ID:
					return beta
				}
				return nil
			},
			Observe:     func(_, _, outcome string) { outcomes[outcome]++ },
			Quarantined: func(tenant, table string) { quarantined[tenant+"/"+table]++ },
		}, zap.NewNop()))
		srv := httptest.NewServer(mux)
		defer srv.Close()
		auth := map[string]string{"X-API-Key": key}
		insert := `{"type":"INSERT","table":"prospects","record":{"id":501,"name":"Kim Lee","email":" Kim@Example.com ","phone":"(555) 404-1000","status":"New","updated_at":"2026-11-20T10:00:00Z"},"old_record":null}`

		cases := []delivery{
			{name: "unknown tenant", tenant: "nobody", header: auth, body: insert, status: 401},
			{name: "tenant without a webhook", tenant: "beta", header: auth, body: insert, status: 401},
			{name: "missing key", header: nil, body: insert, status: 401},
			{name: "wrong key", header: map[string]string{"X-API-Key": "guess"}, body: insert, status: 401},
			{name: "not JSON", header: auth, body: `{"type":`, status: 400},
			{name: "unknown change type", header: auth, body: `{"type":"UPSERT","table":"prospects","record":{"id":1}}`, status: 400},
			{name: "record without id", header: auth, body: `{"type":"INSERT","table":"prospects","record":{"name":"x"}}`, status: 400},
			{name: "record not an object", header: auth, body: `{"type":"INSERT","table":"prospects","record":[1,2]}`, status: 400},
			{name: "id zero", header: auth, body: `{"type":"INSERT","table":"prospects","record":{"id":0,"name":"x"}}`, status: 400},
			{name: "negative id", header: auth, body: `{"type":"UPDATE","table":"units","record":{"id":"-4","status":"x"}}`, status: 400},
			{name: "DELETE of id zero", header: auth, body: `{"type":"DELETE","table":"units","old_record":{"id":0}}`, status: 400},
			{name: "record with \\u0000", header: auth, body: `{"type":"INSERT","table":"prospects","record":{"id":502,"name":"a\u0000b"}}`, status: 422,
				check: func(t *testing.T, s *models.Store) {
					if _, ok := prospect(t, s, 502); ok {
						t.Error("a quarantined record was stored")
					}
				}},
			{name: "record with a lone surrogate", header: auth, body: `{"type":"INSERT","table":"units","record":{"id":503,"status":"\udc00"}}`, status: 422},
			{name: "record with invalid UTF-8", header: auth, body: "{\"type\":\"INSERT\",\"table\":\"leasing_events\",\"record\":{\"id\":504,\"notes\":\"caf\xe9\"}}", status: 422},
			{name: "record of the wrong shape", header: auth, body: `{"type":"INSERT","table":"units","record":{"id":9,"bedrooms":{"n":2}}}`, status: 422},
			{name: "too large", header: auth, body: `{"type":"INSERT","table":"prospects","record":{"id":1,"notes":"` + strings.Repeat("x", webhook.MaxBody) + `"}}`, status: 413},
			{name: "a table syncd does not mirror", header: auth, body: `{"type":"INSERT","table":"lockboxes","record":{"id":"a"}}`, status: 200, result: "ignored"},
			{name: "insert", header: auth, body: insert, status: 200, result: "inserted", check: func(t *testing.T, s *models.Store) {
				p, ok := prospect(t, s, 501)
				if !ok || *p.EmailNormalized != "kim@example.com" || *p.PhoneE164 != "+15554041000" || *p.Status != "New" {
					t.Errorf("stored prospect %+v", p)
				}
			}},
			{name: "the same delivery again", header: auth, body: insert, status: 200, result: "unchanged"},
			{name: "update with a subset of fields", header: auth,
				body:   `{"type":"UPDATE","table":"prospects","record":{"id":501,"status":"Showing Scheduled","updated_at":"2026-11-20T11:00:00Z"}}`,
				status: 200, result: "updated", check: func(t *testing.T, s *models.Store) {
					p, _ := prospect(t, s, 501)
					if *p.Status != "Showing Scheduled" || p.Name == nil || *p.Name != "Kim Lee" {
						t.Errorf("merged prospect: status %v name %v", p.Status, p.Name)
					}
				}},
			{name: "an older delivery arriving late", header: auth,
				body:   `{"type":"UPDATE","table":"prospects","record":{"id":501,"status":"New","updated_at":"2026-11-20T10:30:00Z"}}`,
				status: 200, result: "stale", check: func(t *testing.T, s *models.Store) {
					if p, _ := prospect(t, s, 501); *p.Status != "Showing Scheduled" {
						t.Errorf("a stale delivery was applied: status %s", *p.Status)
					}
				}},
			{name: "delete", header: auth, body: `{"type":"DELETE","table":"prospects","record":null,"old_record":{"id":501}}`,
				status: 200, result: "deleted", check: func(t *testing.T, s *models.Store) {
					if p, _ := prospect(t, s, 501); p.DeletedAt == nil {
						t.Error("deleted prospect not tombstoned")
					}
				}},
			{name: "delete again", header: auth, body: `{"type":"DELETE","table":"prospects","old_record":{"id":501}}`, status: 200, result: "unchanged"},
			{name: "header in another case", header: map[string]string{"x-api-key": key},
				body:   `{"type":"INSERT","table":"leasing_events","record":{"id":"77","prospect":501,"event_type":"Contacted, Awaiting Information"}}`,
				status: 200, result: "inserted"},
		}
		unauthorized := map[string]int{} // 401 answers by body
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				tenantID := tc.tenant
				if tenantID == "" {
					tenantID = "acme"
				}
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/rentengine/"+tenantID, bytes.NewBufferString(tc.body))
				for k, v := range tc.header {
					req.Header.Set(k, v)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var got struct{ Result, Error string }
				_ = json.NewDecoder(resp.Body).Decode(&got)
				if resp.StatusCode != tc.status || got.Result != tc.result {
					t.Fatalf("status %d result %q (error %q), want %d %q", resp.StatusCode, got.Result, got.Error, tc.status, tc.result)
				}
				if resp.StatusCode >= 400 && got.Error == "" {
					t.Error("a rejected delivery must say why")
				}
				if strings.Contains(got.Error, key) {
					t.Error("the answer echoes the key")
				}
				if resp.StatusCode == http.StatusUnauthorized {
					unauthorized[got.Error]++
				}
				if tc.check != nil {
					tc.check(t, store)
				}
			})
		}
		if outcomes["unauthorized"] != 4 || outcomes["inserted"] != 2 || outcomes["too_large"] != 1 || outcomes["quarantined"] != 3 {
			t.Errorf("observed outcomes %v", outcomes)
		}
		// An unknown tenant, a tenant without a webhook and a wrong key look alike.
		if len(unauthorized) != 1 {
			t.Errorf("401 answers differ: %v", unauthorized)
		}
		if want := map[string]int{"acme/rentengine_prospects": 1, "acme/rentengine_units": 1, "acme/rentengine_leasing_events": 1}; fmt.Sprint(quarantined) != fmt.Sprint(want) {
			t.Errorf("quarantines observed %v, want %v", quarantined, want)
		}
		recs, err := store.BadRecords(context.Background(), "acme")
		if err != nil || len(recs) != 3 {
			t.Errorf("bad_records: %d rows (%v), want 3", len(recs), err)
		}
	})
}

// TestWebhooksAndPullsConverge: changes delivered by webhook between pulls, including a record the
// webhook only partly describes, end in the same mirror the pull alone would give.
func TestWebhooksAndPullsConverge(t *testing.T) {
	store := dbtest.Postgres(t)
	fake := rentenginefake.New(rentenginefake.Options{Token: "tok"})
	defer fake.Close()
	rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: 2, Units: 20, Prospects: 20, EventsPerProspect: 1})
	tenant := &tenants.Tenant{ID: "conv", RunTimeout: time.Minute,
		RentEngine: &tenants.RentEngine{BaseURL: fake.BaseURL(), Token: tenants.NewSecret("tok")}}
	runner := syncer.NewRunner(syncer.Config{Store: store}, zap.NewNop())
	ctx := context.Background()
	if _, err := runner.Run(ctx, tenant, tenants.JobRentEngine); err != nil {
		t.Fatal(err)
	}
	units := fake.IDs(rentenginefake.Units)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(fake.Update(rentenginefake.Units, units[0], map[string]any{"status": "Leased", "target_rental_rate": "1999"}))
	must(fake.Delete(rentenginefake.Units, units[1]))
	newID := fake.Insert(rentenginefake.Prospects, map[string]any{"name": "Webhook Walker", "email": "ww@example.com"})
	apply := func(ch string) {
		var c mirror.Change
		must(json.Unmarshal([]byte(ch), &c))
		if _, err := mirror.ApplyRentEngineChange(ctx, store, tenant.ID, c, time.Now().UTC()); err != nil {
			t.Fatalf("%s: %v", ch, err)
		}
	}
	apply(fmt.Sprintf(`{"type":"UPDATE","table":"units","record":{"id":%d,"status":"Leased","target_rental_rate":"1999"}}`, units[0]))
	apply(fmt.Sprintf(`{"type":"DELETE","table":"units","old_record":{"id":%d}}`, units[1]))
	raw, _ := fake.Raw(rentenginefake.Prospects, newID)
	apply(`{"type":"INSERT","table":"prospects","record":` + string(raw) + `}`)

	var rent float64
	must(dbtest.DB(store).Table("rentengine_units").Select("rent").Where("tenant_id = ? AND id = ?", tenant.ID, units[0]).Row().Scan(&rent))
	if rent != 1999 {
		t.Errorf("webhook update not visible before the pull: rent %v", rent)
	}
	if _, err := runner.Run(ctx, tenant, tenants.JobRentEngine); err != nil {
		t.Fatal(err)
	}
	diffs, err := mirrortest.RentEngineDiff(ctx, store, tenant.ID, fake)
	must(err)
	for _, d := range diffs {
		t.Error(d)
	}
}

// Every change a delivery makes is recorded in record_changes with the delivery's id: QStash's
// message id when the delivery has one, else a hash of its body. A retry of a delivery that
// landed records nothing.
func TestWebhookChangesRecordTheirDelivery(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		tenant := &tenants.Tenant{ID: "acme", RentEngine: &tenants.RentEngine{
			Webhook: &tenants.RentEngineWebhook{Header: "X-API-Key", APIKey: tenants.NewSecret(key)}}}
		mux := http.NewServeMux()
		mux.Handle(webhook.Path, webhook.New(webhook.Config{Store: store,
			Tenant: func(string) *tenants.Tenant { return tenant }}, zap.NewNop()))
		srv := httptest.NewServer(mux)
		defer srv.Close()
		send := func(body, messageID, want string) {
			t.Helper()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/rentengine/acme", strings.NewReader(body))
			req.Header.Set("X-API-Key", key)
			if messageID != "" {
				req.Header.Set(webhook.MessageIDHeader, messageID)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got struct{ Result, Error string }
			_ = json.NewDecoder(resp.Body).Decode(&got)
			if resp.StatusCode != 200 || got.Result != want {
				t.Fatalf("%s: %d %q (%s), want 200 %q", body, resp.StatusCode, got.Result, got.Error, want)
			}
		}
		insert := `{"type":"INSERT","table":"prospects","record":{"id":7,"name":"Kim Lee","status":"New","updated_at":"2026-11-20T10:00:00Z"}}`
		update := `{"type":"UPDATE","table":"prospects","record":{"id":7,"status":"Showing Scheduled","updated_at":"2026-11-20T11:00:00Z"}}`
		del := `{"type":"DELETE","table":"prospects","old_record":{"id":7,"updated_at":"2026-11-20T11:00:00Z"}}`
		send(insert, "msg_2ZkL9vQ1", "inserted")
		send(update, "", "updated")
		send(update, "", "unchanged") // QStash's retry of a delivery that landed
		send(del, "msg_2ZkLAAA3", "deleted")

		var changes []models.RecordChange
		if err := dbtest.DB(store).Where("tenant_id = ?", "acme").Order("changed_at").Find(&changes).Error; err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(update))
		want := []struct{ op, delivery string }{
			{models.OpInsert, "msg_2ZkL9vQ1"},
			{models.OpUpdate, "sha256:" + hex.EncodeToString(sum[:16])},
			{models.OpDelete, "msg_2ZkLAAA3"},
		}
		if len(changes) != len(want) {
			t.Fatalf("%d changes recorded, want %d: %+v", len(changes), len(want), changes)
		}
		for i, c := range changes {
			if c.Operation != want[i].op || c.DeliveryID == nil || *c.DeliveryID != want[i].delivery || c.RunID != nil ||
				c.Table != "rentengine_prospects" || c.RecordID != "7" {
				t.Errorf("change %d: %s %s delivery %v run %v, want %s by delivery %s", i, c.Operation, c.RecordID,
					c.DeliveryID, c.RunID, want[i].op, want[i].delivery)
			}
		}
		var fields map[string]map[string]any
		if err := json.Unmarshal(changes[1].Fields, &fields); err != nil {
			t.Fatal(err)
		}
		wantFields := map[string]map[string]any{
			"status":     {"old": "New", "new": "Showing Scheduled"},
			"updated_at": {"old": "2026-11-20T10:00:00Z", "new": "2026-11-20T11:00:00Z"},
		}
		if fmt.Sprint(fields) != fmt.Sprint(wantFields) {
			t.Errorf("update fields %v, want %v", fields, wantFields)
		}
	})
}

func TestDeliveryID(t *testing.T) {
	body := []byte(`{"type":"INSERT"}`)
	sum := sha256.Sum256(body)
	hashed := "sha256:" + hex.EncodeToString(sum[:16])
	for _, tc := range []struct{ header, want string }{
		{"msg_26hZCxZCuWyyTWPmSVBrNC1RADwx", "msg_26hZCxZCuWyyTWPmSVBrNC1RADwx"},
		{"", hashed},
		{"two words", hashed},
		{"caf\xc3\xa9", hashed},
		{strings.Repeat("m", 129), hashed},
	} {
		h := http.Header{}
		if tc.header != "" {
			h.Set(webhook.MessageIDHeader, tc.header)
		}
		if got := webhook.DeliveryID(h, body); got != tc.want {
			t.Errorf("header %q: %q, want %q", tc.header, got, tc.want)
		}
	}
}
