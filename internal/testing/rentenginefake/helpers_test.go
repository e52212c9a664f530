package rentenginefake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

const testToken = "test-token"

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// bundle is what one test works with.
type bundle struct {
	s      *Server
	clock  *clock
	client *http.Client
}

// setup starts a fake with a fixed clock; opts may adjust the options.
func setup(t *testing.T, opts ...func(*Options)) *bundle {
	t.Helper()
	c := newClock()
	o := Options{Token: testToken, Now: c.Now}
	for _, f := range opts {
		f(&o)
	}
	s := New(o)
	t.Cleanup(s.Close)
	// No keep-alive, so a reset fault reaches the client instead of being retried by the transport.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	return &bundle{s: s, clock: c, client: client}
}

// response is one answer; err is set for transport and body-read errors.
type response struct {
	status int
	header http.Header
	body   []byte
	err    error
}

func (b *bundle) do(t *testing.T, method, path, token string, body []byte) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, b.s.BaseURL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return response{err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: data, err: err}
}

func (b *bundle) get(t *testing.T, path string) response {
	t.Helper()
	return b.do(t, http.MethodGet, path, testToken, nil)
}

func (b *bundle) post(t *testing.T, body string) response {
	t.Helper()
	return b.do(t, http.MethodPost, "/leasing_events", testToken, []byte(body))
}

// list decodes a bare-array page, failing the test on anything else.
func list(t *testing.T, r response) []map[string]any {
	t.Helper()
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("got %d %s (err %v), want 200", r.status, r.body, r.err)
	}
	if !bytes.HasPrefix(r.body, []byte("[")) {
		t.Fatalf("page is not a bare JSON array: %.80s", r.body)
	}
	var out []map[string]any
	d := json.NewDecoder(bytes.NewReader(r.body))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		t.Fatalf("decode page: %v", err)
	}
	return out
}

// apiErr decodes the documented error body.
func apiErr(t *testing.T, r response) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", r.body, err)
	}
	return e
}

func idsOf(t *testing.T, recs []map[string]any) []int64 {
	t.Helper()
	out := make([]int64, len(recs))
	for i, r := range recs {
		id, ok := fakeapi.Int64Of(r["id"])
		if !ok {
			t.Fatalf("record without integer id: %v", r)
		}
		out[i] = id
	}
	return out
}

func messages(e apiError) string {
	var m []string
	for _, d := range e.Details {
		m = append(m, d.Message)
	}
	return strings.Join(m, "; ")
}
