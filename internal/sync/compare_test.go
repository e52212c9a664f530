package sync_test

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Normalised forms for comparing typed columns with fake records: "" for absent values, numbers
// rounded to cents, times as RFC 3339 UTC.

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func num(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(math.Round(*p*100)/100, 'f', -1, 64)
}

func i64(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func ts(p *time.Time) string {
	if p == nil {
		return ""
	}
	return p.UTC().Format(time.RFC3339Nano)
}

func jstr(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

func jnum(v any) string {
	s := strings.TrimSpace(jstr(v))
	if s == "" {
		return ""
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimPrefix(s, "$"), ",", ""), 64)
	if err != nil {
		return "unparseable:" + s
	}
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
}

func jint(v any) string {
	s := strings.TrimSpace(jstr(v))
	if s == "" {
		return ""
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "unparseable:" + s
	}
	return strconv.FormatInt(int64(f), 10)
}
