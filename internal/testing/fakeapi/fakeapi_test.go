package fakeapi

import (
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// bundle is one test's server: a fixed JSON handler behind a recorder and a fault injector.
type bundle struct {
	srv    *Server
	rec    *Recorder
	faults *FaultInjector
	drifts *atomic.Int64
	client *http.Client
}

const okBody = `[{"id":1,"name":"a"},{"id":2,"name":"b"},{"id":3,"name":"c"}]`

// Answers of other shapes, served on their own paths, for the faults that rewrite lists.
var otherBodies = map[string]struct {
	status int
	body   string
}{
	"/envelope": {200, `{"data": [ {"id": "7", "community_id": "c1", "name": "x", "n": 1} ,{"id":8,"tags":["t"],"name":"y"}], "page": {"has_more": false}}`},
	"/ids-only": {200, `[{"id":"1","unit_id":"2"},{"id":3}]`},
	"/empty":    {200, `[]`},
	"/one":      {200, `{"id":1,"name":"a"}`},
	"/missing":  {404, `{"error":"not found"}`},
}

func setup(t *testing.T, plan FaultPlan) *bundle {
	t.Helper()
	b := &bundle{rec: &Recorder{}, drifts: &atomic.Int64{}}
	drift := func(r *http.Request, _ *rand.Rand) bool {
		if r.URL.Query().Get("page_number") == "0" {
			return false // nothing before page 0 to shift
		}
		b.drifts.Add(1)
		return true
	}
	b.faults = NewFaultInjector(plan, drift)
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			WriteRawJSON(w, http.StatusCreated, body) // echo, to prove the body was replayed
			return
		}
		if other, ok := otherBodies[r.URL.Path]; ok {
			WriteRawJSON(w, other.status, []byte(other.body))
			return
		}
		WriteRawJSON(w, http.StatusOK, []byte(okBody))
	})
	srv, err := Start(b.rec.Middleware(b.faults.Middleware(api)), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	b.srv = srv
	// No keep-alive: Go's transport silently retries an idempotent request once when a reused
	// connection is reset, which would hide the reset from the test.
	// Redirects are not followed, so that the redirect fault's answer can be checked.
	b.client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(b.faults.Close)
	return b
}

// get returns status, header and body, or the transport/read error.
func (b *bundle) get(t *testing.T, path string) (int, http.Header, []byte, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("user", "pw") // for the echoed-secret fault to echo
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, err
}

func TestRecorder(t *testing.T) {
	b := setup(t, FaultPlan{})
	if _, _, _, err := b.get(t, "/v1/units?limit=2"); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/v1/events", strings.NewReader(`{"x":1}`))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	echo, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(echo) != `{"x":1}` {
		t.Errorf("handler saw body %q, want it replayed", echo)
	}

	got := b.rec.Requests()
	if len(got) != 2 {
		t.Fatalf("recorded %d requests, want 2", len(got))
	}
	if g := got[0]; g.Method != "GET" || g.Path != "/v1/units" || g.RawQuery != "limit=2" || g.Status != 200 || g.At.IsZero() {
		t.Errorf("first request recorded as %+v", g)
	}
	if g := got[1]; string(g.Body) != `{"x":1}` || g.Status != 201 || g.Header.Get("Authorization") != "Bearer tok" {
		t.Errorf("second request recorded as %+v", g)
	}
	if n := len(b.rec.Filter("POST", "/v1/events")); n != 1 {
		t.Errorf("Filter(POST /v1/events) = %d requests, want 1", n)
	}
	if n := len(b.rec.Filter("", "/v1/units")); n != 1 {
		t.Errorf("Filter(any /v1/units) = %d requests, want 1", n)
	}
	b.rec.Reset()
	if n := len(b.rec.Requests()); n != 0 {
		t.Errorf("after Reset %d requests, want 0", n)
	}
}

func TestFaultKinds(t *testing.T) {
	isJSON := func(body []byte) bool { return json.Valid(body) }
	tests := []struct {
		kind  FaultKind
		check func(t *testing.T, status int, h http.Header, body []byte, err error)
	}{
		{FaultRateLimit, func(t *testing.T, status int, h http.Header, _ []byte, err error) {
			if err != nil || status != 429 || h.Get("Retry-After") != "2" {
				t.Errorf("got %d Retry-After=%q err=%v, want 429 with Retry-After 2", status, h.Get("Retry-After"), err)
			}
		}},
		{FaultRateLimitNoHeader, func(t *testing.T, status int, h http.Header, _ []byte, err error) {
			if err != nil || status != 429 || h.Get("Retry-After") != "" {
				t.Errorf("got %d Retry-After=%q err=%v, want 429 without Retry-After", status, h.Get("Retry-After"), err)
			}
		}},
		{FaultRateLimitDate, func(t *testing.T, status int, h http.Header, _ []byte, err error) {
			at, perr := http.ParseTime(h.Get("Retry-After"))
			if err != nil || status != 429 || perr != nil || !at.After(time.Now()) {
				t.Errorf("got %d Retry-After=%q err=%v, want 429 with a future HTTP date", status, h.Get("Retry-After"), err)
			}
		}},
		{FaultServerError, func(t *testing.T, status int, _ http.Header, body []byte, err error) {
			if err != nil || (status != 500 && status != 502 && status != 503 && status != 504) || len(body) == 0 {
				t.Errorf("got %d %q err=%v, want a 5xx with a body", status, body, err)
			}
		}},
		{FaultReset, func(t *testing.T, status int, _ http.Header, _ []byte, err error) {
			if err == nil {
				t.Errorf("got status %d, want a connection error", status)
			}
		}},
		{FaultTruncated, func(t *testing.T, status int, _ http.Header, body []byte, err error) {
			if status != 200 || (err == nil && isJSON(body)) || len(body) >= len(okBody) {
				t.Errorf("got %d %q err=%v, want 200 with a cut body", status, body, err)
			}
		}},
		{FaultPageDrift, func(t *testing.T, status int, _ http.Header, body []byte, err error) {
			if err != nil || status != 200 || string(body) != okBody {
				t.Errorf("got %d %q err=%v, want the normal answer", status, body, err)
			}
		}},
		{FaultRedirect, func(t *testing.T, status int, h http.Header, _ []byte, err error) {
			loc, perr := url.Parse(h.Get("Location"))
			if err != nil || status != http.StatusFound || perr != nil || loc.Hostname() != "127.0.0.1" ||
				loc.Path != "/v1/units" || loc.RawQuery != "page_number=1" {
				t.Fatalf("got %d Location=%q err=%v, want 302 to the same path on the same host", status, h.Get("Location"), err)
			}
			// The decoy is another origin (another port) that answers an empty list.
			resp, err := http.Get(loc.String())
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || string(body) != "[]" {
				t.Errorf("decoy answered %d %q, want 200 []", resp.StatusCode, body)
			}
		}},
		{FaultEchoSecret, func(t *testing.T, status int, _ http.Header, body []byte, err error) {
			var echo struct {
				Message  string
				Received map[string]string
			}
			if err != nil || status != 401 || json.Unmarshal(body, &echo) != nil ||
				echo.Message != `invalid credentials: Basic dXNlcjpwdw== (decoded "user:pw", escaped Basic+dXNlcjpwdw%3D%3D)` ||
				echo.Received["credentials"] != "user:pw" {
				t.Errorf("got %d %s err=%v, want 401 echoing the credentials", status, body, err)
			}
		}},
		{FaultPoisonRecord, func(t *testing.T, status int, h http.Header, body []byte, err error) {
			// One record's name gains one escape; every other byte is as served.
			var poisoned int
			for _, p := range poisons {
				for _, name := range []string{"a", "b", "c"} {
					if strings.Replace(string(body), `"`+name+p+`"`, `"`+name+`"`, 1) == okBody {
						poisoned++
					}
				}
			}
			if err != nil || status != 200 || !isJSON(body) || poisoned != 1 || h.Get("Content-Length") != strconv.Itoa(len(body)) {
				t.Errorf("got %d %s err=%v, want 200 with one record's name poisoned", status, body, err)
			}
		}},
		{FaultEmptyList, func(t *testing.T, status int, h http.Header, body []byte, err error) {
			if err != nil || status != 200 || string(body) != "[]" || h.Get("Content-Length") != "2" {
				t.Errorf("got %d %q err=%v, want 200 []", status, body, err)
			}
		}},
		{FaultOKHTML, func(t *testing.T, status int, h http.Header, body []byte, err error) {
			if err != nil || status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "<html>") {
				t.Errorf("got %d %s %q err=%v, want 200 with an HTML page", status, h.Get("Content-Type"), body, err)
			}
		}},
		{FaultOKHTMLApplied, func(t *testing.T, status int, h http.Header, body []byte, err error) {
			if err != nil || status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "<html>") {
				t.Errorf("got %d %s %q err=%v, want 200 with an HTML page", status, h.Get("Content-Type"), body, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			b := setup(t, FaultPlan{RetryAfter: 1500 * time.Millisecond})
			b.faults.Script(nil, tt.kind, 1)
			status, h, body, err := b.get(t, "/v1/units?page_number=1")
			if tt.kind == FaultRedirect && len(b.faults.DecoyRequests()) != 0 {
				t.Errorf("the decoy was called before anyone followed the redirect")
			}
			tt.check(t, status, h, body, err)
			if got := b.faults.Injected()[tt.kind]; got != 1 {
				t.Errorf("Injected()[%s] = %d, want 1", tt.kind, got)
			}
			// The script is used up: the next request is served normally.
			if status, _, body, err := b.get(t, "/v1/units?page_number=1"); err != nil || status != 200 || string(body) != okBody {
				t.Errorf("after the script: %d %q %v", status, body, err)
			}
		})
	}
}

// The list faults rewrite only the list of a list answer, in either shape, never touch an id,
// and leave every other answer alone: it is served as it is, not counted, and a scripted fault
// waits for the next answer it can rewrite.
func TestListFaults(t *testing.T) {
	t.Run("envelope", func(t *testing.T) {
		b := setup(t, FaultPlan{})
		b.faults.Script(nil, FaultEmptyList, 1)
		b.faults.Script(nil, FaultPoisonRecord, 1)
		_, _, empty, err := b.get(t, "/envelope")
		if want := `{"data": [], "page": {"has_more": false}}`; err != nil || string(empty) != want {
			t.Errorf("empty list: got %q err=%v, want %s", empty, err, want)
		}
		_, _, poisoned, err := b.get(t, "/envelope")
		env := otherBodies["/envelope"].body
		var ok bool
		for _, p := range poisons {
			for _, name := range []string{"x", "y"} {
				ok = ok || strings.Replace(string(poisoned), `"`+name+p+`"`, `"`+name+`"`, 1) == env
			}
		}
		if err != nil || !ok || !json.Valid(poisoned) {
			t.Errorf("poison record: got %s err=%v, want a name poisoned and nothing else changed", poisoned, err)
		}
	})
	t.Run("not rewritable", func(t *testing.T) {
		for _, kind := range []FaultKind{FaultEmptyList, FaultPoisonRecord} {
			b := setup(t, FaultPlan{})
			b.faults.Script(nil, kind, 1)
			paths := []string{"/empty", "/one", "/missing"}
			if kind == FaultPoisonRecord {
				paths = append(paths, "/ids-only") // its only strings are ids
			}
			for _, path := range paths {
				status, _, body, err := b.get(t, path)
				if want := otherBodies[path]; err != nil || status != want.status || string(body) != want.body {
					t.Errorf("%s on %s: got %d %s err=%v, want it as served", kind, path, status, body, err)
				}
			}
			req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/v1/units", strings.NewReader(`[{"id":1,"name":"a"}]`))
			resp, err := b.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			echo, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(echo) != `[{"id":1,"name":"a"}]` {
				t.Errorf("%s on a POST: got %s, want it as served", kind, echo)
			}
			if n := b.faults.Injected()[kind]; n != 0 {
				t.Errorf("%s counted %d times on answers it did not rewrite", kind, n)
			}
			// The script is still there for the first list it can rewrite.
			if _, _, body, _ := b.get(t, "/v1/units"); string(body) == okBody {
				t.Errorf("%s: the script did not fire on the first list", kind)
			}
			if n := b.faults.Injected()[kind]; n != 1 {
				t.Errorf("Injected()[%s] = %d, want 1", kind, n)
			}
		}
	})
	t.Run("poison varies", func(t *testing.T) {
		b := setup(t, FaultPlan{Seed: 9})
		b.faults.Script(nil, FaultPoisonRecord, -1)
		seen := map[string]bool{}
		for range 30 {
			_, _, body, err := b.get(t, "/v1/units")
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range poisons {
				for _, name := range []string{"a", "b", "c"} {
					if strings.Contains(string(body), `"`+name+p+`"`) {
						seen[name+p] = true
					}
				}
			}
		}
		if len(seen) < 4 {
			t.Errorf("30 poisoned answers used only %v; want both escapes on several records", seen)
		}
	})
	t.Run("no retry cap", func(t *testing.T) {
		// They answer 200, so like page drift they never make a request fail and are not capped.
		for _, kind := range []FaultKind{FaultEmptyList, FaultPoisonRecord} {
			b := setup(t, FaultPlan{Probability: map[FaultKind]float64{kind: 1}, MaxConsecutive: 1})
			for range 3 {
				b.get(t, "/v1/units?page_number=1")
			}
			if n := b.faults.Injected()[kind]; n != 3 {
				t.Errorf("Injected()[%s] = %d after 3 requests at probability 1, want 3", kind, n)
			}
		}
	})
}

func TestFaultServerErrorBodiesVary(t *testing.T) {
	b := setup(t, FaultPlan{Seed: 3})
	b.faults.Script(nil, FaultServerError, -1)
	types := map[string]bool{}
	for range 30 {
		_, h, _, err := b.get(t, "/x")
		if err != nil {
			t.Fatal(err)
		}
		types[strings.SplitN(h.Get("Content-Type"), ";", 2)[0]] = true
	}
	for _, ct := range []string{"application/json", "text/plain", "text/html"} {
		if !types[ct] {
			t.Errorf("no %s body in 30 server errors (saw %v)", ct, types)
		}
	}
}

func TestFaultTruncatedModes(t *testing.T) {
	b := setup(t, FaultPlan{Seed: 1})
	b.faults.Script(nil, FaultTruncated, -1)
	var eof, broken int
	for range 20 {
		_, _, body, err := b.get(t, "/x")
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			eof++
		case err == nil && !json.Valid(body):
			broken++
		default:
			t.Fatalf("truncated answer: body %q err %v", body, err)
		}
	}
	if eof == 0 || broken == 0 {
		t.Errorf("unexpected EOF %d times, broken JSON %d times; want both", eof, broken)
	}
}

func TestFaultSlowAbortsWhenClientGivesUp(t *testing.T) {
	b := setup(t, FaultPlan{SlowDelay: time.Minute})
	b.faults.Script(nil, FaultSlow, 1)
	b.client.Timeout = 50 * time.Millisecond
	start := time.Now()
	_, _, _, err := b.get(t, "/x")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("got err %v, want a client timeout", err)
	}
	// Close waits for handlers; it returns promptly only if the slow handler noticed the client
	// leaving (or Close cancelling it).
	b.srv.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("slow fault held the server for %v", d)
	}
	if got := b.rec.Requests(); len(got) != 1 || got[0].Status != 0 {
		t.Errorf("recorded %+v, want one request without a status", got)
	}
}

func TestFaultSlowAnswersAfterDelay(t *testing.T) {
	b := setup(t, FaultPlan{SlowDelay: 100 * time.Millisecond})
	b.faults.Script(nil, FaultSlow, 1)
	start := time.Now()
	status, _, body, err := b.get(t, "/x")
	if err != nil || status != 200 || string(body) != okBody {
		t.Fatalf("got %d %q %v", status, body, err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("answered after %v, want at least the delay", d)
	}
}

func TestPageDriftDeclinedIsRefunded(t *testing.T) {
	b := setup(t, FaultPlan{})
	b.faults.Script(nil, FaultPageDrift, 1)
	b.get(t, "/x?page_number=0") // declined by the DriftFunc
	b.get(t, "/x?page_number=2") // the refunded script fires here
	b.get(t, "/x?page_number=3") // used up
	if n := b.drifts.Load(); n != 1 {
		t.Errorf("drifted %d times, want 1", n)
	}
	if n := b.faults.Injected()[FaultPageDrift]; n != 1 {
		t.Errorf("Injected()[page_drift] = %d, want 1", n)
	}
}

func TestScriptMatchAndForever(t *testing.T) {
	b := setup(t, FaultPlan{})
	b.faults.Script(func(r *http.Request) bool { return r.URL.Path == "/bad" }, FaultRateLimitNoHeader, -1)
	for range 5 {
		if status, _, _, _ := b.get(t, "/bad"); status != 429 {
			t.Fatalf("/bad answered %d, want 429 every time", status)
		}
		if status, _, _, _ := b.get(t, "/good"); status != 200 {
			t.Fatalf("/good answered %d, want 200", status)
		}
	}
	b.faults.ClearScripts()
	if status, _, _, _ := b.get(t, "/bad"); status != 200 {
		t.Errorf("after ClearScripts /bad answered %d", status)
	}
}

func TestMaxConsecutive(t *testing.T) {
	tests := []struct {
		max  int
		want string
	}{
		{0, "429 429 200 429 429 200"}, // default 2
		{1, "429 200 429 200 429 200"},
		{-1, "429 429 429 429 429 429"}, // no cap
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.max), func(t *testing.T) {
			b := setup(t, FaultPlan{Probability: map[FaultKind]float64{FaultRateLimit: 1}, MaxConsecutive: tt.max})
			var got []string
			for range 6 {
				status, _, _, _ := b.get(t, "/units?page_number=4")
				got = append(got, strconv.Itoa(status))
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("statuses %s, want %s", g, tt.want)
			}
		})
	}
}

func TestPlanMatchLimitsEligibleRequests(t *testing.T) {
	b := setup(t, FaultPlan{
		Probability: map[FaultKind]float64{FaultServerError: 1},
		Match:       func(r *http.Request) bool { return r.URL.Path == "/flaky" },
	})
	if status, _, _, _ := b.get(t, "/solid"); status != 200 {
		t.Errorf("/solid answered %d", status)
	}
	if status, _, _, _ := b.get(t, "/flaky"); status < 500 {
		t.Errorf("/flaky answered %d", status)
	}
}

// outcome describes an answer compactly for comparing runs.
func outcome(status int, body []byte, err error) string {
	if err != nil {
		return "err"
	}
	return strconv.Itoa(status) + ":" + strconv.Itoa(len(body))
}

func TestSeededPlanIsDeterministic(t *testing.T) {
	plan := func(seed int64) FaultPlan {
		return FaultPlan{Seed: seed, Probability: map[FaultKind]float64{
			FaultRateLimit: 0.1, FaultRateLimitNoHeader: 0.05, FaultRateLimitDate: 0.05,
			FaultServerError: 0.1, FaultReset: 0.05, FaultTruncated: 0.1, FaultPageDrift: 0.1,
		}}
	}
	run := func(seed int64) (string, map[FaultKind]int) {
		b := setup(t, plan(seed))
		var out []string
		for i := range 60 {
			status, _, body, err := b.get(t, "/units?page_number="+strconv.Itoa(i%7))
			out = append(out, outcome(status, body, err))
		}
		return strings.Join(out, " "), b.faults.Injected()
	}
	a, ac := run(42)
	b, bc := run(42)
	if a != b {
		t.Errorf("same seed, different answers:\n%s\n%s", a, b)
	}
	for k, n := range ac {
		if bc[k] != n {
			t.Errorf("same seed, Injected()[%s] %d vs %d", k, n, bc[k])
		}
	}
	if c, _ := run(43); c == a {
		t.Errorf("different seeds gave the same 60 answers")
	}
	if len(ac) < 4 {
		t.Errorf("only %v injected in 60 requests at ~55%% fault rate", ac)
	}
}

func TestRateLimiter(t *testing.T) {
	l := NewRateLimiter(RateLimit{Requests: 3, Per: time.Hour})
	srv, err := Start(l.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, 200, []int{})
	})), "")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	get := func(token string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := range 3 {
		if resp := get("a"); resp.StatusCode != 200 || resp.Header.Get("X-Ratelimit-Limit") != "3" {
			t.Fatalf("request %d: %d, X-Ratelimit-Limit %q", i, resp.StatusCode, resp.Header.Get("X-Ratelimit-Limit"))
		}
	}
	resp := get("a")
	if resp.StatusCode != 429 {
		t.Fatalf("4th request in the window: %d, want 429", resp.StatusCode)
	}
	if ra, _ := strconv.Atoi(resp.Header.Get("Retry-After")); ra < 3590 || ra > 3600 {
		t.Errorf("Retry-After %q, want about an hour", resp.Header.Get("Retry-After"))
	}
	if resp := get("b"); resp.StatusCode != 200 {
		t.Errorf("another token got %d, want its own budget", resp.StatusCode)
	}
	if got, want := l.Stats(), (RateLimitStats{Allowed: 4, Limited: 1}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
}

func TestRateLimiterWindowSlides(t *testing.T) {
	l := NewRateLimiter(RateLimit{Requests: 2, Per: time.Second})
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		at   time.Duration
		want bool
	}{
		{0, true}, {100 * time.Millisecond, true}, {500 * time.Millisecond, false},
		{1000 * time.Millisecond, true}, // the first has left the window
		{1050 * time.Millisecond, false},
		{1100 * time.Millisecond, true},
	}
	for _, s := range steps {
		if _, ok := l.allow("k", t0.Add(s.at)); ok != s.want {
			t.Errorf("at %v allowed=%v, want %v", s.at, ok, s.want)
		}
	}
}

func TestStartFixedAddr(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv, err := Start(http.NotFoundHandler(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.URL != "http://"+addr {
		t.Errorf("URL %s, want http://%s", srv.URL, addr)
	}
	if _, err := Start(http.NotFoundHandler(), addr); err == nil {
		t.Errorf("second Start on the same address succeeded")
	}
}

// TestRecorderSeesARequestBeforeItsClientDoes: a body larger than the server's write buffer
// reaches the client before the handler returns, so a recorder that recorded afterwards raced
// with a test reading Requests right after the call.
func TestRecorderSeesARequestBeforeItsClientDoes(t *testing.T) {
	rec := &Recorder{}
	big := []byte(`"` + strings.Repeat("x", 64<<10) + `"`)
	srv, err := Start(rec.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteRawJSON(w, http.StatusOK, big)
		time.Sleep(time.Millisecond) // the handler is still running when the client has it all
	})), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	for i := range 20 {
		resp, err := http.Get(srv.URL + "/p?i=" + strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		got := rec.Requests()
		if len(got) != i+1 || got[i].RawQuery != "i="+strconv.Itoa(i) || got[i].Status != http.StatusOK {
			t.Fatalf("after request %d the recorder holds %d requests: %+v", i, len(got), got)
		}
	}
}

// TestOKHTMLFaultsAndWrites: ok_html answers a write without the fake seeing it; ok_html_applied
// lets the fake apply it and hides its answer, and passes a failed answer through untouched (the
// scripted fault then waits for the next request).
func TestOKHTMLFaultsAndWrites(t *testing.T) {
	var applied atomic.Int32
	faults := NewFaultInjector(FaultPlan{}, nil)
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			WriteJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
			return
		}
		applied.Add(1)
		WriteJSON(w, http.StatusCreated, map[string]int{"id": 1})
	})
	srv, err := Start(faults.Middleware(api), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	post := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	faults.Script(nil, FaultOKHTML, 1)
	if status, body := post("/events"); status != 200 || !strings.Contains(body, "<html>") || applied.Load() != 0 {
		t.Errorf("ok_html: %d %q, applied %d times; want the page and nothing applied", status, body, applied.Load())
	}
	faults.Script(nil, FaultOKHTMLApplied, 1)
	if status, body := post("/events"); status != 200 || !strings.Contains(body, "<html>") || applied.Load() != 1 {
		t.Errorf("ok_html_applied: %d %q, applied %d times; want the page and the write applied once", status, body, applied.Load())
	}
	faults.Script(nil, FaultOKHTMLApplied, 1)
	if status, body := post("/missing"); status != 404 || !strings.Contains(body, "not found") {
		t.Errorf("ok_html_applied on a 404: %d %q, want the 404 as the fake answered it", status, body)
	}
	if status, body := post("/events"); status != 200 || !strings.Contains(body, "<html>") || applied.Load() != 2 {
		t.Errorf("the fault given back by the 404: %d %q, applied %d times", status, body, applied.Load())
	}
	if got := faults.Injected(); got[FaultOKHTML] != 1 || got[FaultOKHTMLApplied] != 2 {
		t.Errorf("Injected() = %v", got)
	}
}
