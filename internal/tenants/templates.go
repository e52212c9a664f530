package tenants

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// TemplateFuncs are the functions renewal card templates may call. They are defined here once:
// validation parses a tenant's templates with them, and the push renders cards with them.
var TemplateFuncs = template.FuncMap{
	"money": money,
	"date":  date,
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
}

// ParseTemplate parses one text field of a renewal card template as both validation and the
// push do: with TemplateFuncs, and failing on a missing key rather than rendering "<no value>".
func ParseTemplate(name, src string) (*template.Template, error) {
	return template.New(name).Funcs(TemplateFuncs).Option("missingkey=error").Parse(src)
}

// money formats dollars: "$1,925" or "$1,925.50"; "" for no value.
func money(v any) string {
	var f float64
	switch x := v.(type) {
	case *float64:
		if x == nil {
			return ""
		}
		f = *x
	case float64:
		f = x
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	default:
		return ""
	}
	cents := int64(math.Round(f * 100))
	whole, frac := cents/100, cents%100
	s := strconv.FormatInt(whole, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != 0 {
		return fmt.Sprintf("$%s.%02d", b.String(), frac)
	}
	return "$" + b.String()
}

// date formats a time or a YYYY-MM-DD text as "January 2, 2006"; "" for no value.
func date(v any) string {
	switch x := v.(type) {
	case *time.Time:
		if x == nil {
			return ""
		}
		return x.Format("January 2, 2006")
	case time.Time:
		return x.Format("January 2, 2006")
	case string:
		if t, err := time.Parse(time.DateOnly, x); err == nil {
			return t.Format("January 2, 2006")
		}
		return x
	}
	return ""
}
