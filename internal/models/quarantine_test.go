package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// unstorableCases are raw records, each with whether Postgres jsonb accepts it.
var unstorableCases = []struct {
	name string
	raw  string
	ok   bool
}{
	{"plain", `{"id":1,"name":"Kim Lee","rent":"1,925.00"}`, true},
	{"common escapes", `{"id":1,"notes":"line\nbreak \"quoted\" back\\slash \/ tab\t"}`, true},
	{"non-ASCII, raw and escaped", `{"id":1,"name":"José \u00e9 \u2028"}`, true},
	{"a surrogate pair", `{"id":1,"name":"\ud83d\ude00 and \uD83D\uDE00"}`, true},
	{"an escaped backslash before u0000", `{"id":1,"notes":"C:\\u0000"}`, true},
	{"an escaped backslash before ud800", `{"id":1,"notes":"\\ud800"}`, true},
	{"\\u0000 in a value", `{"id":1,"name":"a\u0000b"}`, false},
	{"\\u0000 in a key", `{"id":1,"a\u0000":1}`, false},
	{"\\u0000 after an escaped backslash", `{"id":1,"notes":"\\\u0000"}`, false},
	{"a lone high surrogate", `{"id":1,"name":"\ud800"}`, false},
	{"a lone high surrogate at the end of a string", `{"id":1,"name":"x\uD800"}`, false},
	{"a high surrogate followed by a non-surrogate", `{"id":1,"name":"\ud800\u0041"}`, false},
	{"two high surrogates", `{"id":1,"name":"\ud800\ud800"}`, false},
	{"a lone low surrogate", `{"id":1,"name":"\udc00"}`, false},
	{"a low surrogate before a high one", `{"id":1,"name":"\ude00\ud83d"}`, false},
	{"invalid UTF-8", "{\"id\":1,\"name\":\"caf\xe9\"}", false},
	{"a truncated UTF-8 sequence", "{\"id\":1,\"name\":\"\xe2\x82\"}", false},
}

// TestUnstorableAgreesWithPostgres: the rule refuses exactly what Postgres jsonb refuses, so the
// pre-check spares the database round trip without quarantining anything Postgres would take.
func TestUnstorableAgreesWithPostgres(t *testing.T) {
	store := dbtest.Postgres(t)
	for _, tc := range unstorableCases {
		t.Run(tc.name, func(t *testing.T) {
			var out string
			err := dbtest.DB(store).Raw("SELECT CAST(CAST(? AS text) AS jsonb)::text", tc.raw).Row().Scan(&out)
			if (err == nil) != tc.ok {
				t.Fatalf("fixture: Postgres accepts = %v (%v), want %v", err == nil, err, tc.ok)
			}
			why := models.Unstorable([]byte(tc.raw))
			if (why == "") != tc.ok {
				t.Errorf("Unstorable(%q) = %q, want storable = %v", tc.raw, why, tc.ok)
			}
			if err != nil && !models.IsDataError(err) {
				t.Errorf("Postgres' refusal %v is not a data error", err)
			}
		})
	}
}

// Unstorable runs on every record of every pull: a clean record costs no allocation.
func TestUnstorableDoesNotAllocate(t *testing.T) {
	raw := []byte(`{"id":12,"name":"Kim \"K\" Lee","email":"kim@example.com","notes":"caf\u00e9 \ud83d\ude00","updated_at":"2026-11-20T10:00:00Z"}`)
	if n := testing.AllocsPerRun(100, func() { _ = models.Unstorable(raw) }); n != 0 {
		t.Errorf("Unstorable allocates %v times per clean record", n)
	}
}

func BenchmarkUnstorable(b *testing.B) {
	raw := []byte(`{"id":12,"name":"Kim Lee","email":"kim@example.com","phone":"(555) 404-1000","status":"Showing Scheduled",` +
		`"source":"Zillow","unit_of_interest":"4411","notes":"prefers \"mornings\"\nno pets","created_at":"2026-11-01T10:00:00Z",` +
		`"updated_at":"2026-11-20T10:00:00Z"}`)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		_ = models.Unstorable(raw)
	}
}

// TestQuarantine: a record refused on every run is one bad_records row holding its bytes exactly
// as received; the row tracks the latest refusal.
func TestQuarantine(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
		raw := []byte("{\"id\":7,\"name\":\"a\\u0000b caf\xe9\"}")
		q := models.Quarantined{Tenant: "acme", Table: "rentengine_units", RecordID: "7", Reason: models.ReasonInvalidUTF8,
			Raw: raw, Source: models.SourcePull, RunID: "run-1", At: t0}
		if err := s.Quarantine(ctx, q); err != nil {
			t.Fatal(err)
		}
		q.RunID, q.At, q.Reason = "", t0.Add(time.Hour), "the database refused it: \x00 bad \xff"
		q.Source = models.SourceWebhook
		if err := s.Quarantine(ctx, q); err != nil {
			t.Fatal(err)
		}
		if err := s.Quarantine(ctx, models.Quarantined{Tenant: "beta", Table: "rentengine_units", RecordID: "7",
			Reason: models.ReasonNUL, Raw: raw, Source: models.SourcePull, RunID: "run-2", At: t0}); err != nil {
			t.Fatal(err)
		}
		got, err := s.BadRecords(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("%d bad_records rows for acme, want 1: %+v", len(got), got)
		}
		b := got[0]
		if b.Table != "rentengine_units" || b.RecordID != "7" || b.Source != models.SourceWebhook || b.RunID != nil ||
			b.TimesSeen != 2 || !b.FirstSeenAt.Equal(t0) || !b.LastSeenAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("bad_records row %+v", b)
		}
		if b.Reason != "the database refused it: \uFFFD bad \uFFFD" {
			t.Errorf("stored reason %q", b.Reason)
		}
		if stored, err := b.Bytes(); err != nil || string(stored) != string(raw) {
			t.Errorf("stored bytes %q (%v), want %q", stored, err, raw)
		}
	})
}
