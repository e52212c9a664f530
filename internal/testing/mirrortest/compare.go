package mirrortest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Normalised text forms for comparing typed columns with fake records: "" for absent values,
// numbers rounded to cents, times as RFC 3339 UTC. The J* functions read decoded JSON values.

func Str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func Num(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(math.Round(*p*100)/100, 'f', -1, 64)
}

func I64(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func TS(p *time.Time) string {
	if p == nil {
		return ""
	}
	return p.UTC().Format(time.RFC3339Nano)
}

func JStr(v any) string {
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

func JNum(v any) string {
	s := strings.TrimSpace(JStr(v))
	if s == "" {
		return ""
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimPrefix(s, "$"), ",", ""), 64)
	if err != nil {
		return "unparseable:" + s
	}
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
}

func JInt(v any) string {
	s := strings.TrimSpace(JStr(v))
	if s == "" {
		return ""
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "unparseable:" + s
	}
	return strconv.FormatInt(int64(f), 10)
}

func JTS(v any) string {
	s := JStr(v)
	if s == "" {
		return ""
	}
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "unparseable:" + s
	}
	return tm.UTC().Format(time.RFC3339Nano)
}
