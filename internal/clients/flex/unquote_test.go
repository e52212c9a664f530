package flex

import (
	"encoding/json"
	"testing"
)

// unquote's fast path must give exactly what encoding/json gives, errors included.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`""`, `"plain"`, `"  spaced  "`, `"caf\u00e9"`, `"tab\there"`, "\"raw\ttab\"",
		`"quote\"inside"`, `"back\\slash"`, "\"bad utf8 \xff\"", `"é"`, `"unterminated`, `"a"b"`, `"\u2028"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || b[0] != '"' {
			return
		}
		got, gotErr := unquote(b)
		var want string
		wantErr := json.Unmarshal(b, &want)
		if (gotErr != nil) != (wantErr != nil) || got != want {
			t.Fatalf("unquote(%q) = %q, %v; encoding/json: %q, %v", b, got, gotErr, want, wantErr)
		}
	})
}
