package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
)

// Page is one page of a list, records kept raw so that each can be stored exactly as received
// and a record that fails to decode costs only itself.
type Page struct {
	Number  int
	Records []json.RawMessage
	// HasMore is the upstream's own "more pages" flag when it sends one.
	HasMore *bool
}

// DecodeList accepts every list shape seen from these upstreams: a bare array, or an envelope
// {"data": [...]} optionally with "page": {"has_more": bool}. Unknown envelope fields are ignored.
func DecodeList(raw []byte) ([]json.RawMessage, *bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil, nil
	}
	if raw[0] == '[' {
		if !json.Valid(raw) {
			var recs []json.RawMessage
			err := json.Unmarshal(raw, &recs) // fails; for its error
			return nil, nil, fmt.Errorf("decode list: %w", err)
		}
		return splitArray(raw), nil, nil
	}
	var env struct {
		Data    json.RawMessage `json:"data"`
		Results json.RawMessage `json:"results"`
		Page    *struct {
			HasMore *bool `json:"has_more"`
		} `json:"page"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, nil, fmt.Errorf("decode list envelope: %w", err)
	}
	body := env.Data
	if len(body) == 0 {
		body = env.Results
	}
	var recs []json.RawMessage
	if len(bytes.TrimSpace(body)) > 0 && !bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		if err := json.Unmarshal(body, &recs); err != nil {
			return nil, nil, fmt.Errorf("decode list data: %w", err)
		}
	}
	var more *bool
	if env.Page != nil {
		more = env.Page.HasMore
	}
	return recs, more, nil
}

// ErrPagingIgnored reports an upstream that returned the same full page twice in a row, which
// means it ignores the page parameter; continuing would loop forever.
var ErrPagingIgnored = errors.New("upstream returned the same page twice: page parameter ignored")

// Paginate calls fetch for pages first, first+1, … and hands each to fn, stopping after a page
// shorter than size (or the upstream's has_more=false). Only one page is held at a time.
func Paginate(ctx context.Context, first, size int, fetch func(ctx context.Context, n int) (Page, error), fn func(Page) error) error {
	var prev uint64
	for n := first; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := fetch(ctx, n)
		if err != nil {
			return fmt.Errorf("fetch page %d: %w", n, err)
		}
		p.Number = n
		if len(p.Records) > 0 {
			h := pageHash(p.Records)
			if n > first && h == prev && len(p.Records) >= size {
				return fmt.Errorf("fetch page %d: %w", n, ErrPagingIgnored)
			}
			prev = h
		}
		if len(p.Records) > 0 {
			if err := fn(p); err != nil {
				return err
			}
		}
		if p.HasMore != nil {
			if !*p.HasMore {
				return nil
			}
			if len(p.Records) == 0 {
				return nil // has_more with an empty page would never end
			}
			continue
		}
		if len(p.Records) < size {
			return nil
		}
	}
}

// pageSeed seeds pageHash; hashes are only compared within one process.
var pageSeed = maphash.MakeSeed()

func pageHash(recs []json.RawMessage) uint64 {
	var h maphash.Hash
	h.SetSeed(pageSeed)
	for _, r := range recs {
		h.Write(r)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// splitArray returns the elements of raw, a valid JSON array without surrounding space, as
// json.Unmarshal into []json.RawMessage would, but as sub-slices of raw (capacity clipped, so an
// append cannot reach a neighbour) instead of copies, and in one light pass that jumps over
// strings instead of encoding/json's second scan: splitting pages was a tenth of a pull's client
// CPU.
func splitArray(raw []byte) []json.RawMessage {
	recs := []json.RawMessage{}
	depth, start := 0, -1
	end := len(raw) - 1 // the closing ']'
	for i := 1; i < end; {
		switch raw[i] {
		case ' ', '\t', '\n', '\r':
			i++
			continue
		case ',':
			if depth == 0 {
				recs = append(recs, element(raw, start, i))
				start = -1
				i++
				continue
			}
		case '"':
			if start < 0 {
				start = i
			}
			if i = stringEnd(raw, i); i < 0 {
				i = end // not reached for valid JSON
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
		if start < 0 {
			start = i
		}
		i++
	}
	if start >= 0 {
		recs = append(recs, element(raw, start, end))
	}
	return recs
}

// stringEnd returns the index just past the closing quote of the JSON string whose opening quote
// is raw[i], or -1 if it is not closed.
func stringEnd(raw []byte, i int) int {
	for j := i + 1; ; {
		k := bytes.IndexByte(raw[j:], '"')
		if k < 0 {
			return -1
		}
		q := j + k
		backslashes := 0
		for p := q - 1; p > i && raw[p] == '\\'; p-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
}

// element is raw[start:end] without trailing space, capacity clipped.
func element(raw []byte, start, end int) json.RawMessage {
	for end > start {
		switch raw[end-1] {
		case ' ', '\t', '\n', '\r':
			end--
			continue
		}
		break
	}
	return json.RawMessage(raw[start:end:end])
}
