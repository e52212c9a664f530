package fakeapi

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind names one kind of injected fault.
type FaultKind string

// The fault kinds. Each is what a real upstream or the network between has been seen to do.
const (
	// FaultRateLimit answers 429 with "Retry-After: N" in seconds.
	FaultRateLimit FaultKind = "rate_limit"
	// FaultRateLimitNoHeader answers 429 without Retry-After.
	FaultRateLimitNoHeader FaultKind = "rate_limit_no_header"
	// FaultRateLimitDate answers 429 with Retry-After as an HTTP date.
	FaultRateLimitDate FaultKind = "rate_limit_date"
	// FaultServerError answers 500, 502, 503 or 504 with a JSON, plain-text or HTML body.
	FaultServerError FaultKind = "server_error"
	// FaultSlow waits FaultPlan.SlowDelay before answering normally, or gives up silently when the
	// client goes away first (which is what a client timeout does).
	FaultSlow FaultKind = "slow"
	// FaultReset closes the connection without writing a response. Note that Go's http.Transport
	// transparently retries an idempotent request once when a reused keep-alive connection is
	// closed this way, so a client may not notice a single reset; the fault is counted anyway.
	FaultReset FaultKind = "reset"
	// FaultTruncated serves the real response but cuts its body in the middle. Half the time the
	// full Content-Length is declared (the client sees an unexpected EOF), half the time the
	// response ends cleanly (the client sees syntactically broken JSON). Only 2xx responses are
	// truncated; any other response is passed through and not counted.
	FaultTruncated FaultKind = "truncated"
	// FaultPageDrift calls the fake's DriftFunc, which changes its data (for example deletes a
	// record before the requested page), then serves the request normally. Requests the DriftFunc
	// declines are served normally and not counted.
	FaultPageDrift FaultKind = "page_drift"
	// FaultRedirect answers 302 to the same path and query on another port of the same host,
	// where a decoy answers every request 200 with an empty list: a client that follows it takes
	// its credentials to another origin and sees a complete pass with no records. The decoy's
	// requests are kept (DecoyRequests).
	FaultRedirect FaultKind = "redirect"
	// FaultEchoSecret answers 401 with a body that echoes the request's credentials, as careless
	// upstreams and proxies do: the Authorization header as received, its Basic credential
	// decoded, and the header URL-escaped.
	FaultEchoSecret FaultKind = "echoed_secret"
	// FaultPoisonRecord serves the real answer with one record of its list poisoned: the first
	// string field of the record that is not an id ("id", "…_id") gains the JSON escape \u0000 or
	// an unpaired surrogate \ud800, both of which Postgres refuses. The record keeps its id and
	// every other byte, and the fake's data is not changed, so the next clean answer converges.
	FaultPoisonRecord FaultKind = "poison_record"
	// FaultEmptyList answers a list request 200 with the list emptied in the answer's own shape
	// ([] or {"data":[]}), as a broken upstream does: a pass that trusted it would find every
	// record deleted. The fake's data is not changed.
	FaultEmptyList FaultKind = "empty_list"
	// FaultOKHTML answers 200 with an HTML page instead of letting the fake answer: what a captive
	// portal, a firewall's challenge page or a load balancer's maintenance page does to an API
	// call. The request never reaches the fake, so a write is not applied.
	FaultOKHTML FaultKind = "ok_html"
	// FaultOKHTMLApplied lets the fake handle the request, so a write is applied, then replaces
	// its answer with the same 200 HTML page, as a proxy that rewrites answers does: the client
	// cannot tell that the write landed. Only 2xx answers are replaced; any other is passed
	// through and not counted.
	FaultOKHTMLApplied FaultKind = "ok_html_applied"
)

// Poison records and empty lists rewrite a 2xx answer to a GET that holds a list (a bare array,
// or the "data" array of an envelope) with at least one record, and for a poison record one with
// a string field to poison. Any other answer is served as it is and not counted, and a scripted
// fault is given back for the next matching request, as a declined page drift is. These two kinds
// do not fail the request (the answer is a 200 the client accepts), so like page drift they do not
// count towards MaxConsecutive.

// FaultKinds lists every kind in a fixed order; random selection walks probabilities in this
// order, which is part of what makes a seeded plan reproducible.
func FaultKinds() []FaultKind {
	return []FaultKind{
		FaultRateLimit, FaultRateLimitNoHeader, FaultRateLimitDate, FaultServerError,
		FaultSlow, FaultReset, FaultTruncated, FaultPageDrift, FaultRedirect, FaultEchoSecret,
		FaultPoisonRecord, FaultEmptyList, FaultOKHTML, FaultOKHTMLApplied,
	}
}

// FaultPlan configures random fault injection. The zero value injects nothing (scripted faults
// still work).
type FaultPlan struct {
	// Seed makes the fault sequence reproducible for a given request order.
	Seed int64
	// Probability is the chance per eligible request of each kind. The kinds exclude each other:
	// one uniform draw per request is compared with the cumulative probabilities in FaultKinds
	// order, so the sum should be <= 1.
	Probability map[FaultKind]float64
	// Match selects the eligible requests (nil: all). It is called with the injector's lock held
	// and must not call back into the injector.
	Match func(*http.Request) bool
	// MaxConsecutive caps the random faults injected in a row for the same path and query, so a
	// client that retries always gets through (0: default 2; negative: no cap). Page drift, poison
	// records and empty lists do not count, since they do not fail the request; scripted faults
	// ignore the cap.
	MaxConsecutive int
	// RetryAfter is the wait advertised by rate-limit faults (0: default 1s; rounded up to seconds).
	RetryAfter time.Duration
	// SlowDelay is how long a slow fault waits before answering (0: default 10s). Set it longer
	// than the client's timeout.
	SlowDelay time.Duration
}

// Defaults for FaultPlan fields left zero.
const (
	defaultMaxConsecutive = 2
	defaultRetryAfter     = time.Second
	defaultSlowDelay      = 10 * time.Second
)

// DriftFunc is supplied by a concrete fake to implement FaultPageDrift: it mutates the fake's
// state in a way that shifts the page r asks for, choosing what to do from rng (so drift is
// deterministic for a seed), and reports whether it did anything. It runs without the
// injector's lock held.
type DriftFunc func(r *http.Request, rng *rand.Rand) bool

// FaultInjector is an HTTP middleware that injects faults according to a FaultPlan and scripted
// faults. It is safe for concurrent use; for a fixed seed and a fixed request order the faults
// are the same on every run.
type FaultInjector struct {
	drift DriftFunc

	mu       sync.Mutex
	plan     FaultPlan
	rng      *rand.Rand
	scripts  []*script
	consec   map[string]int // consecutive faults per path+query, cleared by a clean answer
	injected map[FaultKind]int
	decoy    *decoy // started by the first redirect fault
}

// decoy is the other origin that FaultRedirect points to.
type decoy struct {
	srv *Server
	rec *Recorder
}

type script struct {
	match func(*http.Request) bool
	kind  FaultKind
	times int // remaining; -1 = forever
}

// NewFaultInjector returns an injector for plan. drift may be nil when the fake has no notion of
// pages; FaultPageDrift is then never injected.
func NewFaultInjector(plan FaultPlan, drift DriftFunc) *FaultInjector {
	f := &FaultInjector{drift: drift, injected: map[FaultKind]int{}}
	f.SetPlan(plan)
	return f
}

// SetPlan replaces the random plan and restarts its random sequence from the plan's seed.
// Scripts and counts are kept. A test can use it to switch random faults off (FaultPlan{}).
func (f *FaultInjector) SetPlan(plan FaultPlan) {
	plan.MaxConsecutive = cmp.Or(plan.MaxConsecutive, defaultMaxConsecutive)
	plan.RetryAfter = cmp.Or(plan.RetryAfter, defaultRetryAfter)
	plan.SlowDelay = cmp.Or(plan.SlowDelay, defaultSlowDelay)
	plan.Probability = maps.Clone(plan.Probability)
	seed := uint64(plan.Seed)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plan = plan
	f.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	f.consec = map[string]int{}
}

// Script injects kind into the next times requests that match (nil matches all); times -1 means
// every matching request from now on. Scripts take precedence over the random plan, are checked
// in the order they were added, and are not subject to MaxConsecutive: a test that wants a page to
// fail beyond the client's retries can say so. match is called with the injector's lock held.
func (f *FaultInjector) Script(match func(*http.Request) bool, kind FaultKind, times int) {
	if times == 0 {
		return
	}
	f.mu.Lock()
	f.scripts = append(f.scripts, &script{match: match, kind: kind, times: times})
	f.mu.Unlock()
}

// ClearScripts removes all scripted faults, including unfinished ones.
func (f *FaultInjector) ClearScripts() {
	f.mu.Lock()
	f.scripts = nil
	f.mu.Unlock()
}

// Injected returns how many faults of each kind were actually injected.
func (f *FaultInjector) Injected() map[FaultKind]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.injected)
}

// DecoyRequests returns the requests that reached the decoy origin of FaultRedirect: none, from
// a client that does not follow redirects across origins.
func (f *FaultInjector) DecoyRequests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.decoy == nil {
		return nil
	}
	return f.decoy.rec.Requests()
}

// Close stops the decoy origin, if a redirect fault started one.
func (f *FaultInjector) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.decoy != nil {
		f.decoy.srv.Close()
		f.decoy = nil
	}
}

// decoyURL starts the decoy on the first call and returns its root URL.
func (f *FaultInjector) decoyURL() (*url.URL, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.decoy == nil {
		d := &decoy{rec: &Recorder{}}
		srv, err := Start(d.rec.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			WriteRawJSON(w, http.StatusOK, []byte("[]"))
		})), "")
		if err != nil {
			return nil, err
		}
		d.srv = srv
		f.decoy = d
	}
	return url.Parse(f.decoy.srv.URL)
}

// decision is what decide chose for one request.
type decision struct {
	kind     FaultKind // "" for none
	scripted *script   // the script that fired, to refund a declined drift
	rng      *rand.Rand
	plan     FaultPlan
}

func (f *FaultInjector) decide(r *http.Request) decision {
	f.mu.Lock()
	defer f.mu.Unlock()
	var d decision
	for _, sc := range f.scripts {
		if sc.times != 0 && (sc.match == nil || sc.match(r)) {
			d.kind, d.scripted = sc.kind, sc
			if sc.times > 0 {
				sc.times--
			}
			break
		}
	}
	key := r.URL.Path + "?" + r.URL.RawQuery
	if d.kind == "" && len(f.plan.Probability) > 0 && (f.plan.Match == nil || f.plan.Match(r)) {
		u, acc := f.rng.Float64(), 0.0
		for _, k := range FaultKinds() {
			acc += f.plan.Probability[k]
			if u < acc {
				d.kind = k
				break
			}
		}
		if d.kind != "" && failsRequest(d.kind) &&
			f.plan.MaxConsecutive > 0 && f.consec[key] >= f.plan.MaxConsecutive {
			d.kind = ""
		}
	}
	if d.kind == FaultPageDrift && f.drift == nil {
		d.kind = ""
	}
	if d.kind == "" || !failsRequest(d.kind) {
		delete(f.consec, key)
	} else {
		f.consec[key]++
	}
	if d.kind != "" {
		// A private generator per fault keeps the shared sequence to exactly two draws per
		// fault, whatever the fault does with its own randomness.
		d.rng = rand.New(rand.NewPCG(f.rng.Uint64(), f.rng.Uint64()))
	}
	d.plan = f.plan
	return d
}

// failsRequest reports whether a fault makes the request fail (an error status, a broken or
// missing answer), which a client retries, rather than change what a successful answer says.
func failsRequest(kind FaultKind) bool {
	switch kind {
	case FaultPageDrift, FaultPoisonRecord, FaultEmptyList:
		return false
	}
	return true
}

func (f *FaultInjector) count(kind FaultKind) {
	f.mu.Lock()
	f.injected[kind]++
	f.mu.Unlock()
}

// refund gives a scripted fault back when it could not be applied to the request it matched.
func (f *FaultInjector) refund(sc *script) {
	if sc == nil {
		return
	}
	f.mu.Lock()
	if sc.times >= 0 {
		sc.times++
	}
	f.mu.Unlock()
}

// Middleware injects faults in front of next.
func (f *FaultInjector) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := f.decide(r)
		switch d.kind {
		case "":
			next.ServeHTTP(w, r)
		case FaultRateLimit:
			f.count(d.kind)
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(d.plan.RetryAfter)))
			WriteJSON(w, http.StatusTooManyRequests, map[string]string{"error": "Too Many Requests"})
		case FaultRateLimitNoHeader:
			f.count(d.kind)
			WriteJSON(w, http.StatusTooManyRequests, map[string]string{"error": "Too Many Requests"})
		case FaultRateLimitDate:
			f.count(d.kind)
			// Wall clock on purpose: the client compares this date with its own clock and with
			// the Date header, both real time. One extra second covers the date's truncation.
			at := time.Now().Add(time.Duration(retryAfterSeconds(d.plan.RetryAfter)+1) * time.Second)
			w.Header().Set("Retry-After", at.UTC().Format(http.TimeFormat))
			WriteJSON(w, http.StatusTooManyRequests, map[string]string{"error": "Too Many Requests"})
		case FaultServerError:
			f.count(d.kind)
			writeServerError(w, d.rng)
		case FaultSlow:
			f.count(d.kind)
			if !sleep(r.Context(), d.plan.SlowDelay) {
				// The client gave up (or the server is closing): drop the connection rather
				// than let net/http send an empty 200 for a handler that wrote nothing.
				panic(http.ErrAbortHandler)
			}
			next.ServeHTTP(w, r)
		case FaultReset:
			f.count(d.kind)
			resetConn(w)
		case FaultTruncated:
			if serveTruncated(w, r, next, d.rng) {
				f.count(d.kind)
			}
		case FaultRedirect:
			to, err := f.decoyURL()
			if err != nil {
				WriteJSON(w, http.StatusInternalServerError, map[string]string{"error": "fakeapi: start decoy: " + err.Error()})
				return
			}
			f.count(d.kind)
			// The decoy listens on the fake's host name, so only the port tells the origins apart.
			host := r.Host
			if h, _, err := net.SplitHostPort(r.Host); err == nil {
				host = h
			}
			to.Host = net.JoinHostPort(host, to.Port())
			to.Path, to.RawQuery = r.URL.Path, r.URL.RawQuery
			http.Redirect(w, r, to.String(), http.StatusFound)
		case FaultEchoSecret:
			f.count(d.kind)
			writeEchoSecret(w, r)
		case FaultPoisonRecord, FaultEmptyList:
			rewrite := emptyList
			if d.kind == FaultPoisonRecord {
				rewrite = func(body []byte) ([]byte, bool) { return poisonRecord(body, d.rng) }
			}
			if r.Method == http.MethodGet && serveRewritten(w, r, next, rewrite) {
				f.count(d.kind)
				return
			}
			f.refund(d.scripted)
			if r.Method != http.MethodGet {
				next.ServeHTTP(w, r)
			}
		case FaultOKHTML:
			f.count(d.kind)
			writeOKHTML(w)
		case FaultOKHTMLApplied:
			buf := &bufferWriter{header: http.Header{}}
			next.ServeHTTP(buf, r)
			if status := cmp.Or(buf.status, http.StatusOK); status < 200 || status > 299 {
				for k, v := range buf.header {
					w.Header()[k] = v
				}
				w.WriteHeader(status)
				_, _ = w.Write(buf.body.Bytes())
				f.refund(d.scripted)
				return
			}
			f.count(d.kind)
			writeOKHTML(w)
		case FaultPageDrift:
			if f.drift(r, d.rng) {
				f.count(d.kind)
			} else {
				f.refund(d.scripted)
			}
			next.ServeHTTP(w, r)
		default:
			// An unknown kind in a plan or script is a test bug; make it loud.
			WriteJSON(w, http.StatusInternalServerError, map[string]string{"error": "fakeapi: unknown fault kind " + string(d.kind)})
		}
	})
}

func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// sleep waits for d and reports true, or reports false as soon as ctx is done.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func writeServerError(w http.ResponseWriter, rng *rand.Rand) {
	codes := [...]int{
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout,
	}
	code := codes[rng.IntN(len(codes))]
	text := strconv.Itoa(code) + " " + http.StatusText(code)
	switch rng.IntN(3) {
	case 0:
		WriteJSON(w, code, map[string]string{"error": http.StatusText(code)})
	case 1:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		_, _ = w.Write([]byte("upstream error: " + text + "\n"))
	default:
		// What a proxy in front of an API typically answers.
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(code)
		_, _ = w.Write([]byte("<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" +
			text + "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"))
	}
}

// okHTML is the page FaultOKHTML and FaultOKHTMLApplied serve.
const okHTML = "<!DOCTYPE html>\r\n<html>\r\n<head><title>Scheduled maintenance</title></head>\r\n" +
	"<body>\r\n<h1>We'll be back soon</h1>\r\n<p>The service is undergoing maintenance.</p>\r\n</body>\r\n</html>\r\n"

func writeOKHTML(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(okHTML)))
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, okHTML)
}

func writeEchoSecret(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	var decoded string
	if user, pass, ok := r.BasicAuth(); ok {
		decoded = user + ":" + pass
	}
	WriteJSON(w, http.StatusUnauthorized, map[string]any{
		"error":      "Unauthorized",
		"error_type": "NotAuthenticated",
		"message":    fmt.Sprintf("invalid credentials: %s (decoded %q, escaped %s)", auth, decoded, url.QueryEscape(auth)),
		"received":   map[string]string{"authorization": auth, "credentials": decoded, "escaped": url.QueryEscape(auth)},
	})
}

// resetConn closes the client's connection without a response, with an RST where possible.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): the nearest equivalent is aborting the handler.
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// serveTruncated runs next into a buffer and sends only the first half of a 2xx body. It reports
// whether it truncated anything.
func serveTruncated(w http.ResponseWriter, r *http.Request, next http.Handler, rng *rand.Rand) bool {
	buf := &bufferWriter{header: http.Header{}}
	next.ServeHTTP(buf, r)
	status := cmp.Or(buf.status, http.StatusOK)
	for k, v := range buf.header {
		w.Header()[k] = v
	}
	body := buf.body.Bytes()
	if status < 200 || status > 299 || len(body) < 2 {
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return false
	}
	w.Header().Del("Content-Length")
	if rng.IntN(2) == 0 {
		// Declare the full length: the server closes the connection after the short body.
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body[:len(body)/2])
	return true
}

// serveRewritten runs next into a buffer and sends its answer, with the body passed through
// rewrite when the answer is a 2xx. It reports whether rewrite changed the body.
func serveRewritten(w http.ResponseWriter, r *http.Request, next http.Handler, rewrite func([]byte) ([]byte, bool)) bool {
	buf := &bufferWriter{header: http.Header{}}
	next.ServeHTTP(buf, r)
	status := cmp.Or(buf.status, http.StatusOK)
	for k, v := range buf.header {
		w.Header()[k] = v
	}
	body, ok := buf.body.Bytes(), false
	if status >= 200 && status <= 299 {
		var out []byte
		if out, ok = rewrite(body); ok {
			body = out
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return ok
}

// span is a byte range [start, end) of a body.
type span struct{ start, end int }

// listRecords finds the list in a list answer, a bare array or the "data" array of an envelope
// object, and returns the span of that array and of each record in it. ok is false when the body
// holds no such list.
func listRecords(body []byte) (list span, recs []span, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return span{}, nil, false
	}
	if tok == json.Delim('{') {
		for {
			if !dec.More() {
				return span{}, nil, false // an object without "data"
			}
			key, err := dec.Token()
			if err != nil {
				return span{}, nil, false
			}
			if key == "data" {
				break
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return span{}, nil, false
			}
		}
		if tok, err = dec.Token(); err != nil {
			return span{}, nil, false
		}
	}
	if tok != json.Delim('[') {
		return span{}, nil, false
	}
	// InputOffset is the end of the token or value last read; a value decoded as RawMessage
	// holds exactly its own bytes, so it starts len bytes before that.
	list.start = int(dec.InputOffset()) - 1
	for dec.More() {
		var rec json.RawMessage
		if err := dec.Decode(&rec); err != nil {
			return span{}, nil, false
		}
		end := int(dec.InputOffset())
		recs = append(recs, span{end - len(rec), end})
	}
	if _, err := dec.Token(); err != nil { // the closing ]
		return span{}, nil, false
	}
	list.end = int(dec.InputOffset())
	return list, recs, true
}

// emptyList replaces the list in a list answer with [], keeping the rest of the body.
func emptyList(body []byte) ([]byte, bool) {
	list, recs, ok := listRecords(body)
	if !ok || len(recs) == 0 {
		return nil, false
	}
	return slices.Concat(body[:list.start], []byte("[]"), body[list.end:]), true
}

// poisons are the escapes a poison record gains: JSON that decodes, but that Postgres refuses in
// jsonb (and, decoded, in text).
var poisons = [...]string{`\u0000`, `\ud800`}

// poisonRecord poisons one record of a list answer, drawn from rng among those with a string
// field to poison, by adding an escape from poisons at the end of that field's value.
func poisonRecord(body []byte, rng *rand.Rand) ([]byte, bool) {
	_, recs, ok := listRecords(body)
	if !ok {
		return nil, false
	}
	var sites []int
	for _, rec := range recs {
		if at, ok := poisonSite(body[rec.start:rec.end]); ok {
			sites = append(sites, rec.start+at)
		}
	}
	if len(sites) == 0 {
		return nil, false
	}
	at := sites[rng.IntN(len(sites))]
	return slices.Concat(body[:at], []byte(poisons[rng.IntN(len(poisons))]), body[at:]), true
}

// poisonSite returns the offset in rec of the closing quote of rec's first top-level string field
// that is not an id: poisoning an id would change which record it is.
func poisonSite(rec []byte) (int, bool) {
	dec := json.NewDecoder(bytes.NewReader(rec))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0, false
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return 0, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return 0, false
		}
		name, _ := key.(string)
		if len(v) > 0 && v[0] == '"' && name != "id" && !strings.HasSuffix(name, "_id") {
			return int(dec.InputOffset()) - 1, true
		}
	}
	return 0, false
}

type bufferWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferWriter) Header() http.Header { return b.header }

func (b *bufferWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
