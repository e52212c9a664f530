package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
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
		var recs []json.RawMessage
		if err := json.Unmarshal(raw, &recs); err != nil {
			return nil, nil, fmt.Errorf("decode list: %w", err)
		}
		return recs, nil, nil
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

func pageHash(recs []json.RawMessage) uint64 {
	h := fnv.New64a()
	for _, r := range recs {
		h.Write(r)
		h.Write([]byte{0})
	}
	return h.Sum64()
}
