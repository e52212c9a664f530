package upstream

import (
	"encoding/json"
	"reflect"
	"testing"
)

// splitArray must give what json.Unmarshal into []json.RawMessage gives, for every valid array.
func FuzzSplitArray(f *testing.F) {
	for _, s := range []string{`[]`, `[ ]`, `[1]`, `[ 1 , 2 ]`, `[{"a":"x,y]"},{"b":[1,{"c":"\""}]}]`,
		`[ {"id":1} ,  {"id":"2"}  ]`, `["a\\",", null, true, -1.5e3, [] , {}]`, "[\n\t{\"k\": \"v\\n\"}\r\n]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) || len(raw) == 0 || raw[0] != '[' || raw[len(raw)-1] != ']' {
			return
		}
		var want []json.RawMessage
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		got := splitArray(raw)
		if len(want) == 0 && len(got) == 0 {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("splitArray(%q) = %q, want %q", raw, got, want)
		}
	})
}
