package tenants

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The strict walk checks the YAML tree against the Go types before the real decode. yaml.v3's own
// KnownFields check stops at the first unknown key and cannot say which tenant it belongs to; the
// walk reports every unknown key and type error with the tenant, the key path and the line.

var (
	configType   = reflect.TypeFor[Config]()
	tenantType   = reflect.TypeFor[Tenant]()
	durationType = reflect.TypeFor[time.Duration]()
	daysType     = reflect.TypeFor[Days]()
)

// cursor is a position in the document.
type cursor struct {
	full        string // full path, the key of parser.lines
	tenant      string // label of the enclosing tenant, "" outside tenants
	tenantIndex int    // index of the enclosing tenant, meaningful when tenant != ""
	field       string // path relative to the tenant, or to the root outside tenants
}

func (c cursor) key(k string) cursor {
	c.full = joinPath(c.full, k)
	c.field = joinPath(c.field, k)
	return c
}

func (c cursor) index(i int) cursor {
	s := fmt.Sprintf("[%d]", i)
	c.full += s
	c.field += s
	return c
}

func joinPath(base, k string) string {
	if base == "" {
		return k
	}
	return base + "." + k
}

func (p *parser) walkProblem(c cursor, n *yaml.Node, format string, args ...any) {
	p.add(c.tenant, c.field, n.Line, fmt.Sprintf(format, args...))
}

func (p *parser) walk(n *yaml.Node, t reflect.Type, c cursor) {
	n = unalias(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // null leaves the zero value, as the decoder does
	}
	switch {
	case t == durationType:
		var d time.Duration
		if n.Kind != yaml.ScalarNode || n.Decode(&d) != nil {
			p.walkProblem(c, n, "expected a duration with a unit, such as \"30s\", \"5m\" or \"1h30m\"; got %s", describe(n))
		}
	case t == daysType:
		if _, ok := parseDays(n.Value); n.Kind != yaml.ScalarNode || !ok {
			p.walkProblem(c, n, "expected whole days such as \"400d\", got %s", describe(n))
		}
	case t.Kind() == reflect.Pointer:
		p.walk(n, t.Elem(), c)
	case t.Kind() == reflect.Struct:
		p.walkMapping(n, t, c)
	case t.Kind() == reflect.Slice:
		p.walkSequence(n, t, c)
	case t.Kind() == reflect.String:
		if n.Kind != yaml.ScalarNode {
			p.walkProblem(c, n, "expected a string, got %s", describe(n))
		}
	case t.Kind() == reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
			p.walkProblem(c, n, "expected true or false, got %s", describe(n))
		}
	case t.Kind() == reflect.Float64:
		var f float64
		if n.Kind != yaml.ScalarNode || n.Decode(&f) != nil {
			p.walkProblem(c, n, "expected a number such as 0.2, got %s", describe(n))
		}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		v := reflect.New(t)
		if n.Kind != yaml.ScalarNode || n.Decode(v.Interface()) != nil {
			p.walkProblem(c, n, "expected a whole number, got %s", describe(n))
		}
	default:
		if t.Kind() == reflect.Map && n.Kind == yaml.MappingNode {
			// Remember where each key is, so a problem with one entry (a score stage, a
			// template, an agent) points at its line.
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := n.Content[i]; k.Kind == yaml.ScalarNode {
					p.lines[c.key(k.Value).full] = k.Line
				}
			}
		}
		// A kind without a tailored message (config.go may grow one): let the decoder judge.
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			p.walkProblem(c, n, "%s", strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n  "))
		}
	}
}

func (p *parser) walkMapping(n *yaml.Node, t reflect.Type, c cursor) {
	if n.Kind != yaml.MappingNode {
		p.walkProblem(c, n, "expected a mapping of key: value pairs, got %s", describe(n))
		if t == tenantType {
			p.broken[c.tenantIndex] = true
		}
		return
	}
	fields := yamlFields(t)

	// Merge keys (<<: *anchor) first, so explicit keys written next to them take precedence in
	// p.lines, matching the decoder's semantics.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; isMerge(k) {
			p.walkMerge(n.Content[i+1], t, c)
		}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.walkProblem(c, k, "keys must be plain names, got %s", describe(k))
			continue
		}
		kc := c.key(k.Value)
		if first, dup := seen[k.Value]; dup {
			p.walkProblem(kc, k, "set twice (first at line %d); keep one", first)
			continue
		}
		seen[k.Value] = k.Line
		ft, ok := fields[k.Value]
		if !ok {
			p.walkProblem(kc, k, "%s", unknownKeyMessage(t, k.Value, fields))
			continue
		}
		p.lines[kc.full] = k.Line
		p.walk(v, ft.typ, kc)
	}
}

func (p *parser) walkMerge(v *yaml.Node, t reflect.Type, c cursor) {
	v = unalias(v)
	if v.Kind == yaml.SequenceNode {
		for _, m := range v.Content {
			p.walkMapping(unalias(m), t, c)
		}
		return
	}
	p.walkMapping(v, t, c)
}

func (p *parser) walkSequence(n *yaml.Node, t reflect.Type, c cursor) {
	if n.Kind != yaml.SequenceNode {
		p.walkProblem(c, n, "expected a list, got %s", describe(n))
		return
	}
	elem := t.Elem()
	for i, item := range n.Content {
		ic := c.index(i)
		if elem == tenantType {
			// Inside a tenant, problems are named by tenant and the field path restarts.
			for len(p.labels) <= i {
				p.labels = append(p.labels, "")
			}
			p.labels[i] = tenantLabel(unalias(item), i)
			ic = cursor{full: ic.full, tenant: p.labels[i], tenantIndex: i}
		}
		// Each item's own line, so a problem with one list entry points at it.
		p.lines[ic.full] = item.Line
		p.walk(item, elem, ic)
	}
}

// tenantLabel names a tenant by its id when the node has a usable one.
func tenantLabel(n *yaml.Node, i int) string {
	if n.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(n.Content); j += 2 {
			k, v := n.Content[j], unalias(n.Content[j+1])
			if k.Value == "id" && v.Kind == yaml.ScalarNode && v.ShortTag() != "!!null" && strings.TrimSpace(v.Value) != "" {
				return v.Value
			}
		}
	}
	return fmt.Sprintf("tenants[%d]", i)
}

func unalias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "" || k.Tag == "!" || k.ShortTag() == "!!merge")
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return fmt.Sprintf("%q", v)
	}
	return "something else"
}

type yamlField struct {
	name string
	typ  reflect.Type
}

// yamlFields lists a struct's keys as the decoder sees them, keyed by name.
func yamlFields(t reflect.Type) map[string]yamlField {
	out := map[string]yamlField{}
	for _, f := range orderedFields(t) {
		out[f.name] = f
	}
	return out
}

func orderedFields(t reflect.Type) []yamlField {
	var out []yamlField
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, yamlField{name: name, typ: f.Type})
	}
	return out
}

// secretKeys are the keys people reach for when they paste a credential into the file. They are
// unknown keys like any other, with a message that says where the secret goes instead.
var secretKeys = map[reflect.Type]map[string]string{
	reflect.TypeFor[RentEngine](): {"token": "use token_env or token_file"},
	reflect.TypeFor[Funnel]():     {"api_key": "use api_key_env or api_key_file"},
	reflect.TypeFor[Database]():   {"password": "use password_env or password_file"},
}

// funnelNoPassword are the keys people reach for to give Funnel Basic credentials. They are unknown
// keys with a message of their own: Funnel takes the API key as the Basic user name with an empty
// password [documented], and rejects any other password.
var funnelNoPassword = map[string]bool{"password": true, "password_env": true, "password_file": true,
	"basic_password": true, "username": true, "user": true}

func unknownKeyMessage(t reflect.Type, key string, fields map[string]yamlField) string {
	if hint, ok := secretKeys[t][key]; ok {
		return "secrets are not allowed in the config file; " + hint
	}
	if t == reflect.TypeFor[Funnel]() && funnelNoPassword[key] {
		return "Funnel takes no user name or password: the API key (api_key_env or api_key_file) is sent as " +
			"the Basic user name with an empty password, or as a bearer token with auth: bearer"
	}
	var names []string
	// Suggest only near misses: 2 edits, 3 for long keys.
	best, bestDist := "", 3
	if len(key) >= 8 {
		bestDist = 4
	}
	for _, f := range orderedFields(t) {
		names = append(names, f.name)
		if d := editDistance(key, f.name); d < bestDist {
			best, bestDist = f.name, d
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown key; did you mean %s?", best)
	}
	return "unknown key; valid keys here are " + strings.Join(names, ", ")
}

// editDistance is the Levenshtein distance, for "did you mean" hints.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
