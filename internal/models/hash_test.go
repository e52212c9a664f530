package models

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
)

// hashRawCompacting is HashRaw as first written: always compact, then hash.
func hashRawCompacting(raw []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		raw = buf.Bytes()
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:16])
}

// HashRaw skips compacting when there is nothing to compact; the hash must not change.
func FuzzHashRaw(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{ "a" : 1 }`, `{"name":"Alice Park","x":[1, 2]}`,
		`{"s":"tab\there \" quoted"}`, "{\"a\":\n1}", `{"a":"\\"}`, `{"a":"\\" }`, `{"a":`, `[1 2]`, ` {"a":1}`,
		`{"a":"unterminated }`, `not json at all`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if got, want := HashRaw(raw), hashRawCompacting(raw); got != want {
			t.Fatalf("HashRaw(%q) = %s, want %s", raw, got, want)
		}
	})
}
