package tenants

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadOptions lets tests and embedders supply the environment and the file system. The zero
// value uses the process environment and the real file system.
type LoadOptions struct {
	// LookupEnv resolves *_env references (default os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// ReadFile reads the config file and *_file references (default os.ReadFile). Relative paths
	// are relative to the working directory, not to the config file.
	ReadFile func(string) ([]byte, error)
}

func (o LoadOptions) withDefaults() LoadOptions {
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.ReadFile == nil {
		o.ReadFile = os.ReadFile
	}
	return o
}

// Load reads the configuration file at path and parses it with Parse. A file that cannot be read
// is a plain error (errors.Is(err, fs.ErrNotExist) works); everything wrong with its content is a
// *ValidationError.
func Load(path string, opts LoadOptions) (*Config, error) {
	opts = opts.withDefaults()
	data, err := opts.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(data, opts)
}

// Parse decodes a configuration file strictly, applies defaults, validates every setting and
// resolves secrets. On failure it returns a *ValidationError listing all problems found, and no
// Config: a half-valid configuration must never be used.
func Parse(data []byte, opts LoadOptions) (*Config, error) {
	p := &parser{
		opts:     opts.withDefaults(),
		lines:    map[string]int{},
		broken:   map[int]bool{},
		reported: map[string]bool{},
	}
	cfg := p.parse(data)
	if len(p.problems) > 0 {
		// Document order reads best; problems without a line (missing keys) come first.
		sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].Line < p.problems[j].Line })
		return nil, &ValidationError{Problems: p.problems}
	}
	sort.SliceStable(p.warnings, func(i, j int) bool { return p.warnings[i].Line < p.warnings[j].Line })
	cfg.Warnings = p.warnings
	return cfg, nil
}

// parser carries what the strict walk learns about the document into validation, so later
// problems can point at lines and tell an explicit key from an absent one.
type parser struct {
	opts LoadOptions
	// lines maps a full key path ("tenants[2].rentengine.token_env") to the line of its key.
	// A path present here was written in the file, even with an empty value.
	lines map[string]int
	// labels[i] names tenant i in problems: its id, or "tenants[i]".
	labels []string
	// broken[i] marks tenants whose node is not a mapping; validating their zero value would only
	// add noise.
	broken map[int]bool

	problems []Problem
	// warnings do not fail the load; see Config.Warnings.
	warnings []Problem
	// reported holds tenant+field pairs that already have a problem: the first one (usually the
	// more precise type error from the walk) is kept and follow-on ones are dropped.
	reported map[string]bool
}

func (p *parser) parse(data []byte) *Config {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.add("", "", 0, "the config file is empty; it needs at least a tenants: list")
		} else {
			p.syntaxError(err)
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.add("", "", extra.Line, "the file holds more than one YAML document; put everything in one")
	} else if !errors.Is(err, io.EOF) {
		p.syntaxError(err)
		return nil
	}

	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		p.add("", "", root.Line, "the file must be a mapping of settings (database:, tenants:, ...)")
		return nil
	}

	p.walk(root, configType, cursor{})

	var cfg Config
	if err := root.Decode(&cfg); err != nil {
		// The walk checks every type error the decoder can report and describes it better. Fall
		// back to the decoder's words only if the walk found nothing, so nothing is ever lost.
		if len(p.problems) == 0 {
			p.add("", "", 0, strings.TrimPrefix(err.Error(), "yaml: "))
		}
	}
	if _, ok := p.lines["tenants"]; !ok {
		p.add("", "tenants", 0, "missing; list the tenants to sync (an empty list, tenants: [], is allowed)")
	}
	p.resolve(&cfg)
	return &cfg
}

var syntaxLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (p *parser) syntaxError(err error) {
	msg := err.Error()
	if m := syntaxLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.add("", "", line, "invalid YAML: "+m[2])
		return
	}
	p.add("", "", 0, "invalid YAML: "+strings.TrimPrefix(msg, "yaml: "))
}

// add records a problem unless the same tenant and field already has one.
func (p *parser) add(tenant, field string, line int, msg string) {
	key := tenant + "\x00" + field
	if field != "" && p.reported[key] {
		return
	}
	p.reported[key] = true
	p.problems = append(p.problems, Problem{Tenant: tenant, Field: field, Line: line, Message: msg})
}

// global records a problem with a global setting; field is the full key path.
func (p *parser) global(field, format string, args ...any) {
	p.add("", field, p.line(field), fmt.Sprintf(format, args...))
}

// tenant records a problem with tenant i; field is relative to the tenant ("" for the whole tenant).
func (p *parser) tenant(i int, field, format string, args ...any) {
	p.add(p.label(i), field, p.line(tenantPath(i, field)), fmt.Sprintf(format, args...))
}

func (p *parser) label(i int) string {
	if i < len(p.labels) && p.labels[i] != "" {
		return p.labels[i]
	}
	return fmt.Sprintf("tenants[%d]", i)
}

func tenantPath(i int, field string) string {
	if field == "" {
		return fmt.Sprintf("tenants[%d]", i)
	}
	return fmt.Sprintf("tenants[%d].%s", i, field)
}

// has reports whether the key at a full path was written in the file.
func (p *parser) has(path string) bool {
	_, ok := p.lines[path]
	return ok
}

// line returns the line of the key at path or, when it was not written, of its nearest written
// parent, so a "missing token_env" problem points at the rentengine: block.
func (p *parser) line(path string) int {
	for path != "" {
		if l, ok := p.lines[path]; ok {
			return l
		}
		cut := strings.LastIndexAny(path, ".[")
		if cut < 0 {
			break
		}
		path = path[:cut]
	}
	return 0
}
