package funnel_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
)

// answer is how a test server answers a write.
type answer struct {
	status      int
	contentType string
	body        string
}

// answering starts a server that answers every request with a, and a client of it that would
// retry anything retryable.
func answering(t *testing.T, a answer) (*funnel.Client, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		if a.contentType != "" {
			w.Header().Set("Content-Type", a.contentType)
		}
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(srv.Close)
	c, err := funnel.New(funnel.Config{BaseURL: srv.URL, APIKey: key, CompanyID: 1, Upstream: upstream.Config{
		Retry: upstream.RetryPolicy{Base: time.Millisecond, Cap: time.Millisecond, MaxAttempts: 3}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, &calls
}

const (
	jsonType = "application/json"
	htmlType = "text/html; charset=utf-8"
	page     = "<!doctype html><html><head><title>502 Bad Gateway</title></head><body><h1>Please wait</h1></body></html>"
)

// checkUnverified fails the test unless err is the unverified answer of a single call, naming
// want in its reason.
func checkUnverified(t *testing.T, err error, calls int32, status int, want string) {
	t.Helper()
	var ue *upstream.Error
	if !errors.As(err, &ue) || ue.Kind != upstream.KindUnverified || ue.Status != status {
		t.Fatalf("err = %v, want an unverified %d answer", err, status)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to say %q", err, want)
	}
	if calls != 1 {
		t.Errorf("%d calls, want 1: an unverified write is not repeated", calls)
	}
}

func TestPostCustomerScoreCountsOnlyTheDocumentedEcho(t *testing.T) {
	score := funnel.CustomerScore{Name: "syncd-fit", Value: 7, Maximum: 10,
		SubmittedAt: time.Date(2025, 6, 5, 0, 34, 0, 0, time.UTC), Email: "a@example.com"}
	const echo = `{"id": 4411, "customer_score_name": "syncd-fit", "customer_score_value": 7, "customer_score_maximum": 10,
		"customer_score_submitted_at": "2025-06-05T00:34:00"}`
	tests := []struct {
		name string
		a    answer
		// want is "" for a verified answer, or a fragment of the failure's reason.
		want     string
		clientID string
	}{
		{"201 with the echo", answer{201, jsonType, echo}, "", "4411"},
		{"200 with numbers as strings, a string id, an unknown field and an odd timestamp", answer{200, jsonType + "; charset=utf-8",
			`{"id": "c-19", "customer_score_name": "syncd-fit", "customer_score_value": "7", "customer_score_maximum": "10.0",
			"customer_score_submitted_at": "June 5th", "extra": {"x": 1}}`}, "", "c-19"},
		{"200 with an HTML body", answer{200, htmlType, page}, "content type is not JSON", ""},
		{"200 with an HTML body declared as JSON", answer{200, jsonType, page}, "the body is not JSON", ""},
		{"200 with an empty body", answer{200, jsonType, ""}, "the body is empty", ""},
		{"200 with JSON of another shape", answer{200, jsonType, `{"status": "ok"}`}, "customer_score_name absent", ""},
		{"200 with an array", answer{200, jsonType, "[" + echo + "]"}, "not an object", ""},
		{"200 with null", answer{200, jsonType, "null"}, "not an object", ""},
		{"echo with a different value", answer{200, jsonType, strings.Replace(echo, `"customer_score_value": 7`, `"customer_score_value": 8`, 1)},
			"customer_score_value 8, sent 7", ""},
		{"echo with a different name", answer{200, jsonType, strings.Replace(echo, `"customer_score_name": "syncd-fit"`, `"customer_score_name": "fit"`, 1)},
			`customer_score_name "fit", sent "syncd-fit"`, ""},
		{"echo with a different maximum", answer{200, jsonType, strings.Replace(echo, `"customer_score_maximum": 10`, `"customer_score_maximum": 100`, 1)},
			"customer_score_maximum 100, sent 10", ""},
		{"echo with a value that is no integer", answer{200, jsonType, strings.Replace(echo, `"customer_score_value": 7`, `"customer_score_value": 7.5`, 1)},
			"customer_score_value 7.5, sent 7", ""},
		{"echo without the client id", answer{200, jsonType, strings.Replace(echo, `"id": 4411,`, ``, 1)}, "id absent", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, calls := answering(t, tt.a)
			res, err := c.PostCustomerScore(context.Background(), score)
			if tt.want != "" {
				checkUnverified(t, err, calls.Load(), tt.a.status, tt.want)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.ClientID.Text != tt.clientID || res.Name.V != "syncd-fit" || res.Value.V != 7 || res.Maximum.V != 10 {
				t.Errorf("result %+v", res)
			}
		})
	}
}

func TestSetRenewalStatusCountsOnlyTheDocumentedAnswer(t *testing.T) {
	tests := []struct {
		name string
		a    answer
		want string
		id   int64
	}{
		{"200 with the id", answer{200, jsonType, `{"renewal_status_id": 700001}`}, "", 700001},
		{"201 with the id as a string", answer{201, jsonType, `{"renewal_status_id": "700002", "extra": true}`}, "", 700002},
		{"200 with an HTML body", answer{200, htmlType, page}, "content type is not JSON", 0},
		{"200 with an empty body", answer{200, jsonType, ""}, "the body is empty", 0},
		{"204 No Content", answer{204, "", ""}, "the body is empty", 0},
		{"200 with JSON of another shape", answer{200, jsonType, `{"ok": true}`}, "renewal_status_id absent, want an integer", 0},
		{"200 with an id that is no integer", answer{200, jsonType, `{"renewal_status_id": "card-9"}`}, `renewal_status_id "card-9"`, 0},
		{"200 with a null id", answer{200, jsonType, `{"renewal_status_id": null}`}, "renewal_status_id null", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, calls := answering(t, tt.a)
			on := true
			id, err := c.SetRenewalStatus(context.Background(), "1234", 5, 6, funnel.RenewalCard{CardStatus: &on})
			if tt.want != "" {
				checkUnverified(t, err, calls.Load(), tt.a.status, tt.want)
				return
			}
			if err != nil || id != tt.id {
				t.Fatalf("id %d, err %v; want %d", id, err, tt.id)
			}
		})
	}
}

// TestFakeWriteAnswersAreTheDocumentedOnes: funnelfake answers both writes as documented, so the
// happy path verifies; its field switches play an upstream that answers otherwise.
func TestFakeWriteAnswersAreTheDocumentedOnes(t *testing.T) {
	b := setup(t, funnel.AuthBasic, key)
	id := b.fake.IDs(b.community.ID, funnelfake.Prospects)[0]
	raw, _ := b.fake.Raw(b.community.ID, funnelfake.Prospects, id)
	var p struct {
		People []struct {
			Email *string `json:"email"`
		} `json:"people"`
	}
	if err := json.Unmarshal(raw, &p); err != nil || len(p.People) == 0 || p.People[0].Email == nil {
		t.Fatalf("fixture: first prospect %s has no e-mail", raw)
	}
	score := funnel.CustomerScore{Name: "fit", Value: 3, Maximum: 5, SubmittedAt: time.Now(), Email: *p.People[0].Email}
	rid := b.fake.IDs(b.community.ID, funnelfake.Renewals)[0]
	renewal, _ := b.fake.Get(b.community.ID, funnelfake.Renewals, rid)
	renter, unit := asInt(t, renewal["funnel_renter_id"]), asInt(t, renewal["funnel_unit_id"])
	post := func() error { _, err := b.client.PostCustomerScore(context.Background(), score); return err }
	put := func() error {
		_, err := b.client.SetRenewalStatus(context.Background(), b.community.Numeric(), renter, unit, funnel.RenewalCard{})
		return err
	}

	if err := errors.Join(post(), put()); err != nil {
		t.Fatalf("the fake's own answers do not verify: %v", err)
	}
	for _, f := range []string{"id", "customer_score_value", "customer_score_maximum"} {
		b.fake.SetFieldType(funnelfake.ResourceCustomerScore, f, fakeapi.FieldString)
	}
	b.fake.SetFieldType(funnelfake.ResourceRenewalStatus, "renewal_status_id", fakeapi.FieldString)
	if err := errors.Join(post(), put()); err != nil {
		t.Fatalf("answers with numbers as strings do not verify: %v", err)
	}
	b.fake.Reset()
	b.fake.MutateField(funnelfake.ResourceCustomerScore, "customer_score_value", func(any) any { return 4 })
	b.fake.MutateField(funnelfake.ResourceRenewalStatus, "renewal_status_id", func(any) any { return fakeapi.Absent })
	if err := post(); upstream.KindOf(err) != upstream.KindUnverified || !strings.Contains(err.Error(), "customer_score_value 4, sent 3") {
		t.Errorf("an echo with another value: err = %v", err)
	}
	if err := put(); upstream.KindOf(err) != upstream.KindUnverified {
		t.Errorf("an answer without renewal_status_id: err = %v", err)
	}
}
