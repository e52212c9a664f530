package upstream_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

// TestVerifiedWrites: a write given a VerifyFunc counts only when the answer is JSON and the
// func accepts it; any other 2xx fails the call as KindUnverified, once, never retried (the write
// may have landed), with the status, the content type and an excerpt of the body in its text.
func TestVerifiedWrites(t *testing.T) {
	const html = "<!DOCTYPE html>\r\n<html><head><title>Maintenance</title></head><body>Back soon</body></html>"
	wantOK := func(a upstream.Answer) error {
		if err := upstream.CheckJSONBody(a.Body); err != nil {
			return err
		}
		if !strings.Contains(string(a.Body), `"ok":true`) {
			return errors.New("no ok")
		}
		return nil
	}
	tests := []struct {
		name   string
		method string
		reply  reply
		ok     bool
		// want are fragments of the error text.
		want []string
	}{
		{"201 with the documented answer", http.MethodPost,
			reply{status: 201, body: `{"ok":true}`, header: map[string]string{"Content-Type": "application/json; charset=utf-8"}}, true, nil},
		{"a +json type passes", http.MethodPut,
			reply{status: 200, body: `{"ok":true}`, header: map[string]string{"Content-Type": "application/vnd.api+json"}}, true, nil},
		{"no declared type: the body decides", http.MethodPost,
			reply{status: 200, body: `{"ok":true}`, header: map[string]string{"Content-Type": ""}}, true, nil},
		{"200 with an HTML page", http.MethodPost,
			reply{status: 200, body: html, header: map[string]string{"Content-Type": "text/html; charset=utf-8"}}, false,
			[]string{"unverified 200 answer", "content type is not JSON", `"text/html; charset=utf-8"`, `<title>Maintenance</title>`, `\r\n`}},
		{"200 with the right JSON declared as HTML", http.MethodPut,
			reply{status: 200, body: `{"ok":true}`, header: map[string]string{"Content-Type": "text/html"}}, false,
			[]string{"content type is not JSON"}},
		{"200 with HTML declared as JSON", http.MethodPost,
			reply{status: 200, body: html, header: map[string]string{"Content-Type": "application/json"}}, false,
			[]string{"the body is not JSON", "Maintenance"}},
		{"200 with an empty body", http.MethodPost,
			reply{status: 200, header: map[string]string{"Content-Type": "application/json"}}, false,
			[]string{"the body is empty", `body ""`}},
		{"204 No Content", http.MethodPut, reply{status: 204}, false, []string{"unverified 204 answer", "the body is empty"}},
		{"200 with JSON of another shape", http.MethodPut,
			reply{status: 200, body: `{"status":"queued"}`, header: map[string]string{"Content-Type": "application/json"}}, false,
			[]string{"no ok", `{\"status\":\"queued\"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := scripted(t, tt.reply)
			c := newClient(t, srv.URL)
			err := c.Do(context.Background(), upstream.Request{Method: tt.method, Path: "/w", Body: map[string]int{"x": 1}, Op: tt.method + " /w"},
				upstream.VerifyFunc(wantOK))
			if n.Load() != 1 {
				t.Errorf("%d attempts, want 1: an unverified write is never repeated", n.Load())
			}
			if tt.ok {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var ue *upstream.Error
			if !errors.As(err, &ue) || ue.Kind != upstream.KindUnverified || ue.Status != tt.reply.status {
				t.Fatalf("err = %v, want a %d of kind unverified", err, tt.reply.status)
			}
			if ue.ContentType != tt.reply.header["Content-Type"] {
				t.Errorf("ContentType = %q, want %q", ue.ContentType, tt.reply.header["Content-Type"])
			}
			if upstream.KindOf(err).String() != "unverified" {
				t.Errorf("kind name %q", upstream.KindOf(err))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("the reason spans lines: %q", err)
			}
		})
	}
}

// TestUnverifiedAnswerIsScrubbed: the excerpt of an unverified answer leaves the client like any
// error body, without the credential a careless upstream echoed into it.
func TestUnverifiedAnswerIsScrubbed(t *testing.T) {
	const token = "tok-SECRET-42"
	srv, _ := scripted(t, reply{status: 200, body: "<html>signed in as Bearer " + token + "</html>",
		header: map[string]string{"Content-Type": "text/html"}})
	c, err := upstream.New(upstream.Config{API: "test", BaseURL: srv.URL, Retry: fast, Secrets: []string{token},
		Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Do(context.Background(), upstream.Request{Method: http.MethodPost, Path: "/w", Body: 1},
		upstream.VerifyFunc(func(upstream.Answer) error { return nil }))
	if upstream.KindOf(err) != upstream.KindUnverified || strings.Contains(err.Error(), token) ||
		!strings.Contains(err.Error(), upstream.Redacted) {
		t.Errorf("err = %v, want an unverified answer with the token redacted", err)
	}
}
