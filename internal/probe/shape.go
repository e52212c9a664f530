package probe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/syncd-dev/syncd/internal/clients/flex"
)

// What syncd maps is read from the clients' own record types (flex.Shape), never from a list kept
// here: a spec is built by reflection over the record struct's json tags and field types, and
// whether a value that differs from the expected JSON type is tolerated is decided by the
// client's real decoder, run on a record holding only that value (and an id). So the check
// cannot disagree with the mapper about what it reads and what it accepts.

// flexKinds is the JSON type each flex type is documented to arrive as. A value of another type
// may still be read (flex tolerates numbers as strings and more): the decoder decides that.
var flexKinds = map[reflect.Type]string{
	reflect.TypeFor[flex.ID]():     kindNumber,
	reflect.TypeFor[flex.Int]():    kindNumber,
	reflect.TypeFor[flex.Float]():  kindNumber,
	reflect.TypeFor[flex.String](): kindString,
	reflect.TypeFor[flex.Bool]():   kindBoolean,
	reflect.TypeFor[flex.Time]():   kindString,
}

// JSON kinds, as the report names them.
const (
	kindNull    = "null"
	kindBoolean = "boolean"
	kindNumber  = "number"
	kindString  = "string"
	kindObject  = "object"
	kindArray   = "array"
)

var rawMessage = reflect.TypeFor[json.RawMessage]()

// spec is what the mapper reads at one place of a record.
type spec struct {
	// expect is the JSON kind the mapper expects; "" for a value kept as received, unread.
	expect string
	// fields are the keys read from an object, in the struct's order.
	fields []fieldSpec
	// elem is what is read from each element of an array.
	elem *spec
}

type fieldSpec struct {
	key  string
	spec *spec
}

// buildSpec reflects over a flex.Shape's record type.
func buildSpec(sh flex.Shape) (*spec, error) {
	used := map[string]bool{}
	kinds := flexKinds
	if sh.StringIDs {
		kinds = maps.Clone(flexKinds)
		kinds[reflect.TypeFor[flex.ID]()] = kindString
	}
	s, err := specOf(reflect.TypeOf(sh.Record), "", sh.Nested, used, kinds)
	if err != nil {
		return nil, err
	}
	if s.expect != kindObject {
		return nil, fmt.Errorf("record type %T is not a struct", sh.Record)
	}
	for path := range sh.Nested {
		if !used[path] {
			return nil, fmt.Errorf("nested entry %q names no json.RawMessage field of %T", path, sh.Record)
		}
	}
	return s, nil
}

func specOf(t reflect.Type, path string, nested map[string]any, used map[string]bool, kinds map[reflect.Type]string) (*spec, error) {
	if k, ok := kinds[t]; ok {
		return &spec{expect: k}, nil
	}
	if t == rawMessage {
		n, ok := nested[path]
		if !ok {
			return &spec{}, nil
		}
		used[path] = true
		return specOf(reflect.TypeOf(n), path, nested, used, kinds)
	}
	switch t.Kind() {
	case reflect.String:
		return &spec{expect: kindString}, nil
	case reflect.Bool:
		return &spec{expect: kindBoolean}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return &spec{expect: kindNumber}, nil
	case reflect.Slice:
		elem, err := specOf(t.Elem(), path+"[]", nested, used, kinds)
		if err != nil {
			return nil, err
		}
		return &spec{expect: kindArray, elem: elem}, nil
	case reflect.Struct:
		s := &spec{expect: kindObject}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Anonymous {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			sub, err := specOf(f.Type, joinPath(path, name), nested, used, kinds)
			if err != nil {
				return nil, err
			}
			s.fields = append(s.fields, fieldSpec{key: name, spec: sub})
		}
		return s, nil
	}
	return nil, fmt.Errorf("%s: no JSON type known for Go type %s", cmpOr(path, "record"), t)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// kindOf names the JSON kind of a value; strings are told apart as "string (numeric)" and
// "string (empty)", since a number sent as a string is the commonest difference.
func kindOf(v []byte) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return kindNull
	}
	switch v[0] {
	case 'n':
		return kindNull
	case 't', 'f':
		return kindBoolean
	case '{':
		return kindObject
	case '[':
		return kindArray
	case '"':
		var s string
		if json.Unmarshal(v, &s) != nil {
			return kindString
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return kindString + " (empty)"
		}
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return kindString + " (numeric)"
		}
		return kindString
	}
	return kindNumber
}

// baseKind is kindOf without the detail in parentheses.
func baseKind(k string) string {
	b, _, _ := strings.Cut(k, " ")
	return b
}

// step is one key on the way from a record to a value; array marks that the value is (inside)
// an element of the array at that key.
type step struct {
	key   string
	array bool
}

// fieldStat is what the pages showed of one mapped field. It holds counts only, never a value:
// the report may be pasted anywhere.
type fieldStat struct {
	path   string
	expect string
	// parents counts the objects the field was looked for in; present those that had the key.
	parents, present int
	// differ counts the values by JSON kind that were not the expected kind, or that the mapper
	// could not read.
	differ map[string]int
	// unreadable counts the values the mapper could not read; err is its first error.
	unreadable int
	err        string
}

// analyzer checks records of one call against the mapper's shape.
type analyzer struct {
	shape flex.Shape
	root  *spec
	stats map[string]*fieldStat
	order []string
	// unknown counts the keys the mapper does not read, by path.
	unknown map[string]int

	// checked maps each record checked (by a hash of its bytes) to its id: a record read twice
	// (on a small page and at syncd's page size) is checked and counted once.
	checked map[uint64]string

	records     int
	undecodable int
	decodeErrs  []string
	idsMissing  int
	// dupIDs are ids that occur twice on one page.
	dupIDs []string
}

func newAnalyzer(sh flex.Shape) (*analyzer, error) {
	root, err := buildSpec(sh)
	if err != nil {
		return nil, err
	}
	return &analyzer{shape: sh, root: root, stats: map[string]*fieldStat{}, unknown: map[string]int{},
		checked: map[uint64]string{}}, nil
}

// page checks the records of one page: each record, and the page's ids. It returns the page's
// ids (canonical text), in order, for checks across pages.
func (a *analyzer) page(recs []json.RawMessage) []string {
	var ids []string
	seen := map[string]bool{}
	for _, raw := range recs {
		h := hashRecords([]json.RawMessage{raw})
		id, done := a.checked[h]
		if !done {
			id = a.record(raw)
			a.checked[h] = id
			if id == "" {
				a.idsMissing++
			}
		}
		if id == "" {
			continue
		}
		if seen[id] && !slices.Contains(a.dupIDs, id) {
			a.dupIDs = append(a.dupIDs, id)
		}
		seen[id] = true
		ids = append(ids, id)
	}
	return ids
}

// record checks one record and returns its id as text ("" when it has none).
func (a *analyzer) record(raw json.RawMessage) string {
	a.records++
	if err := a.shape.Decode(raw); err != nil {
		a.undecodable++
		if msg := valueFree(err.Error()); len(a.decodeErrs) < 3 && !slices.Contains(a.decodeErrs, msg) {
			a.decodeErrs = append(a.decodeErrs, msg)
		}
	}
	obj, ok := object(raw)
	if !ok {
		return ""
	}
	a.walk(obj, a.root, nil, "")
	for _, key := range append([]string{a.shape.ID}, a.shape.IDAliases...) {
		for k, v := range obj {
			if strings.EqualFold(k, key) {
				var id flex.ID
				if json.Unmarshal(v, &id) == nil && id.Valid() {
					return id.Text
				}
			}
		}
	}
	return ""
}

// object decodes a JSON object's members; ok is false for anything else.
func object(raw []byte) (map[string]json.RawMessage, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil, false
	}
	return m, true
}

func (a *analyzer) stat(path, expect string) *fieldStat {
	st, ok := a.stats[path]
	if !ok {
		st = &fieldStat{path: path, expect: expect, differ: map[string]int{}}
		a.stats[path] = st
		a.order = append(a.order, path)
	}
	return st
}

// walk checks the members of obj against s, an object spec, at path.
func (a *analyzer) walk(obj map[string]json.RawMessage, s *spec, steps []step, path string) {
	matched := map[string]bool{}
	for _, f := range s.fields {
		fpath := joinPath(path, f.key)
		st := a.stat(fpath, f.spec.expect)
		st.parents++
		// encoding/json matches keys case-insensitively, preferring an exact match; so does this.
		key, found := "", false
		if _, ok := obj[f.key]; ok {
			key, found = f.key, true
		} else {
			for k := range obj {
				if !matched[k] && strings.EqualFold(k, f.key) {
					key, found = k, true
					break
				}
			}
		}
		if !found {
			continue
		}
		matched[key] = true
		st.present++
		a.value(obj[key], f.spec, append(slices.Clip(steps), step{key: f.key}), fpath, st)
	}
	for k := range obj {
		if !matched[k] {
			a.unknown[joinPath(path, k)]++
		}
	}
}

// value checks one value against s. Scalars are always run through the mapper (a timestamp that
// does not parse is as unreadable as an object); containers only when their kind differs, since
// their members are checked one by one.
func (a *analyzer) value(v json.RawMessage, s *spec, steps []step, path string, st *fieldStat) {
	kind := kindOf(v)
	if kind == kindNull || s.expect == "" {
		return
	}
	same := baseKind(kind) == s.expect
	scalar := s.expect != kindObject && s.expect != kindArray
	if !same || scalar {
		err := a.isolated(steps, v)
		if !same || err != nil {
			st.differ[kind]++
		}
		if err != nil {
			st.unreadable++
			if st.err == "" {
				st.err = valueFree(err.Error())
			}
		}
	}
	if !same {
		return
	}
	switch s.expect {
	case kindObject:
		if obj, ok := object(v); ok {
			a.walk(obj, s, steps, path)
		}
	case kindArray:
		var elems []json.RawMessage
		if json.Unmarshal(v, &elems) != nil || s.elem == nil {
			return
		}
		esteps := slices.Clone(steps)
		esteps[len(esteps)-1].array = true
		est := a.stat(path+"[]", s.elem.expect)
		for _, e := range elems {
			est.parents++
			est.present++
			a.value(e, s.elem, esteps, path+"[]", est)
		}
	}
}

// isolated runs the mapper on a record holding only v, at the place steps lead to, and the id
// (a valid one, unless v is the id itself), so that the verdict is about v alone.
func (a *analyzer) isolated(steps []step, v json.RawMessage) error {
	cur := json.RawMessage(bytes.TrimSpace(v))
	for i := len(steps) - 1; i >= 1; i-- {
		cur = wrap(steps[i], cur)
	}
	top := map[string]json.RawMessage{}
	if !strings.EqualFold(steps[0].key, a.shape.ID) {
		top[a.shape.ID] = json.RawMessage("1")
	}
	if steps[0].array {
		cur = json.RawMessage("[" + string(cur) + "]")
	}
	top[steps[0].key] = cur
	rec, err := json.Marshal(top)
	if err != nil {
		return err
	}
	return a.shape.Decode(rec)
}

// valueFree cuts a decoder's error before the first value it quotes ("not a number: \"12a\"",
// "expected a scalar, got {...}"), so that the report holds no record value.
func valueFree(msg string) string {
	if i := strings.IndexAny(msg, "\"{[`'"); i >= 0 {
		return strings.TrimRight(msg[:i], " ") + " …"
	}
	return msg
}

// wrap puts v under st's key, inside an array when st says so.
func wrap(st step, v json.RawMessage) json.RawMessage {
	if st.array {
		v = json.RawMessage("[" + string(v) + "]")
	}
	k, _ := json.Marshal(st.key)
	return json.RawMessage("{" + string(k) + ":" + string(v) + "}")
}

// ShapeReport compares the records of a call with what syncd's mapper reads. It holds field
// names, kinds and counts, never a value.
type ShapeReport struct {
	// Records is how many records were checked.
	Records int `json:"records"`
	// IDField is the key of the record's id; IDsMissing counts records without one, and
	// DuplicateIDs lists ids that occur twice on one page.
	IDField      string   `json:"id_field"`
	IDsMissing   int      `json:"ids_missing"`
	DuplicateIDs []string `json:"duplicate_ids,omitempty"`
	// Unreadable counts records the mapper cannot decode (they would be bad records);
	// DecodeErrors are its first distinct errors, cut before any value they quote.
	Unreadable   int      `json:"unreadable"`
	DecodeErrors []string `json:"decode_errors,omitempty"`
	// Absent lists mapped fields that no record had (nested ones among the records whose parent
	// value was there).
	Absent []string `json:"absent,omitempty"`
	// Types lists mapped fields with values of another JSON type than the mapper expects, or
	// values it cannot read.
	Types []TypeDiff `json:"types,omitempty"`
	// Unknown lists keys the mapper does not read, with how many records had them
	// (informational: they stay in the mirror's raw column).
	Unknown map[string]int `json:"unknown,omitempty"`
}

// TypeDiff is one mapped field whose values were not all of the expected JSON type.
type TypeDiff struct {
	Field    string `json:"field"`
	Expected string `json:"expected"`
	// Got counts the differing values by JSON kind ("string (numeric)": 3).
	Got map[string]int `json:"got"`
	// Tolerated is true when the mapper reads every such value (flex accepts numbers as
	// strings, for one); false when it cannot read some, which makes those records bad.
	Tolerated bool `json:"tolerated"`
	// Error is the mapper's first error on such a value, cut before any value it quotes.
	Error string `json:"error,omitempty"`
}

// String is the difference in one line: "id: expected number, got string (numeric) ×2, tolerated".
func (d TypeDiff) String() string {
	kinds := make([]string, 0, len(d.Got))
	for k := range d.Got {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	got := make([]string, len(kinds))
	for i, k := range kinds {
		got[i] = fmt.Sprintf("%s ×%d", k, d.Got[k])
	}
	verdict := "tolerated"
	if !d.Tolerated {
		verdict = "the mapper cannot read it (" + d.Error + ")"
	}
	return fmt.Sprintf("%s: expected %s, got %s, %s", d.Field, d.Expected, strings.Join(got, ", "), verdict)
}

// report summarises what the analyzer saw.
func (a *analyzer) report() *ShapeReport {
	r := &ShapeReport{Records: a.records, IDField: a.shape.ID, IDsMissing: a.idsMissing,
		DuplicateIDs: a.dupIDs, Unreadable: a.undecodable, DecodeErrors: a.decodeErrs}
	for _, path := range a.order {
		st := a.stats[path]
		if st.parents > 0 && st.present == 0 && !strings.HasSuffix(path, "[]") {
			r.Absent = append(r.Absent, path)
		}
		if len(st.differ) > 0 {
			r.Types = append(r.Types, TypeDiff{Field: path, Expected: st.expect, Got: st.differ,
				Tolerated: st.unreadable == 0, Error: st.err})
		}
	}
	if len(a.unknown) > 0 {
		r.Unknown = a.unknown
	}
	return r
}
