package upstream_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

// Request.Exchange receives the last response of a call, whatever its status, and the attempts
// it took; never anything of the request's headers.
func TestExchange(t *testing.T) {
	cases := []struct {
		name     string
		replies  []reply
		wantErr  bool
		status   int
		attempts int
		header   string // a response header that must be there
	}{
		{"ok at once", []reply{{status: 200, body: `[]`, header: map[string]string{"X-RateLimit-Remaining": "19"}}},
			false, 200, 1, "X-Ratelimit-Remaining"},
		{"ok after a 429", []reply{{status: 429, header: map[string]string{"Retry-After": "0"}},
			{status: 200, body: `[]`, header: map[string]string{"RateLimit-Limit": "20"}}},
			false, 200, 2, "Ratelimit-Limit"},
		{"a 404", []reply{{status: 404, body: `{"error":"Not Found"}`, header: map[string]string{"X-Request-Id": "abc"}}},
			true, 404, 1, "X-Request-Id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := scripted(t, tc.replies...)
			c := newClient(t, strings.Replace(srv.URL, "http://", "http://user:pw@", 1)+"/v1")
			var ex upstream.Exchange
			var body []byte
			err := c.Do(context.Background(), upstream.Request{Method: http.MethodGet, Path: "/units",
				Query: map[string][]string{"limit": {"5"}}, Exchange: &ex}, &body)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if ex.Status != tc.status || ex.Attempts != tc.attempts || ex.Header.Get(tc.header) == "" || ex.Latency <= 0 {
				t.Errorf("exchange %+v", ex)
			}
			if ex.URL != srv.URL+"/v1/units?limit=5" {
				t.Errorf("URL %q", ex.URL)
			}
			if ex.Header.Get("Authorization") != "" {
				t.Errorf("a request header in the exchange: %v", ex.Header)
			}
		})
	}
}
