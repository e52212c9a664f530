package probe

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/clients/flex"
	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/clients/funnelflux"
	"github.com/syncd-dev/syncd/internal/clients/rentengine"
)

// Every record type the clients map has a spec: each field's Go type has a known JSON kind and
// every nested entry names a raw field. A new flex type or a stale Nested entry fails here.
func TestEveryShapeHasASpec(t *testing.T) {
	shapes := map[string]flex.Shape{"funnel community": funnel.CommunityShape()}
	for _, r := range rentengine.Resources {
		shapes["rentengine "+string(r)] = r.Shape()
	}
	for _, a := range funnelflux.Assets {
		shapes["funnelflux "+string(a)] = a.Shape()
	}
	for _, r := range funnel.Resources {
		shapes["funnel "+string(r)] = r.Shape()
	}
	for name, sh := range shapes {
		s, err := buildSpec(sh)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !slices.ContainsFunc(s.fields, func(f fieldSpec) bool { return f.key == sh.ID }) {
			t.Errorf("%s: the id %q is not a field", name, sh.ID)
		}
	}
	// Spot checks of what the reflection finds.
	s, _ := buildSpec(funnel.Prospects.Shape())
	if got := paths(s, ""); !slices.Contains(got, "people[].email") || !slices.Contains(got, "agents[]") ||
		slices.Contains(got, "People") || slices.Contains(got, "Agents") {
		t.Errorf("funnel prospect paths %v", got)
	}
	s, _ = buildSpec(rentengine.Units.Shape())
	if got := paths(s, ""); !slices.Contains(got, "address.city") || slices.Contains(got, "city") {
		t.Errorf("rentengine unit paths %v", got)
	}

	bad := []flex.Shape{
		{Record: struct {
			ID flex.ID    `json:"id"`
			C  complex128 `json:"c"`
		}{}, ID: "id"},
		{Record: rentengine.Prospect{}, ID: "id", Nested: map[string]any{"nope": struct{}{}}},
	}
	for _, sh := range bad {
		if _, err := buildSpec(sh); err == nil {
			t.Errorf("buildSpec(%T, nested %v) did not fail", sh.Record, sh.Nested)
		}
	}
}

func paths(s *spec, prefix string) []string {
	var out []string
	for _, f := range s.fields {
		p := joinPath(prefix, f.key)
		out = append(out, p)
		sub := f.spec
		for sub.expect == kindArray && sub.elem != nil {
			p += "[]"
			out = append(out, p)
			sub = sub.elem
		}
		out = append(out, paths(sub, p)...)
	}
	return out
}

func TestKindOf(t *testing.T) {
	for in, want := range map[string]string{
		`null`: "null", `true`: "boolean", `3`: "number", `-1.5e3`: "number", `"x"`: "string",
		`"17"`: "string (numeric)", `" 1925.00 "`: "string (numeric)", `""`: "string (empty)", `{}`: "object", `[1]`: "array",
	} {
		if got := kindOf([]byte(in)); got != want {
			t.Errorf("kindOf(%s) = %q, want %q", in, got, want)
		}
	}
}

// The verdict on a value comes from the client's own decoder: a numeric string id is read, a
// word is not; an object where a number belongs is not; a unit's address as the documented
// integer is read although an object is expected.
func TestAnalyzerUsesTheMapper(t *testing.T) {
	a, err := newAnalyzer(rentengine.Units.Shape())
	if err != nil {
		t.Fatal(err)
	}
	recs := []json.RawMessage{
		json.RawMessage(`{"id":"17","bedrooms":{"v":2},"address":5521,"created_at":"last tuesday","extra":1}`),
		json.RawMessage(`{"id":"abc","bedrooms":2,"address":{"city":"Austin","lat":1}}`),
		json.RawMessage(`{"id":18,"bedrooms":"3"}`),
		json.RawMessage(`{"id":18}`),
	}
	ids := a.page(recs)
	r := a.report()
	if !slices.Equal(ids, []string{"17", "abc", "18", "18"}) || !slices.Equal(r.DuplicateIDs, []string{"18"}) {
		t.Errorf("ids %v, duplicates %v", ids, r.DuplicateIDs)
	}
	if r.Records != 4 || r.Unreadable != 2 {
		t.Errorf("records %d, unreadable %d", r.Records, r.Unreadable)
	}
	want := map[string]string{
		"id":         "expected number, got string ×1, string (numeric) ×1, the mapper cannot read it",
		"bedrooms":   "expected number, got object ×1, string (numeric) ×1, the mapper cannot read it",
		"address":    "expected object, got number ×1, tolerated",
		"created_at": "expected string, got string ×1, the mapper cannot read it",
	}
	got := map[string]string{}
	for _, d := range r.Types {
		got[d.Field] = d.String()
	}
	for field, w := range want {
		if !strings.HasPrefix(got[field], field+": "+w) {
			t.Errorf("%s: %q, want %q", field, got[field], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("type differences %v", got)
	}
	if r.Unknown["extra"] != 1 || r.Unknown["address.lat"] != 1 {
		t.Errorf("unknown %v", r.Unknown)
	}
	if !slices.Contains(r.Absent, "sqft") || slices.Contains(r.Absent, "address.city") {
		t.Errorf("absent %v", r.Absent)
	}
	for _, e := range append(slices.Clone(r.DecodeErrors), got["created_at"]) {
		if strings.Contains(e, "tuesday") || strings.Contains(e, "abc") {
			t.Errorf("an error quotes a value: %q", e)
		}
	}
}
