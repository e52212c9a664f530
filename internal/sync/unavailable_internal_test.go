package sync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

// Which errors of a pass that received no page make its resource unavailable, and the reason.
func TestUnavailableReason(t *testing.T) {
	status := func(op string, code int) *upstream.Error {
		return &upstream.Error{API: "funnel", Op: op, Status: code, Kind: upstream.KindForStatus(code)}
	}
	list := "GET /community/{id}/prospects/"
	notFound := status(list, http.StatusNotFound)
	cnf := status(list, http.StatusNotFound)
	cnf.Code = "CommunityNotFound"
	decode := &upstream.Error{API: "rentengine", Op: "GET /leasing_events", Status: 200, Kind: upstream.KindDecode,
		Err: errors.New("invalid character '<'")}
	wrap := func(err error) error { return fmt.Errorf("list prospects of community 1: fetch page 1: %w", err) }

	cases := []struct {
		name   string
		err    error
		reason string // "" = not unavailable
	}{
		{"404", wrap(notFound), list + ": 404 Not Found"},
		{"405", wrap(status(list, http.StatusMethodNotAllowed)), list + ": 405 Method Not Allowed"},
		{"410", wrap(status(list, http.StatusGone)), list + ": 410 Gone"},
		{"a body that is not a JSON list, after the retries", fmt.Errorf("giving up after 3 attempts: %w", decode),
			"GET /leasing_events: 200 answered a body that is not a JSON list"},
		{"every community alike, said once", errors.Join(wrap(notFound), wrap(notFound)), list + ": 404 Not Found"},
		{"CommunityNotFound names a community", wrap(cnf), ""},
		{"one community not found among unavailable ones", errors.Join(wrap(notFound), wrap(cnf)), ""},
		{"a 500 among them", errors.Join(wrap(notFound), wrap(status(list, 500))), ""},
		{"other 4xx", wrap(status(list, http.StatusPaymentRequired)), ""},
		{"rate limited", wrap(status(list, http.StatusTooManyRequests)), ""},
		{"credentials", wrap(status(list, http.StatusUnauthorized)), ""},
		{"cancelled", fmt.Errorf("%w (after 2 attempts, last error: %w)", context.Canceled, notFound), ""},
		{"not an upstream error", errors.New("database down"), ""},
		{"too many pages", fmt.Errorf("%w: more than 3 pages", ErrTooManyPages), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reason, ok := unavailableReason(tc.err)
			if ok != (tc.reason != "") || reason != tc.reason {
				t.Errorf("unavailableReason = %q, %v; want %q", reason, ok, tc.reason)
			}
		})
	}
}
