package tenants

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a configuration file. Messages never contain a secret value:
// they name the environment variable or file that should hold it instead.
type Problem struct {
	// Tenant is the tenant's id, or "tenants[N]" (0-based) when the tenant has no usable id;
	// empty for global settings.
	Tenant string
	// Field is the key path, relative to the tenant for tenant problems ("rentengine.token_env")
	// and to the file's root otherwise ("database.url"). Empty for a problem with the whole tenant.
	Field string
	// Line is the 1-based line in the file, 0 when the problem has no place in it (a missing key).
	Line    int
	Message string
}

// String reads like
//
//	tenant "acme": rentengine.token_env: environment variable ACME_RE_TOKEN is unset or empty (line 14)
func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.Tenant == "":
	case strings.HasPrefix(p.Tenant, "tenants["):
		b.WriteString(p.Tenant + ": ")
	default:
		fmt.Fprintf(&b, "tenant %q: ", p.Tenant)
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	if p.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", p.Line)
	}
	return b.String()
}

// Error makes a single Problem usable as an error.
func (p Problem) Error() string { return p.String() }

// ValidationError lists every problem found in a configuration file, so that one run of
// `syncd validate` shows them all instead of one per edit.
type ValidationError struct {
	Problems []Problem
}

// Error returns one problem per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
