package funnelflux_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/syncd-dev/syncd/internal/clients/funnelflux"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

// TestConversionAnswers: a conversion update succeeds only on an answer that means "queued": no
// body, or a JSON object that is not an error. Anything else is unverified and not repeated.
func TestConversionAnswers(t *testing.T) {
	for _, tt := range []struct {
		name, contentType, body string
		status                  int
		ok                      bool
	}{
		{"204 no body", "", "", http.StatusNoContent, true},
		{"202 no body", "", "", http.StatusAccepted, true},
		{"200 empty object", "application/json", "{}", http.StatusOK, true},
		{"200 status message", "application/json", `{"message":"queued","error":null}`, http.StatusOK, true},
		{"200 HTML page", "text/html", "<html>maintenance</html>", http.StatusOK, false},
		{"200 text", "text/plain", "OK", http.StatusOK, false},
		{"200 JSON array", "application/json", "[]", http.StatusOK, false},
		{"200 JSON string", "application/json", `"queued"`, http.StatusOK, false},
		{"200 error document", "application/json", `{"error":"rate limited"}`, http.StatusOK, false},
		{"200 broken JSON", "", `{"message":`, http.StatusOK, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv, err := fakeapi.Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}), "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Close)
			c, err := funnelflux.New(funnelflux.Config{BaseURL: srv.URL + "/v1", AccessToken: access}, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = c.UpdateConversions(context.Background(), funnelflux.ConversionUpdate{
				Hits: []funnelflux.ConvertedHit{{HitID: "01abch", Transaction: "lease-1"}}})
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if !tt.ok && upstream.KindOf(err) != upstream.KindUnverified {
				t.Errorf("kind %v: %v", upstream.KindOf(err), err)
			}
			if calls.Load() != 1 {
				t.Errorf("%d calls, want 1", calls.Load())
			}
		})
	}
}

// TestWriteRetriedOnceAfterRefusedToken: a conversion update refused for its token (it was not
// processed) is sent again once, with the renewed token.
func TestWriteRetriedOnceAfterRefusedToken(t *testing.T) {
	b := setup(t, nil, nil)
	b.fake.ExpireAccessTokens()
	err := b.client.UpdateConversions(context.Background(), funnelflux.ConversionUpdate{
		Hits: []funnelflux.ConvertedHit{{HitID: b.seeded.FreshHits[0], Transaction: "lease-9"}}})
	if err != nil {
		t.Fatal(err)
	}
	var puts []int
	for _, r := range b.fake.Requests() {
		if r.Method == http.MethodPut {
			puts = append(puts, r.Status)
		}
	}
	if len(puts) != 2 || puts[0] != http.StatusUnauthorized || puts[1] != http.StatusAccepted || b.fake.ConversionUpdates() != 1 {
		t.Errorf("PUT statuses %v, %d updates queued", puts, b.fake.ConversionUpdates())
	}
}
