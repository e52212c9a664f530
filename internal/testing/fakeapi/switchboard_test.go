package fakeapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func newBoard() *Switchboard {
	return NewSwitchboard("testfake", []string{"GET /units", "POST /units"}, []string{"units", "prospects"})
}

func TestSetFieldType(t *testing.T) {
	const rec = `{"id":17,"bedrooms":"2","rent":"1925.50","tags":["a"],"address":{"city":"Oakland","zip":94607},"pets":null,"ok":true}`
	tests := []struct {
		field string
		kind  FieldKind
		want  string // the record as served
	}{
		{"id", FieldString, `{"id":"17","bedrooms":"2","rent":"1925.50","tags":["a"],"address":{"city":"Oakland","zip":94607},"pets":null,"ok":true}`},
		{"bedrooms", FieldObject, `{"id":17,"bedrooms":{"value":"2"},"rent":"1925.50","tags":["a"],"address":{"city":"Oakland","zip":94607},"pets":null,"ok":true}`},
		{"bedrooms", FieldNumber, `{"id":17,"bedrooms":2,"rent":"1925.50","tags":["a"],"address":{"city":"Oakland","zip":94607},"pets":null,"ok":true}`},
		{"rent", FieldNumber, `{"id":17,"bedrooms":"2","rent":1925.50,"tags":["a"],"address":{"city":"Oakland","zip":94607},"pets":null,"ok":true}`},
		{"bedrooms", FieldArray, `{"id":17,"bedrooms":["2"],"rent":"1925.50","tags":["a"],"address":{"city":"Oakland","zip":94607},"pets":null,"ok":true}`},
		{"bedrooms", FieldBool, `{"id":17,"bedrooms":true,"rent":"1925.50","tags":["a"],"address":{"city":"Oakland","zip":94607},"pets":null,"ok":true}`},
		{"bedrooms", FieldNull, `{"id":17,"bedrooms":null,"rent":"1925.50","tags":["a"],"address":{"city":"Oakland","zip":94607},"pets":null,"ok":true}`},
		{"bedrooms", FieldAbsent, `{"id":17,"rent":"1925.50","tags":["a"],"address":{"city":"Oakland","zip":94607},"pets":null,"ok":true}`},
		{"tags", FieldString, `{"id":17,"bedrooms":"2","rent":"1925.50","tags":"[\"a\"]","address":{"city":"Oakland","zip":94607},"pets":null,"ok":true}`},
		{"tags", FieldArray, rec}, // already an array
		{"address", FieldNumber, `{"id":17,"bedrooms":"2","rent":"1925.50","tags":["a"],"address":0,"pets":null,"ok":true}`},
		{"address.zip", FieldString, `{"id":17,"bedrooms":"2","rent":"1925.50","tags":["a"],"address":{"city":"Oakland","zip":"94607"},"pets":null,"ok":true}`},
		{"pets", FieldString, `{"id":17,"bedrooms":"2","rent":"1925.50","tags":["a"],"address":{"city":"Oakland","zip":94607},"pets":"","ok":true}`},
		{"ok", FieldNumber, `{"id":17,"bedrooms":"2","rent":"1925.50","tags":["a"],"address":{"city":"Oakland","zip":94607},"pets":null,"ok":1}`},
		{"missing", FieldString, rec},        // records without the field are served as stored
		{"address.city.x", FieldString, rec}, // a path through a string goes nowhere
		{"id.x", FieldObject, rec},           // nor through a number
	}
	for _, tt := range tests {
		t.Run(tt.field+" as "+string(tt.kind), func(t *testing.T) {
			b := newBoard()
			b.SetFieldType("units", tt.field, tt.kind)
			if got := string(b.Rewrite("units", []byte(rec))); got != tt.want {
				t.Errorf("served\n%s\nwant\n%s", got, tt.want)
			}
			if got := string(b.Rewrite("prospects", []byte(rec))); got != rec {
				t.Errorf("another resource changed: %s", got)
			}
		})
	}
}

func TestMutateFieldThroughArrays(t *testing.T) {
	b := newBoard()
	const rec = `{"id":1,"people":[{"email":"A@X.COM","phone":"1"},{"phone":"2"},{"email":null}],"b":1}`
	var seen []any
	b.MutateField("prospects", "people.email", func(v any) any {
		seen = append(seen, v)
		if s, ok := v.(string); ok {
			return strings.ToLower(s)
		}
		return Absent
	})
	b.SetFieldType("prospects", "id", FieldString)
	want := `{"id":"1","people":[{"email":"a@x.com","phone":"1"},{"phone":"2"},{}],"b":1}`
	if got := string(b.Rewrite("prospects", []byte(rec))); got != want {
		t.Errorf("served %s, want %s", got, want)
	}
	if len(seen) != 2 || seen[0] != "A@X.COM" || seen[1] != nil {
		t.Errorf("fn saw %v; want the two present values", seen)
	}
	// Setting the same field again replaces the change; restoring it drops it.
	b.SetFieldType("prospects", "id", FieldObject)
	b.RestoreField("prospects", "people.email")
	if got := string(b.Rewrite("prospects", []byte(rec))); got != `{"id":{"value":1},"people":[{"email":"A@X.COM","phone":"1"},{"phone":"2"},{"email":null}],"b":1}` {
		t.Errorf("after replace and restore: %s", got)
	}
	// Numbers reach fn as json.Number, so large ids keep every digit.
	b.MutateField("units", "id", func(v any) any { return v.(json.Number) + "0" })
	if got := string(b.Rewrite("units", []byte(`{"id":9007199254740993}`))); got != `{"id":90071992547409930}` {
		t.Errorf("served %s", got)
	}
	b.Reset()
	if got := b.Rewrite("prospects", []byte(rec)); string(got) != rec {
		t.Errorf("after Reset: %s", got)
	}
}

func TestSwitchboardPanicsOnUnknownNames(t *testing.T) {
	b := newBoard()
	tests := map[string]func(){
		"unknown endpoint":    func() { b.Disable("GET /unit") },
		"unknown enable":      func() { b.Enable("GET /unit") },
		"status 500":          func() { b.DisableWith("GET /units", 500) },
		"unknown resource":    func() { b.SetFieldType("unit", "id", FieldString) },
		"unknown kind":        func() { b.SetFieldType("units", "id", "integer") },
		"empty path element":  func() { b.MutateField("units", "address..city", func(v any) any { return v }) },
		"unknown resource fn": func() { b.MutateField("leases", "id", func(v any) any { return v }) },
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			fn()
		})
	}
	if st := b.State(); len(st.Disabled) != 0 || len(st.Fields) != 0 {
		t.Errorf("a rejected change was applied: %+v", st)
	}
}

func TestDisable(t *testing.T) {
	b := newBoard()
	b.Disable("GET /units")
	b.DisableWith("POST /units", http.StatusGone)
	if s, off := b.Disabled("GET /units"); !off || s != 404 {
		t.Errorf("GET /units: %d %v", s, off)
	}
	if s, off := b.Disabled("POST /units"); !off || s != 410 {
		t.Errorf("POST /units: %d %v", s, off)
	}
	b.Enable("GET /units")
	if _, off := b.Disabled("GET /units"); off {
		t.Error("still off after Enable")
	}
	if err := b.TryDisable("GET /nope", 404); err == nil || !strings.Contains(err.Error(), `"GET /units"`) {
		t.Errorf("TryDisable of an unknown endpoint: %v (should list the known ones)", err)
	}
}

func TestApply(t *testing.T) {
	b := newBoard()
	err := b.Apply(SwitchRequest{
		Disable:    map[string]int{"GET /units": 0, "GET /x": 404, "POST /units": 302},
		FieldTypes: map[string]FieldKind{"units.id": "string", "units": "string", "leases.id": "string", "units.a": "int"},
		Enable:     []string{"GET /y"},
	})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`"GET /x"`, "302", `"units" is not RESOURCE.FIELD`, `"leases"`, `"int"`, `"GET /y"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if st := b.State(); len(st.Disabled) != 0 || len(st.Fields) != 0 {
		t.Errorf("an invalid request changed something: %+v", st)
	}
	if err := b.Apply(SwitchRequest{
		Disable:    map[string]int{"GET /units": 0, "POST /units": 405},
		FieldTypes: map[string]FieldKind{"units.id": FieldString, "prospects.people.email": FieldNull},
	}); err != nil {
		t.Fatal(err)
	}
	st := b.State()
	if st.Disabled["GET /units"] != 404 || st.Disabled["POST /units"] != 405 ||
		st.Fields["units.id"] != "string" || st.Fields["prospects.people.email"] != "null" {
		t.Errorf("state %+v", st)
	}
	if err := b.Apply(SwitchRequest{Reset: true, Enable: []string{"POST /units"}, RestoreFields: []string{"units.id"}}); err != nil {
		t.Fatal(err)
	}
	if st := b.State(); len(st.Disabled) != 0 || len(st.Fields) != 0 {
		t.Errorf("after reset: %+v", st)
	}
}

func TestHostSwitchesAndAdmin(t *testing.T) {
	var h *Host
	h = NewHost(HostConfig{Name: "testfake", Endpoints: []string{"GET /units"}, Resources: []string{"units"}},
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if status, off := h.Disabled("GET " + r.URL.Path); off {
				w.WriteHeader(status)
				return
			}
			WriteRawJSON(w, http.StatusOK, h.Rewrite("units", []byte(`{"id":1}`)))
		}))
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	do := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, h.URL()+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The Go API, promoted from the embedded Switchboard.
	h.Disable("GET /units")
	if code, _ := do("GET", "/units", ""); code != 404 {
		t.Errorf("disabled: %d", code)
	}
	h.Reset()
	// The same over HTTP.
	code, body := do("POST", AdminPath, `{"disable": {"GET /units": 410}, "field_types": {"units.id": "string"}}`)
	if code != 200 || !strings.Contains(body, `"GET /units":410`) || !strings.Contains(body, `"units.id":"string"`) {
		t.Fatalf("admin POST: %d %s", code, body)
	}
	if code, _ := do("GET", "/units", ""); code != 410 {
		t.Errorf("disabled over HTTP: %d", code)
	}
	do("POST", AdminPath, `{"enable": ["GET /units"]}`)
	if code, body := do("GET", "/units", ""); code != 200 || body != `{"id":"1"}` {
		t.Errorf("field type over HTTP: %d %s", code, body)
	}
	for _, tt := range []struct{ method, body string }{
		{"POST", `{"disable": {"GET /nope": 404}}`},
		{"POST", `{"disabel": {}}`}, // unknown keys are typos
		{"POST", `not json`},
	} {
		if code, body := do(tt.method, AdminPath, tt.body); code != 400 || !strings.Contains(body, "error") {
			t.Errorf("admin %s %s: %d %s", tt.method, tt.body, code, body)
		}
	}
	code, body = do("GET", AdminPath, "")
	var st AdminState
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil || len(st.Endpoints) != 1 || st.Resources[0] != "units" ||
		st.Fields["units.id"] != "string" {
		t.Errorf("admin GET: %d %s", code, body)
	}
	if code, _ := do("DELETE", AdminPath, ""); code != 405 {
		t.Errorf("admin DELETE: %d", code)
	}
	// Admin requests are not the API's traffic.
	for _, r := range h.Requests() {
		if r.Path == AdminPath {
			t.Errorf("admin request recorded: %+v", r)
		}
	}
}
