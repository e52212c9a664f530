package fakeapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Switchboard changes what a fake serves at run time, so that tests can play the real service
// answering differently from what syncd guessed:
//
//   - an endpoint can be switched off (Disable, DisableWith) and back on (Enable): the fake then
//     answers it as the real service answers a route it does not have (404, the default), or 405
//     or 410, each in that API's own error style;
//   - a field of the records a fake serves can change its JSON type (SetFieldType) or be rewritten
//     by any function (MutateField), for example `id` served as a string or `bedrooms` as an
//     object.
//
// Endpoints are named "METHOD /path" with the path below the API's base path and path parameters
// written as in the reference ("GET /leasing_events", "GET /community/{community_id}/prospects/");
// each fake exports its names as Endpoint* constants and lists them in Endpoints. Resources are the
// names a fake gives the records it serves ("units", "prospects", "community", ...; see each
// fake's package doc). Names the fake does not serve make the methods panic, so that a typo in a
// test fails loudly instead of testing nothing; the Try* methods return the error instead, for
// input from flags or the admin endpoint.
//
// Field changes apply to every record of the resource as it is served (list pages, single-record
// GETs and write answers alike), never to the stored data: the fake's own Go accessors (Get, Raw,
// All) keep returning what is stored, and undoing a change (RestoreField, Reset) restores the
// original answers. Key order and every other byte of a record are kept.
//
// A Host embeds its fake's Switchboard, so these methods are called on the fake itself:
//
//	fake.Disable(rentenginefake.EndpointLeasingEvents)            // GET /leasing_events → 404
//	fake.SetFieldType("units", "bedrooms", fakeapi.FieldObject)   // "2" → {"value":"2"}
//	fake.SetFieldType("units", "id", fakeapi.FieldString)         // 17 → "17"
//	fake.MutateField("prospects", "people.email", func(v any) any { return strings.ToUpper(v.(string)) })
//	defer fake.Reset()                                           // everything on, fields as stored
//
// It is safe for concurrent use.
type Switchboard struct {
	name      string
	endpoints []string
	resources []string

	mu     sync.RWMutex
	off    map[string]int         // disabled endpoint → the status it answers
	fields map[string][]fieldRule // resource → rules, applied in the order they were first set
}

// fieldRule rewrites one field of a resource's records.
type fieldRule struct {
	field string   // as given: "people.email"
	path  []string // split on "."
	fn    func(any) any
	desc  string // for State: the kind, or "custom"
}

// FieldKind is a JSON type a field can be switched to with SetFieldType.
type FieldKind string

// The kinds, and how a value is converted to each. A value already of that kind is left as it is.
const (
	// FieldString: a number or bool becomes its literal text (17 → "17"), null becomes "", an
	// object or array becomes its JSON text.
	FieldString FieldKind = "string"
	// FieldNumber: a numeric string becomes that number ("3" → 3), any other string, null, an
	// object or an array becomes 0, a bool 1 or 0.
	FieldNumber FieldKind = "number"
	// FieldBool: 0, "", null and false become false, everything else true.
	FieldBool FieldKind = "bool"
	// FieldObject wraps the value: "2" → {"value":"2"}.
	FieldObject FieldKind = "object"
	// FieldArray wraps the value: "2" → ["2"].
	FieldArray FieldKind = "array"
	// FieldNull serves null.
	FieldNull FieldKind = "null"
	// FieldAbsent leaves the field out of the record.
	FieldAbsent FieldKind = "absent"
)

// FieldKinds lists every kind.
func FieldKinds() []FieldKind {
	return []FieldKind{FieldString, FieldNumber, FieldBool, FieldObject, FieldArray, FieldNull, FieldAbsent}
}

// absentValue is the type of Absent.
type absentValue struct{}

// Absent, returned by a MutateField function, leaves the field out of the record.
var Absent any = absentValue{}

// NewSwitchboard returns a switchboard for a fake that serves endpoints and resources, with
// everything on. name prefixes panics and errors ("rentenginefake").
func NewSwitchboard(name string, endpoints, resources []string) *Switchboard {
	return &Switchboard{
		name:      name,
		endpoints: slices.Clone(endpoints),
		resources: slices.Clone(resources),
		off:       map[string]int{},
		fields:    map[string][]fieldRule{},
	}
}

// Endpoints lists the endpoint names the fake serves, in the fake's order.
func (b *Switchboard) Endpoints() []string { return slices.Clone(b.endpoints) }

// Resources lists the resource names whose fields can be changed.
func (b *Switchboard) Resources() []string { return slices.Clone(b.resources) }

// Disable switches endpoint off: it answers 404 as a route the service does not have, until
// Enable or Reset. It panics on an endpoint the fake does not serve.
func (b *Switchboard) Disable(endpoint string) { b.DisableWith(endpoint, http.StatusNotFound) }

// DisableWith switches endpoint off with status: 404 (no such route), 405 (the method is no
// longer allowed on that path) or 410 (gone). It panics on an endpoint the fake does not serve or
// another status.
func (b *Switchboard) DisableWith(endpoint string, status int) {
	must(b.TryDisable(endpoint, status))
}

// TryDisable is DisableWith returning an error instead of panicking.
func (b *Switchboard) TryDisable(endpoint string, status int) error {
	if err := errors.Join(b.checkEndpoint(endpoint), b.checkStatus(status)); err != nil {
		return err
	}
	b.mu.Lock()
	b.off[endpoint] = status
	b.mu.Unlock()
	return nil
}

// Enable switches endpoint back on. It panics on an endpoint the fake does not serve.
func (b *Switchboard) Enable(endpoint string) { must(b.TryEnable(endpoint)) }

// TryEnable is Enable returning an error instead of panicking.
func (b *Switchboard) TryEnable(endpoint string) error {
	if err := b.checkEndpoint(endpoint); err != nil {
		return err
	}
	b.mu.Lock()
	delete(b.off, endpoint)
	b.mu.Unlock()
	return nil
}

// Disabled reports whether endpoint is off and the status it then answers. The fakes' routers
// call it.
func (b *Switchboard) Disabled(endpoint string) (status int, off bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	status, off = b.off[endpoint]
	return status, off
}

// SetFieldType serves field of every resource record converted to kind (see the FieldKind
// constants), replacing an earlier change of the same field. field is a JSON key, or a dotted
// path through nested objects ("address.city"); an array on the way applies the rest of the path
// to each element ("people.email"). Records without the field are served unchanged. It panics on
// a resource the fake does not serve or an unknown kind.
func (b *Switchboard) SetFieldType(resource, field string, kind FieldKind) {
	must(b.TrySetFieldType(resource, field, kind))
}

// TrySetFieldType is SetFieldType returning an error instead of panicking.
func (b *Switchboard) TrySetFieldType(resource, field string, kind FieldKind) error {
	if err := b.checkKind(kind); err != nil {
		return err
	}
	return b.setRule(resource, field, func(v any) any { return convert(v, kind) }, string(kind))
}

// MutateField serves field of every resource record as fn returns it, replacing an earlier change
// of the same field. fn gets the value as encoding/json decodes it with UseNumber (string,
// json.Number, bool, nil, map[string]any, []any) and returns any value json.Marshal accepts, or
// Absent to leave the field out. It runs while the fake assembles a response, possibly under the
// fake's own lock, so it must not call into the fake or the switchboard. field is as for
// SetFieldType. It panics on a resource the fake does not serve.
func (b *Switchboard) MutateField(resource, field string, fn func(any) any) {
	must(b.setRule(resource, field, fn, "custom"))
}

func (b *Switchboard) setRule(resource, field string, fn func(any) any, desc string) error {
	if err := b.checkField(resource, field); err != nil {
		return err
	}
	rule := fieldRule{field: field, path: strings.Split(field, "."), fn: fn, desc: desc}
	b.mu.Lock()
	defer b.mu.Unlock()
	rules := b.fields[resource]
	if i := slices.IndexFunc(rules, func(r fieldRule) bool { return r.field == field }); i >= 0 {
		rules[i] = rule
		return nil
	}
	b.fields[resource] = append(rules, rule)
	return nil
}

// RestoreField serves field of resource as stored again.
func (b *Switchboard) RestoreField(resource, field string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fields[resource] = slices.DeleteFunc(b.fields[resource], func(r fieldRule) bool { return r.field == field })
}

// Reset switches every endpoint on and serves every field as stored.
func (b *Switchboard) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.off)
	clear(b.fields)
}

// SwitchState is what a Switchboard currently changes, as the admin endpoint reports it.
type SwitchState struct {
	// Disabled maps each disabled endpoint to the status it answers.
	Disabled map[string]int `json:"disabled"`
	// Fields maps "resource.field" to the kind it is served as ("custom" for MutateField).
	Fields map[string]string `json:"fields"`
}

// State returns what is currently switched.
func (b *Switchboard) State() SwitchState {
	b.mu.RLock()
	defer b.mu.RUnlock()
	st := SwitchState{Disabled: map[string]int{}, Fields: map[string]string{}}
	for ep, status := range b.off {
		st.Disabled[ep] = status
	}
	for res, rules := range b.fields {
		for _, r := range rules {
			st.Fields[res+"."+r.field] = r.desc
		}
	}
	return st
}

// Rewrite returns raw, one JSON object record of resource as stored, as it is to be served: with
// the field changes applied, or raw itself (not a copy) when there are none. The fakes call it for
// every record they serve.
func (b *Switchboard) Rewrite(resource string, raw []byte) []byte {
	b.mu.RLock()
	rules := b.fields[resource]
	if len(rules) == 0 {
		b.mu.RUnlock()
		return raw
	}
	// Rules are replaced, never modified in place, so the copy is safe to use unlocked: fn runs
	// without the lock held.
	rules = slices.Clone(rules)
	b.mu.RUnlock()
	for _, r := range rules {
		if out, ok := rewrite(raw, r.path, r.fn); ok {
			raw = out
		}
	}
	return raw
}

func (b *Switchboard) checkEndpoint(endpoint string) error {
	if !slices.Contains(b.endpoints, endpoint) {
		return fmt.Errorf("%s: unknown endpoint %q (want one of %q)", b.name, endpoint, b.endpoints)
	}
	return nil
}

func (b *Switchboard) checkStatus(status int) error {
	switch status {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusGone:
		return nil
	}
	return fmt.Errorf("%s: an endpoint can be disabled with 404, 405 or 410, not %d", b.name, status)
}

func (b *Switchboard) checkField(resource, field string) error {
	if !slices.Contains(b.resources, resource) {
		return fmt.Errorf("%s: unknown resource %q (want one of %s)", b.name, resource, strings.Join(b.resources, ", "))
	}
	if slices.Contains(strings.Split(field, "."), "") {
		return fmt.Errorf("%s: field %q is not a key or a dotted path of keys", b.name, field)
	}
	return nil
}

func (b *Switchboard) checkKind(kind FieldKind) error {
	if !slices.Contains(FieldKinds(), kind) {
		return fmt.Errorf("%s: unknown field kind %q (want one of %v)", b.name, kind, FieldKinds())
	}
	return nil
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// rewrite applies fn to the value at path in raw, an object or an array of objects, and reports
// whether anything changed. Keys keep their order and untouched values their exact bytes.
func rewrite(raw []byte, path []string, fn func(any) any) ([]byte, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return raw, false
	}
	switch raw[0] {
	case '[':
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) != nil {
			return raw, false
		}
		changed := false
		for i, e := range elems {
			if out, ok := rewrite(e, path, fn); ok {
				elems[i], changed = out, true
			}
		}
		if !changed {
			return raw, false
		}
		return joinArray(elems), true
	case '{':
		keys, vals, err := splitObject(raw)
		if err != nil {
			return raw, false
		}
		changed := false
		for i := 0; i < len(keys); i++ {
			if keys[i] != path[0] {
				continue
			}
			if len(path) > 1 {
				if out, ok := rewrite(vals[i], path[1:], fn); ok {
					vals[i], changed = out, true
				}
				continue
			}
			d := json.NewDecoder(bytes.NewReader(vals[i]))
			d.UseNumber()
			var v any
			if d.Decode(&v) != nil {
				continue
			}
			nv := fn(v)
			changed = true
			if nv == Absent {
				keys = slices.Delete(keys, i, i+1)
				vals = slices.Delete(vals, i, i+1)
				i--
				continue
			}
			enc, err := json.Marshal(nv)
			if err != nil {
				// A MutateField function returned something JSON cannot hold: a test bug.
				panic(fmt.Sprintf("fakeapi: encode mutated field %q: %v", strings.Join(path, "."), err))
			}
			vals[i] = enc
		}
		if !changed {
			return raw, false
		}
		return joinObject(keys, vals), true
	}
	return raw, false
}

// splitObject returns the keys and raw values of a JSON object, in order.
func splitObject(raw []byte) ([]string, []json.RawMessage, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, fmt.Errorf("not an object")
	}
	var keys []string
	var vals []json.RawMessage
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, nil, err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, nil, err
		}
		keys = append(keys, key)
		vals = append(vals, v)
	}
	return keys, vals, nil
}

func joinObject(keys []string, vals []json.RawMessage) []byte {
	out := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		enc, _ := json.Marshal(k) // a string always encodes
		out = append(out, enc...)
		out = append(out, ':')
		out = append(out, vals[i]...)
	}
	return append(out, '}')
}

func joinArray(elems []json.RawMessage) []byte {
	out := []byte{'['}
	for i, e := range elems {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, e...)
	}
	return append(out, ']')
}

// convert turns v, as decoded with UseNumber, into kind.
func convert(v any, kind FieldKind) any {
	switch kind {
	case FieldString:
		switch x := v.(type) {
		case string:
			return x
		case json.Number:
			return x.String()
		case bool:
			return strconv.FormatBool(x)
		case nil:
			return ""
		default:
			enc, _ := json.Marshal(x)
			return string(enc)
		}
	case FieldNumber:
		switch x := v.(type) {
		case json.Number:
			return x
		case string:
			if n := json.Number(strings.TrimSpace(x)); json.Valid([]byte(n)) && isNumber(n) {
				return n
			}
			return json.Number("0")
		case bool:
			if x {
				return json.Number("1")
			}
			return json.Number("0")
		default:
			return json.Number("0")
		}
	case FieldBool:
		switch x := v.(type) {
		case bool:
			return x
		case json.Number:
			f, err := x.Float64()
			return err == nil && f != 0
		case string:
			return x != ""
		case nil:
			return false
		default:
			return true
		}
	case FieldObject:
		if m, ok := v.(map[string]any); ok {
			return m
		}
		return map[string]any{"value": v}
	case FieldArray:
		if a, ok := v.([]any); ok {
			return a
		}
		return []any{v}
	case FieldNull:
		return nil
	case FieldAbsent:
		return Absent
	}
	return v
}

// isNumber reports whether n is a JSON number literal (json.Valid also accepts strings and
// literals such as true).
func isNumber(n json.Number) bool {
	s := string(n)
	return s != "" && (s[0] == '-' || '0' <= s[0] && s[0] <= '9')
}
