package upstream_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

// origin is a test server that records every request it gets and answers with handle.
type origin struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
}

func newOrigin(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *origin {
	t.Helper()
	o := &origin{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.reqs = append(o.reqs, r.Clone(context.Background()))
		o.mu.Unlock()
		handle(w, r)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *origin) requests() []*http.Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*http.Request(nil), o.reqs...)
}

const bearer = "Bearer tok-REDIRECT-SECRET"

func authClient(t *testing.T, base string, mod func(*upstream.Config)) *upstream.Client {
	t.Helper()
	cfg := upstream.Config{API: "test", BaseURL: base, Retry: fast, Timeout: 2 * time.Second,
		Authorize: func(r *http.Request) { r.Header.Set("Authorization", bearer) }}
	if mod != nil {
		mod(&cfg)
	}
	c, err := upstream.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRedirectToAnotherPortCarriesNoCredentials: the same host on another port is another
// origin. Go's default policy forwards Authorization there (it compares host names, not ports),
// and a target answering [] made a pull look complete.
func TestRedirectToAnotherPortCarriesNoCredentials(t *testing.T) {
	other := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `[]`) })
	base := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path+"?page=1", http.StatusFound)
	})
	c := authClient(t, base.URL, nil)
	var out []any
	err := c.Do(context.Background(), upstream.Request{Method: http.MethodGet, Path: "/units"}, &out)
	if err == nil {
		t.Fatal("a redirect to another port must fail the call, not return the other server's answer")
	}
	for _, r := range other.requests() {
		t.Errorf("the other origin was called (Authorization %q)", r.Header.Get("Authorization"))
	}
	host := strings.TrimPrefix(other.URL, "http://")
	if !strings.Contains(err.Error(), "redirect to http://"+host+"/units?… not followed") {
		t.Errorf("error %q does not name the Location", err)
	}
	var ue *upstream.Error
	if !errors.As(err, &ue) || ue.Status != http.StatusFound || ue.Location != other.URL+"/units?…" {
		t.Errorf("error = %#v, want status 302 and the Location", ue)
	}
	if n := len(base.requests()); n != 1 {
		t.Errorf("a refused redirect was tried %d times, want once", n)
	}
}

// TestRedirectsOfWritesFail: Go turns a POST answered 302/303 into a bodiless GET and replays a
// 307/308 elsewhere; either way the write was reported as done. It is a failed attempt instead.
func TestRedirectsOfWritesFail(t *testing.T) {
	for _, tc := range []struct {
		method string
		status int
	}{
		{http.MethodPost, http.StatusFound},
		{http.MethodPost, http.StatusSeeOther},
		{http.MethodPost, http.StatusTemporaryRedirect},
		{http.MethodPut, http.StatusPermanentRedirect},
		{http.MethodPut, http.StatusMovedPermanently},
		{http.MethodDelete, http.StatusFound},
	} {
		t.Run(fmt.Sprintf("%s %d", tc.method, tc.status), func(t *testing.T) {
			var srv *origin
			srv = newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/moved" {
					fmt.Fprint(w, `{"ok":true}`)
					return
				}
				w.Header().Set("Location", srv.URL+"/moved")
				w.WriteHeader(tc.status)
			})
			c := authClient(t, srv.URL, nil)
			err := c.Do(context.Background(), upstream.Request{Method: tc.method, Path: "/scores", Body: map[string]int{"v": 1}}, nil)
			if err == nil {
				t.Fatal("a redirected write must fail")
			}
			if !strings.Contains(err.Error(), "redirect to "+srv.URL+"/moved not followed") {
				t.Errorf("error %q does not name the Location", err)
			}
			if got := len(srv.requests()); got != 1 {
				t.Errorf("requests = %d, want 1 (not retried, not followed)", got)
			}
			if k := upstream.KindOf(err); k != upstream.KindPermanent {
				t.Errorf("kind = %v, want permanent", k)
			}
		})
	}
}

// TestSameOriginRedirectsAreFollowedThreeHops follows a read through at most three redirects on
// the base URL's origin, with the credential on each hop, and refuses a fourth.
func TestSameOriginRedirectsAreFollowedThreeHops(t *testing.T) {
	for hops := 1; hops <= 4; hops++ {
		t.Run(strconv.Itoa(hops), func(t *testing.T) {
			srv := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/api/r"))
				if n < hops {
					// Relative, absolute-path and absolute forms all resolve to this origin.
					loc := []string{"r%d", "/api/r%d", "http://" + r.Host + "/api/r%d"}[n%3]
					w.Header().Set("Location", fmt.Sprintf(loc, n+1))
					w.WriteHeader([]int{http.StatusFound, http.StatusMovedPermanently, http.StatusTemporaryRedirect}[n%3])
					return
				}
				fmt.Fprintf(w, `{"hops":%d}`, n)
			})
			c := authClient(t, srv.URL+"/api", nil)
			var out map[string]int
			err := c.Do(context.Background(), upstream.Request{Method: http.MethodGet, Path: "/r0"}, &out)
			reqs := srv.requests()
			for _, r := range reqs {
				if r.Header.Get("Authorization") != bearer {
					t.Errorf("%s: Authorization %q, want the credential on every same-origin hop", r.URL.Path, r.Header.Get("Authorization"))
				}
			}
			if hops <= 3 {
				if err != nil || out["hops"] != hops {
					t.Fatalf("err = %v, out = %v; want %d hops followed", err, out, hops)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "more than 3 redirects") {
				t.Fatalf("err = %v, want the fourth redirect refused", err)
			}
			if len(reqs) != 4 {
				t.Errorf("requests = %d, want 4 (the first and three hops; the fourth hop never sent)", len(reqs))
			}
		})
	}
}

func TestRedirectToAnotherSchemeOrHostFails(t *testing.T) {
	for _, loc := range []string{"https://%s/x", "http://localhost:%s/x", "http://example.invalid/x"} {
		t.Run(loc, func(t *testing.T) {
			var srv *origin
			srv = newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				u, _ := url.Parse(srv.URL)
				l := loc
				switch {
				case strings.HasPrefix(loc, "https"):
					l = fmt.Sprintf(loc, u.Host)
				case strings.Contains(loc, "localhost"):
					l = fmt.Sprintf(loc, u.Port())
				}
				http.Redirect(w, r, l, http.StatusFound)
			})
			err := authClient(t, srv.URL, nil).Do(context.Background(), upstream.Request{Method: http.MethodGet, Path: "/"}, nil)
			if err == nil || !strings.Contains(err.Error(), "not the origin of the configured base URL") {
				t.Fatalf("err = %v, want the redirect refused", err)
			}
		})
	}
}

func TestResponseTooLarge(t *testing.T) {
	body := strings.Repeat("x", 2000)
	cases := []struct {
		name    string
		handle  func(w http.ResponseWriter)
		wantErr string
	}{
		{"declared length", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "2000")
			fmt.Fprint(w, body)
		}, "200 OK: response too large (2000 bytes, limit 1000)"},
		{"unknown length", func(w http.ResponseWriter) {
			fmt.Fprint(w, body[:500])
			w.(http.Flusher).Flush() // chunked from here: no Content-Length
			fmt.Fprint(w, body[500:])
		}, "200 OK: response too large (more than 1000 bytes, limit 1000)"},
		{"at the limit", func(w http.ResponseWriter) { fmt.Fprint(w, body[:1000]) }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				tc.handle(w)
			}))
			t.Cleanup(srv.Close)
			c := authClient(t, srv.URL, func(cfg *upstream.Config) { cfg.MaxBodyBytes = 1000 })
			var raw []byte
			err := c.Do(context.Background(), upstream.Request{Method: http.MethodGet, Path: "/"}, &raw)
			if tc.wantErr == "" {
				if err != nil || len(raw) != 1000 {
					t.Fatalf("err = %v, len = %d; a body at the limit must be read whole", err, len(raw))
				}
				return
			}
			if err == nil || !errors.Is(err, upstream.ErrResponseTooLarge) {
				t.Fatalf("err = %v, want ErrResponseTooLarge", err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %q, want it to contain %q", err, tc.wantErr)
			}
			if n.Load() != 1 {
				t.Errorf("attempts = %d, want 1: a body too large is not retried", n.Load())
			}
		})
	}
}

// TestResponseTooLargeByDefault: a body declared at 1 GiB is refused from its header against the
// 64 MiB default, without reading it and without retrying. Before, the body was read up to 64 MiB
// and cut, then reported as a decode error ("unexpected end of JSON input") and retried.
func TestResponseTooLargeByDefault(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Length", strconv.Itoa(1<<30))
		fmt.Fprint(w, `[{"id":1}`)
	}))
	t.Cleanup(srv.Close)
	var out []any
	err := authClient(t, srv.URL, nil).Do(context.Background(), upstream.Request{Method: http.MethodGet, Path: "/"}, &out)
	if err == nil || !strings.Contains(err.Error(), "response too large (1073741824 bytes, limit 67108864)") {
		t.Fatalf("err = %v", err)
	}
	if n.Load() != 1 {
		t.Errorf("attempts = %d, want 1", n.Load())
	}
}

// TestResponseTooLargeKeepsMemoryBounded streams 64 MiB without a length against a 1 MiB limit:
// the client may hold the limit, not the body.
func TestResponseTooLargeKeepsMemoryBounded(t *testing.T) {
	chunk := []byte(strings.Repeat("y", 64<<10))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for range 1024 {
			if _, err := w.Write(chunk); err != nil {
				return // the client stopped reading
			}
		}
	}))
	t.Cleanup(srv.Close)
	c := authClient(t, srv.URL, func(cfg *upstream.Config) { cfg.MaxBodyBytes = 1 << 20 })
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var raw []byte
	err := c.Do(context.Background(), upstream.Request{Method: http.MethodGet, Path: "/"}, &raw)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, upstream.ErrResponseTooLarge) {
		t.Fatalf("err = %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("allocated %d MiB for a 1 MiB limit", alloc>>20)
	}
}

func TestAuthFailuresAreCredentialsRejected(t *testing.T) {
	for status, want := range map[int]bool{401: true, 403: true, 404: false, 500: false} {
		srv, _ := scripted(t, reply{status: status, body: `{}`})
		err := newClient(t, srv.URL).Do(context.Background(), upstream.Request{Method: http.MethodGet, Path: "/"}, nil)
		if got := errors.Is(err, upstream.ErrCredentialsRejected); got != want {
			t.Errorf("%d: errors.Is(err, ErrCredentialsRejected) = %v, want %v", status, got, want)
		}
	}
}

// TestErrorsAreScrubbedOfCredentials: an upstream that echoes the credential, in any of the forms
// it may come back in, gets it replaced in every text an error carries.
func TestErrorsAreScrubbedOfCredentials(t *testing.T) {
	const (
		token = "tok/EN+9f8e=7d&6c?5b a4"
		key   = "fu-KEY/5e+6f=7a"
		pass  = "pw-SECRET-0c1d"
	)
	basic := func(user, pw string) func(r *http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(user, pw) }
	}
	b64 := base64.StdEncoding.EncodeToString
	cases := []struct {
		name      string
		authorize func(*http.Request)
		secrets   []string
		echo      []string // forms echoed; none may survive
	}{
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }, []string{token},
			[]string{token, "Bearer " + token, url.QueryEscape(token), url.PathEscape(token),
				lowerEscapes(url.QueryEscape(token)), strings.ReplaceAll(token, "/", `\/`), b64([]byte(token))}},
		{"bearer derived from Authorize alone", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }, nil,
			[]string{token, url.QueryEscape(token)}},
		{"basic, empty password", basic(key, ""), []string{key},
			[]string{key, "Basic " + b64([]byte(key+":")), b64([]byte(key + ":")),
				strings.TrimRight(b64([]byte(key+":")), "="), url.QueryEscape(key), url.PathEscape(key),
				base64.URLEncoding.EncodeToString([]byte(key + ":"))}},
		{"basic with password", basic(key, pass), []string{key},
			[]string{"Basic " + b64([]byte(key+":"+pass)), b64([]byte(key + ":" + pass)), pass, key + ":" + pass,
				url.QueryEscape(pass)}},
		{"api key header", func(r *http.Request) { r.Header.Set("X-Api-Key", key) }, nil,
			[]string{key, url.QueryEscape(key)}},
	}
	for _, tc := range cases {
		for _, form := range tc.echo {
			t.Run(tc.name+"/"+form, func(t *testing.T) {
				body := fmt.Sprintf(`{"error":"Unauthorized","message":"bad credential %s","received":%q}`, form, form)
				srv, _ := scripted(t, reply{status: 401, body: body})
				c, err := upstream.New(upstream.Config{API: "test", BaseURL: srv.URL, Retry: fast,
					Authorize: tc.authorize, Secrets: tc.secrets,
					ParseError: func(b []byte) (string, string) { return "", string(b) }}, nil)
				if err != nil {
					t.Fatal(err)
				}
				err = c.Do(context.Background(), upstream.Request{Method: http.MethodGet, Path: "/"}, nil)
				var ue *upstream.Error
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v", err)
				}
				for field, text := range map[string]string{"Error()": err.Error(), "Body": ue.Body, "Message": ue.Message} {
					if strings.Contains(text, form) {
						t.Errorf("%s leaks %q: %s", field, form, text)
					}
					if !strings.Contains(text, upstream.Redacted) {
						t.Errorf("%s has no %s: %s", field, upstream.Redacted, text)
					}
				}
			})
		}
	}
}

// TestScrubbedDecodeErrorKeepsItsChain: scrubbing replaces the text, not the error.
func TestScrubbedDecodeErrorKeepsItsChain(t *testing.T) {
	const token = "tok-DECODE-SECRET"
	srv, _ := scripted(t, reply{status: 200, body: `{"echo":"` + token + `"}`})
	c := authClient(t, srv.URL, func(cfg *upstream.Config) { cfg.Secrets = []string{token} })
	sentinel := errors.New("sentinel")
	err := c.Do(context.Background(), upstream.Request{Method: http.MethodPost, Path: "/"},
		upstream.DecodeFunc(func(raw []byte) error { return fmt.Errorf("cannot use %s: %w", raw, sentinel) }))
	if err == nil || strings.Contains(err.Error(), token) {
		t.Fatalf("err = %v, want an error without the token", err)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("scrubbing lost the error chain: %v", err)
	}
}

// TestErrorBodyIsAShortExcerpt: an error body is cut to a short excerpt, and a credential that
// straddles the cut goes whole, not in part.
func TestErrorBodyIsAShortExcerpt(t *testing.T) {
	const token = "tok-STRADDLES-THE-CUT-0123456789"
	body := strings.Repeat("a", 240) + token + strings.Repeat("b", 10000)
	srv, _ := scripted(t, reply{status: 500, body: body})
	c := authClient(t, srv.URL, func(cfg *upstream.Config) { cfg.Secrets = []string{token} })
	err := c.Do(context.Background(), upstream.Request{Method: http.MethodPost, Path: "/"}, nil)
	var ue *upstream.Error
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v", err)
	}
	if len(ue.Body) > 300 {
		t.Errorf("body excerpt is %d bytes", len(ue.Body))
	}
	for i := 0; i+6 <= len(token); i++ {
		if strings.Contains(err.Error(), token[i:i+6]) {
			t.Fatalf("part of the token (%q) survived the cut: %s", token[i:i+6], err)
		}
	}
}

// lowerEscapes writes percent escapes in lower-case hex, as some encoders do.
func lowerEscapes(s string) string {
	return regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(s, strings.ToLower)
}

// TestMoreSecretsAreScrubbedAsTheyChange: a credential that changes while the client lives (a
// renewed access token) is scrubbed from errors made after it changed, in its encoded forms too.
func TestMoreSecretsAreScrubbedAsTheyChange(t *testing.T) {
	var mu sync.Mutex
	current := "tok-FIRST-1a2b"
	get := func() string { mu.Lock(); defer mu.Unlock(); return current }
	srv := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":"refused %s","q":"%s"}`, r.Header.Get("Authorization"), url.QueryEscape(get()))
	})
	c, err := upstream.New(upstream.Config{API: "test", BaseURL: srv.URL, Retry: fast,
		Authorize:   func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+get()) },
		MoreSecrets: func() []string { return []string{get()} }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	current = "tok-RENEWED/9z+8y"
	mu.Unlock()
	err = c.Do(context.Background(), upstream.Request{Method: http.MethodGet, Path: "/"}, nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, form := range []string{"tok-RENEWED/9z+8y", url.QueryEscape("tok-RENEWED/9z+8y")} {
		if strings.Contains(err.Error(), form) {
			t.Errorf("error leaks %q: %v", form, err)
		}
	}
	if !strings.Contains(err.Error(), upstream.Redacted) {
		t.Errorf("nothing redacted: %v", err)
	}
}
