package upstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

var fast = upstream.RetryPolicy{Base: time.Millisecond, Cap: 2 * time.Millisecond, MaxElapsed: 5 * time.Second, MaxAttempts: 4}

// scripted answers each attempt with the next response of a script (the last one repeats).
type reply struct {
	status int
	body   string
	header map[string]string
}

func scripted(t *testing.T, replies ...reply) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		rp := replies[min(i, len(replies)-1)]
		for k, v := range rp.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rp.status)
		fmt.Fprint(w, rp.body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func newClient(t *testing.T, url string) *upstream.Client {
	t.Helper()
	c, err := upstream.New(upstream.Config{
		API: "test", BaseURL: url, Retry: fast, Timeout: 2 * time.Second,
		ParseError: func(b []byte) (string, string) {
			var e struct{ ErrorType, Message string }
			_ = json.Unmarshal(b, &e)
			return e.ErrorType, e.Message
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRetryDecisions(t *testing.T) {
	ok := reply{status: 200, body: `{"ok":true}`}
	cases := []struct {
		name     string
		method   string
		replies  []reply
		wantErr  bool
		attempts int32
		kind     upstream.Kind
		status   int
	}{
		{"GET retries 500 then succeeds", "GET", []reply{{status: 500}, {status: 500}, ok}, false, 3, 0, 0},
		{"GET retries 502/503/504", "GET", []reply{{status: 502}, {status: 503}, {status: 504}, ok}, false, 4, 0, 0},
		{"GET retries 429 without Retry-After", "GET", []reply{{status: 429}, ok}, false, 2, 0, 0},
		{"GET gives up after max attempts", "GET", []reply{{status: 503, body: "down"}}, true, 4, upstream.KindTransient, 503},
		{"GET does not retry 404", "GET", []reply{{status: 404, body: `{"ErrorType":"CommunityNotFound","Message":"no"}`}}, true, 1, upstream.KindNotFound, 404},
		{"GET does not retry 401", "GET", []reply{{status: 401, body: `{"error":"Unauthorized"}`}}, true, 1, upstream.KindAuth, 401},
		{"GET does not retry 400", "GET", []reply{{status: 400, body: `not json`}}, true, 1, upstream.KindInvalid, 400},
		{"GET retries a truncated body", "GET", []reply{{status: 200, body: `{"ok":tr`}, ok}, false, 2, 0, 0},
		{"POST does not retry 500", "POST", []reply{{status: 500}, ok}, true, 1, upstream.KindTransient, 500},
		{"POST does not retry 503", "POST", []reply{{status: 503}, ok}, true, 1, upstream.KindTransient, 503},
		{"POST retries 429", "POST", []reply{{status: 429}, ok}, false, 2, 0, 0},
		{"POST does not retry a truncated body", "POST", []reply{{status: 201, body: `{"ok":`}, ok}, true, 1, upstream.KindDecode, 201},
		{"PUT retries 503", "PUT", []reply{{status: 503}, ok}, false, 2, 0, 0},
		{"PUT does not retry 500", "PUT", []reply{{status: 500}, ok}, true, 1, upstream.KindTransient, 500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, n := scripted(t, tc.replies...)
			c := newClient(t, srv.URL)
			var out map[string]any
			err := c.Do(context.Background(), upstream.Request{Method: tc.method, Path: "/x", Body: map[string]int{"a": 1}}, &out)
			if got := n.Load(); got != tc.attempts {
				t.Errorf("attempts = %d, want %d", got, tc.attempts)
			}
			if c.Retries() != int64(tc.attempts-1) {
				t.Errorf("Retries() = %d, want %d", c.Retries(), tc.attempts-1)
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil {
				if out["ok"] != true {
					t.Errorf("body not decoded: %v", out)
				}
				return
			}
			var ue *upstream.Error
			if !errors.As(err, &ue) {
				t.Fatalf("error %v is not an *upstream.Error", err)
			}
			if ue.Kind != tc.kind || ue.Status != tc.status {
				t.Errorf("kind/status = %v/%d, want %v/%d", ue.Kind, ue.Status, tc.kind, tc.status)
			}
		})
	}
}

func TestErrorCarriesUpstreamCode(t *testing.T) {
	srv, _ := scripted(t, reply{status: 404, body: `{"ErrorType":"RenterNotFound","Message":"could not match renter"}`})
	err := newClient(t, srv.URL).Do(context.Background(), upstream.Request{Method: "POST", Path: "/score", Op: "POST /score"}, nil)
	if !upstream.IsCode(err, "RenterNotFound") {
		t.Fatalf("IsCode(RenterNotFound) false for %v", err)
	}
	if upstream.KindOf(err) != upstream.KindNotFound {
		t.Errorf("kind = %v", upstream.KindOf(err))
	}
	if !strings.Contains(err.Error(), "POST /score") || !strings.Contains(err.Error(), "could not match renter") {
		t.Errorf("error text %q should say what was called and what the upstream said", err)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	srv, n := scripted(t, reply{status: 429, header: map[string]string{"Retry-After": "0.3"}}, reply{status: 200, body: `{}`})
	c := newClient(t, srv.URL)
	start := time.Now()
	if err := c.Do(context.Background(), upstream.Request{Method: "GET", Path: "/"}, nil); err != nil {
		t.Fatal(err)
	}
	// The policy's own backoff is ~1ms; only the Retry-After hint explains a wait this long. This
	// is a lower bound, so a slow machine cannot make it fail.
	if waited := time.Since(start); waited < 250*time.Millisecond {
		t.Errorf("retried after %s, want at least the advertised 300ms", waited)
	}
	if n.Load() != 2 {
		t.Errorf("attempts = %d", n.Load())
	}
}

func TestRetryAfterIsCapped(t *testing.T) {
	srv, _ := scripted(t, reply{status: 429, header: map[string]string{"Retry-After": "3600"}}, reply{status: 200, body: `{}`})
	c, _ := upstream.New(upstream.Config{API: "test", BaseURL: srv.URL,
		Retry: upstream.RetryPolicy{Base: time.Millisecond, MaxRetryAfter: 20 * time.Millisecond, MaxAttempts: 3}}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Do(ctx, upstream.Request{Method: "GET", Path: "/"}, nil); err != nil {
		t.Fatalf("an hour-long Retry-After must be capped, got %v", err)
	}
}

func TestCancelWhileBackingOffReportsLastError(t *testing.T) {
	srv, _ := scripted(t, reply{status: 503, body: "maintenance", header: map[string]string{"Retry-After": "30"}})
	c, _ := upstream.New(upstream.Config{API: "test", BaseURL: srv.URL}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := c.Do(ctx, upstream.Request{Method: "GET", Path: "/"}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's error", err)
	}
	var ue *upstream.Error
	if !errors.As(err, &ue) || ue.Status != 503 {
		t.Errorf("err = %v, want it to carry the last upstream error (503)", err)
	}
}

func TestRateLimiterIsWaitedOn(t *testing.T) {
	srv, n := scripted(t, reply{status: 200, body: `{}`})
	lim := upstream.NewLimiters().Get("acme", upstream.BucketSpec{Key: "k", Requests: 20, Per: time.Second, Burst: 1}) // one request per ~53ms
	var waited atomic.Int64
	c, _ := upstream.New(upstream.Config{API: "test", BaseURL: srv.URL, Limiter: lim, Observer: waitObserver{&waited}}, nil)
	start := time.Now()
	for range 5 {
		if err := c.Do(context.Background(), upstream.Request{Method: "GET", Path: "/"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n.Load() != 5 {
		t.Fatalf("requests = %d", n.Load())
	}
	if el := time.Since(start); el < 180*time.Millisecond {
		t.Errorf("5 requests at 20/s took %s; the limiter was not applied", el)
	}
	if waited.Load() == 0 {
		t.Error("rate-limit waits were not reported to the observer")
	}
}

type waitObserver struct{ waited *atomic.Int64 }

func (waitObserver) ObserveRequest(string, string, int, time.Duration) {}
func (waitObserver) ObserveRetry(string, string, upstream.Kind)        {}
func (o waitObserver) ObserveRateWait(_ string, d time.Duration)       { o.waited.Add(int64(d)) }

func TestNetworkErrorsNeverLeakTheURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // connection refused from now on
	c, _ := upstream.New(upstream.Config{API: "test", BaseURL: url, Retry: fast}, nil)
	err := c.Do(context.Background(), upstream.Request{Method: "GET", Path: "/secret-path", Query: map[string][]string{"key": {"s3cr3t"}}}, nil)
	if err == nil {
		t.Fatal("want an error")
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error leaks the query string: %v", err)
	}
	if upstream.KindOf(err) != upstream.KindTransient {
		t.Errorf("kind = %v, want transient", upstream.KindOf(err))
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"5", 5 * time.Second},
		{"1.5", 1500 * time.Millisecond},
		{"-3", 0},
		{"Sat, 21 Nov 2026 12:00:30 GMT", 30 * time.Second},
		{"Sat, 21 Nov 2026 11:59:00 GMT", 0},
		{"soon", 0},
	}
	for _, tc := range cases {
		if got := upstream.ParseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("ParseRetryAfter(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
