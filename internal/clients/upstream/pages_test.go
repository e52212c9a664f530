package upstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

func TestDecodeList(t *testing.T) {
	f, tr := false, true
	cases := []struct {
		name string
		in   string
		n    int
		more *bool
	}{
		{"bare array", `[{"id":1},{"id":2}]`, 2, nil},
		{"empty array", `[]`, 0, nil},
		{"null", `null`, 0, nil},
		{"data envelope", `{"data":[{"id":1}],"total":9}`, 1, nil},
		{"data null", `{"data":null}`, 0, nil},
		{"reporting envelope", `{"data":[{"id":1}],"page":{"has_more":true,"next_page_number":1}}`, 1, &tr},
		{"reporting envelope last", `{"data":[],"page":{"has_more":false}}`, 0, &f},
		{"results envelope", `{"results":[{"id":1},{"id":2},{"id":3}]}`, 3, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			recs, more, err := upstream.DecodeList([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != tc.n {
				t.Errorf("records = %d, want %d", len(recs), tc.n)
			}
			if (more == nil) != (tc.more == nil) || (more != nil && *more != *tc.more) {
				t.Errorf("has_more = %v, want %v", more, tc.more)
			}
		})
	}
	if _, _, err := upstream.DecodeList([]byte(`[{"id":1},`)); err == nil {
		t.Error("truncated array must be an error")
	}
}

func pageOf(ids ...int) upstream.Page {
	var p upstream.Page
	for _, id := range ids {
		p.Records = append(p.Records, json.RawMessage(fmt.Sprintf(`{"id":%d}`, id)))
	}
	return p
}

func TestPaginate(t *testing.T) {
	t.Run("stops on a short page", func(t *testing.T) {
		pages := []upstream.Page{pageOf(1, 2), pageOf(3, 4), pageOf(5)}
		var fetched, got []int
		err := upstream.Paginate(context.Background(), 0, 2, func(_ context.Context, n int) (upstream.Page, error) {
			fetched = append(fetched, n)
			return pages[n], nil
		}, func(p upstream.Page) error { got = append(got, p.Number); return nil })
		if err != nil || fmt.Sprint(fetched) != "[0 1 2]" || fmt.Sprint(got) != "[0 1 2]" {
			t.Errorf("fetched %v handled %v err %v", fetched, got, err)
		}
	})
	t.Run("an exactly full last page costs one empty fetch", func(t *testing.T) {
		pages := []upstream.Page{pageOf(1, 2), pageOf(3, 4), {}}
		var fetched []int
		err := upstream.Paginate(context.Background(), 1, 2, func(_ context.Context, n int) (upstream.Page, error) {
			fetched = append(fetched, n)
			return pages[n-1], nil
		}, func(upstream.Page) error { return nil })
		if err != nil || fmt.Sprint(fetched) != "[1 2 3]" {
			t.Errorf("fetched %v err %v", fetched, err)
		}
	})
	t.Run("an upstream ignoring the page parameter is caught", func(t *testing.T) {
		calls := 0
		err := upstream.Paginate(context.Background(), 0, 2, func(context.Context, int) (upstream.Page, error) {
			calls++
			return pageOf(1, 2), nil
		}, func(upstream.Page) error { return nil })
		if !errors.Is(err, upstream.ErrPagingIgnored) || calls != 2 {
			t.Errorf("err %v after %d calls", err, calls)
		}
	})
	t.Run("has_more wins over page size", func(t *testing.T) {
		f := false
		p := pageOf(1, 2)
		p.HasMore = &f
		calls := 0
		_ = upstream.Paginate(context.Background(), 0, 2, func(context.Context, int) (upstream.Page, error) {
			calls++
			return p, nil
		}, func(upstream.Page) error { return nil })
		if calls != 1 {
			t.Errorf("calls = %d, want 1", calls)
		}
	})
	t.Run("a handler error stops paging", func(t *testing.T) {
		boom := errors.New("boom")
		err := upstream.Paginate(context.Background(), 0, 1, func(context.Context, int) (upstream.Page, error) {
			return pageOf(1), nil
		}, func(upstream.Page) error { return boom })
		if !errors.Is(err, boom) {
			t.Errorf("err = %v", err)
		}
	})
}
