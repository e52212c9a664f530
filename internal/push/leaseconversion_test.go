package push

import (
	"regexp"
	"testing"

	"github.com/syncd-dev/syncd/internal/tenants"
)

func TestHitID(t *testing.T) {
	notes := tenants.HitIDSource{Path: "notes", Pattern: `ff_hit=([0-9A-Za-z]+)`, Regexp: regexp.MustCompile(`ff_hit=([0-9A-Za-z]+)`)}
	cases := []struct {
		name string
		raw  string
		src  tenants.HitIDSource
		want string
	}{
		{"pattern in notes", `{"notes":"Lead form; ff_hit=01dkezmsf3bat8xdbz8rt039rh utm=x"}`, notes, "01dkezmsf3bat8xdbz8rt039rh"},
		{"no match", `{"notes":"walked in"}`, notes, ""},
		{"no notes", `{"name":"x"}`, notes, ""},
		{"null notes", `{"notes":null}`, notes, ""},
		{"nested path, whole value", `{"custom_fields":{"ff_hit":" abc123h "}}`, tenants.HitIDSource{Path: "custom_fields.ff_hit"}, "abc123h"},
		{"path through a non-object", `{"custom_fields":"text"}`, tenants.HitIDSource{Path: "custom_fields.ff_hit"}, ""},
		{"pattern over the whole record", `{"a":{"b":"hit=zz9h"}}`,
			tenants.HitIDSource{Pattern: `hit=(\w+)`, Regexp: regexp.MustCompile(`hit=(\w+)`)}, "zz9h"},
		{"pattern without a group", `{"notes":"x 01abch y"}`,
			tenants.HitIDSource{Path: "notes", Pattern: `[0-9a-z]+h\b`, Regexp: regexp.MustCompile(`[0-9a-z]+h\b`)}, "01abch"},
		{"not JSON", `nope`, notes, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := HitID([]byte(tc.raw), tc.src); got != tc.want {
				t.Errorf("HitID = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTransactionID(t *testing.T) {
	cases := []struct {
		prospect int64
		stage    string
		want     string
	}{
		{42, "Lease Signed", "syncd-lease-42-lease-signed"},
		{7, "Prescreen Rejected - Credit", "syncd-lease-7-prescreen-rejected-credit"},
		{7, "Contacted, Awaiting Information", "syncd-lease-7-contacted-awaiting-information"},
	}
	for _, tc := range cases {
		if got := TransactionID(tc.prospect, tc.stage); got != tc.want {
			t.Errorf("TransactionID(%d, %q) = %q, want %q", tc.prospect, tc.stage, got, tc.want)
		}
	}
	if TransactionID(1, "Lease Signed") == TransactionID(1, "Moved In") || TransactionID(1, "Lease Signed") == TransactionID(11, "Lease Signed") {
		t.Error("transaction ids collide across prospects or stages")
	}
}
