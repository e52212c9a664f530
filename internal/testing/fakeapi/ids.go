package fakeapi

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Int64Of accepts the forms an id takes in fake records and in test code: Go integers, a float
// with no fraction, a json.Number, or a numeric string.
func Int64Of(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case float64:
		if x == float64(int64(x)) {
			return int64(x), true
		}
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}
