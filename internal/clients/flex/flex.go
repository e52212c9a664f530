// Package flex provides JSON scalar types that decode what real APIs send rather than what their
// documentation promises: numbers as strings ("3", "1925.00"), ids that flip between number and
// string, empty strings and nulls for absent values, and timestamps in several layouts.
//
// Every type is a value with a Valid flag (null, absent and "" all decode as not valid), and
// decoding never fails on a well-formed JSON value of an unexpected kind when a reasonable
// reading exists. It fails only where no reading exists (an object where a number belongs),
// so the caller can log the record as bad.
package flex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// isNull reports whether b is JSON null (or empty, for absent fields decoded by hand).
func isNull(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || bytes.Equal(b, []byte("null"))
}

// scalarText returns the content of a JSON string, trimmed of surrounding space, or the raw token
// for numbers and booleans; an object or an array is an error.
func scalarText(b []byte) (string, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		s, err := unquote(b)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(s), nil
	}
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		return "", fmt.Errorf("expected a scalar, got %s", excerpt(b))
	}
	return string(b), nil
}

// unquote decodes the JSON string literal b. A literal without escapes whose content is valid
// UTF-8 without control characters, which is nearly every one, decodes to exactly its content, so
// that case is a copy; anything else goes through encoding/json. Each field of each record
// used to run a nested json.Unmarshal here, a large share of a pull's CPU.
func unquote(b []byte) (string, error) {
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' {
		c := b[1 : n-1]
		plain := true
		for _, ch := range c {
			if ch < 0x20 || ch == '"' || ch == '\\' {
				plain = false
				break
			}
		}
		if plain && utf8.Valid(c) {
			return string(c), nil
		}
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

func excerpt(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// Int is an integer that may arrive as a number, a numeric string, or a float with no fraction.
type Int struct {
	V     int64
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (i *Int) UnmarshalJSON(b []byte) error {
	*i = Int{}
	if isNull(b) {
		return nil
	}
	s, err := scalarText(b)
	if err != nil {
		return err
	}
	if s == "" {
		return nil
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*i = Int{V: v, Valid: true}
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return fmt.Errorf("not an integer: %q", s)
	}
	*i = Int{V: int64(f), Valid: true}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (i Int) MarshalJSON() ([]byte, error) {
	if !i.Valid {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, i.V, 10), nil
}

// Ptr returns nil when not valid.
func (i Int) Ptr() *int64 {
	if !i.Valid {
		return nil
	}
	v := i.V
	return &v
}

// moneyMarks strips thousands separators and dollar signs. Built once: a Replacer builds its
// tables on first use, which per call cost more than the rest of a unit's decoding.
var moneyMarks = strings.NewReplacer(",", "", "$", "")

// Float is a decimal that may arrive as a number or a string ("1925", "1,925.00", "$1925").
type Float struct {
	V     float64
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	*f = Float{}
	if isNull(b) {
		return nil
	}
	s, err := scalarText(b)
	if err != nil {
		return err
	}
	s = moneyMarks.Replace(s)
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("not a number: %q", s)
	}
	*f = Float{V: v, Valid: true}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	if !f.Valid {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f.V, 'f', -1, 64), nil
}

// Ptr returns nil when not valid.
func (f Float) Ptr() *float64 {
	if !f.Valid {
		return nil
	}
	v := f.V
	return &v
}

// String is text that may arrive as a string, a number or a boolean.
type String struct {
	V     string
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *String) UnmarshalJSON(b []byte) error {
	*s = String{}
	if isNull(b) {
		return nil
	}
	b = bytes.TrimSpace(b)
	if b[0] == '"' {
		v, err := unquote(b)
		if err != nil {
			return err
		}
		*s = String{V: v, Valid: v != ""}
		return nil
	}
	if b[0] == '{' || b[0] == '[' {
		return fmt.Errorf("expected text, got %s", excerpt(b))
	}
	*s = String{V: string(b), Valid: true}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (s String) MarshalJSON() ([]byte, error) {
	if !s.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(s.V)
}

// Ptr returns nil when not valid.
func (s String) Ptr() *string {
	if !s.Valid {
		return nil
	}
	v := s.V
	return &v
}

// Bool accepts true/false, "true"/"false"/"yes"/"no", and 1/0.
type Bool struct {
	V     bool
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *Bool) UnmarshalJSON(b []byte) error {
	*v = Bool{}
	if isNull(b) {
		return nil
	}
	s, err := scalarText(b)
	if err != nil {
		return err
	}
	switch strings.ToLower(s) {
	case "":
		return nil
	case "true", "yes", "y", "1", "t":
		*v = Bool{V: true, Valid: true}
	case "false", "no", "n", "0", "f":
		*v = Bool{V: false, Valid: true}
	default:
		return fmt.Errorf("not a boolean: %q", s)
	}
	return nil
}

// Ptr returns nil when not valid.
func (v Bool) Ptr() *bool {
	if !v.Valid {
		return nil
	}
	x := v.V
	return &x
}

// timeLayouts are tried in order. Naive layouts (no zone) are read as UTC: the upstreams send
// naive local times for some fields, and UTC is the documented, reversible choice.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999-07",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
	time.RFC1123,
	time.RFC1123Z,
}

// Time is a timestamp in any of the layouts above, or Unix seconds as a number.
type Time struct {
	V     time.Time
	Valid bool
}

// ParseTime parses s with the tolerated layouts.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a timestamp: %q", s)
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	*t = Time{}
	if isNull(b) {
		return nil
	}
	b = bytes.TrimSpace(b)
	if b[0] != '"' {
		var sec float64
		if err := json.Unmarshal(b, &sec); err != nil {
			return fmt.Errorf("not a timestamp: %s", excerpt(b))
		}
		if sec > 1e11 { // milliseconds
			sec /= 1000
		}
		whole, frac := math.Modf(sec)
		*t = Time{V: time.Unix(int64(whole), int64(frac*1e9)).UTC(), Valid: true}
		return nil
	}
	s, err := unquote(b)
	if err != nil {
		return err
	}
	if strings.TrimSpace(s) == "" {
		return nil
	}
	v, err := ParseTime(s)
	if err != nil {
		return err
	}
	*t = Time{V: v, Valid: true}
	return nil
}

// Ptr returns nil when not valid.
func (t Time) Ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.V
	return &v
}

// ID is an identifier that may arrive as a number or a string. Text keeps the canonical text
// form; Int is set when the id is integral.
type ID struct {
	Text  string
	Int   int64
	IsInt bool
}

// Valid reports whether an id was present.
func (id ID) Valid() bool { return id.Text != "" }

// UnmarshalJSON implements json.Unmarshaler.
func (id *ID) UnmarshalJSON(b []byte) error {
	*id = ID{}
	if isNull(b) {
		return nil
	}
	s, err := scalarText(b)
	if err != nil {
		return err
	}
	if s == "" {
		return nil
	}
	id.Text = s
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		id.Int, id.IsInt = v, true
	} else if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		id.Int, id.IsInt = int64(f), true
		id.Text = strconv.FormatInt(id.Int, 10)
	}
	return nil
}
