// Package upstream is the one HTTP layer shared by every upstream client: per-tenant rate
// limiting, retries with exponential backoff and jitter (sethvargo/go-retry), Retry-After,
// per-attempt timeouts, typed errors classified by kind, and metrics hooks.
//
// Retrying happens here and nowhere else. A request is retried only when that is safe: reads on
// network errors, 429, 500, 502, 503 and 504; idempotent writes (PUT, DELETE) on network errors,
// 429, 502, 503 and 504; non-idempotent writes (POST) only on 429 and on connection failures
// before the request was sent, because a 429 means the upstream did not process it.
//
// Redirects are followed here, not by net/http, because the HTTP client is shared by every
// tenant and must never carry a credential to another origin: a write is never redirected (a 3xx
// fails the attempt, naming where it pointed), and a read follows at most maxRedirects hops, each
// to the scheme, host and port of the configured base URL only. Anything else fails the attempt
// and is not retried.
//
// A 2xx body is read up to Config.MaxBodyBytes; a larger one fails the attempt, unretried, before
// it is read in full. Every error that leaves a Client is scrubbed of the credentials it holds
// (see scrubber) and carries only a short excerpt of the upstream's body.
//
// A write counts only when its answer proves it: a caller passes a VerifyFunc, and a 2xx whose
// declared Content-Type is not JSON, or whose body the VerifyFunc rejects, fails the call with
// KindUnverified. Such an answer says nothing about whether the write landed (a proxy's HTML page
// may stand in front of an upstream that never saw it, or replace the answer of one that applied
// it), so it is never retried.
package upstream

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sethvargo/go-retry"
	"go.uber.org/zap"
)

// Observer receives measurements; the metrics package implements it.
type Observer interface {
	// ObserveRequest is called once per attempt; status is 0 for a network error.
	ObserveRequest(api, op string, status int, d time.Duration)
	ObserveRetry(api, op string, kind Kind)
	ObserveRateWait(api string, d time.Duration)
}

type noopObserver struct{}

func (noopObserver) ObserveRequest(string, string, int, time.Duration) {}
func (noopObserver) ObserveRetry(string, string, Kind)                 {}
func (noopObserver) ObserveRateWait(string, time.Duration)             {}

// RetryPolicy bounds retries. Zero fields take the defaults in parentheses.
type RetryPolicy struct {
	Base          time.Duration // first backoff (500ms)
	Cap           time.Duration // largest single backoff (30s)
	MaxElapsed    time.Duration // give up after this much time in retries (2m)
	MaxRetryAfter time.Duration // largest honoured Retry-After (60s)
	MaxAttempts   int           // attempts in all, the first included (10)
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	p.Base = cmp.Or(p.Base, 500*time.Millisecond)
	p.Cap = cmp.Or(p.Cap, 30*time.Second)
	p.MaxElapsed = cmp.Or(p.MaxElapsed, 2*time.Minute)
	p.MaxRetryAfter = cmp.Or(p.MaxRetryAfter, 60*time.Second)
	p.MaxAttempts = cmp.Or(p.MaxAttempts, 10)
	return p
}

// Config configures a Client.
type Config struct {
	// API names the upstream in errors, logs and metrics ("rentengine").
	API string
	// BaseURL is joined with each request's path; it may carry a path prefix.
	BaseURL string
	// HTTPClient is shared across tenants for connection reuse (nil = a default client).
	HTTPClient *http.Client
	// Timeout bounds one attempt, body included (0 = 30s).
	Timeout time.Duration
	// Limiter is the tenant's turn on its credential's budget (Limiters.Get), waited on before
	// each attempt and told of each 429 (nil = none).
	Limiter Limiter
	// Authorize sets credentials on each request to the base URL's origin, and never on a request
	// anywhere else. It must only set headers: New calls it once on a probe request to learn the
	// values it sends, which errors are then scrubbed of.
	Authorize func(*http.Request)
	// Secrets are the raw credentials Authorize uses (a token, an API key). Error text is scrubbed
	// of each in every form it may be echoed back in, besides what Authorize's headers show.
	Secrets []string
	// MoreSecrets, when set, returns credentials that change while the client lives (an access
	// token that is refreshed, see funnelflux.TokenSource). It is called each time an error is
	// sealed, and error text is scrubbed of what it returns as of Secrets.
	MoreSecrets func() []string
	// ParseError extracts the upstream's error code and message from a non-2xx body.
	ParseError func(body []byte) (code, message string)
	// MaxBodyBytes bounds a 2xx body (0 = 64 MiB). A larger one fails the call unretried with
	// ErrResponseTooLarge; it is never read into memory in full.
	MaxBodyBytes int64
	Retry        RetryPolicy
	Observer     Observer
	UserAgent    string
}

// DefaultMaxBodyBytes is MaxBodyBytes when the config leaves it zero.
const DefaultMaxBodyBytes int64 = 64 << 20

const (
	// maxRedirects is how many same-origin redirects a read follows.
	maxRedirects = 3
	// maxErrorBody bounds what is read of a non-2xx body: enough for any error document, and the
	// status already says the call failed.
	maxErrorBody = 64 << 10
	// scrubWindow is how much of a body is scrubbed for its excerpt: the excerpt plus room for the
	// longest form of a credential that starts inside it, so none is cut in half and survives.
	scrubWindow = maxBodyExcerpt + 8<<10
)

// Client performs requests against one upstream for one tenant.
type Client struct {
	cfg   Config
	base  *url.URL
	http  *http.Client
	log   *zap.Logger
	obs   Observer
	scrub scrubber
	// retries counts retries made by this client (for tests and run summaries).
	retries atomic.Int64
}

// defaultHTTP is shared by clients that are not given one; no client-level timeout because
// attempts carry their own.
var defaultHTTP = &http.Client{Transport: &http.Transport{
	Proxy:               http.ProxyFromEnvironment,
	DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConns:        256,
	MaxIdleConnsPerHost: 16,
	IdleConnTimeout:     90 * time.Second,
	TLSHandshakeTimeout: 10 * time.Second,
}}

// New builds a client. log should already carry tenant and job fields.
func New(cfg Config, log *zap.Logger) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("%s: invalid base URL %q", cfg.API, cfg.BaseURL)
	}
	cfg.Retry = cfg.Retry.withDefaults()
	cfg.Timeout = cmp.Or(cfg.Timeout, 30*time.Second)
	cfg.MaxBodyBytes = cmp.Or(cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	// A copy, so that the shared client keeps its transport and connection pool but this one
	// hands every 3xx back to attempt instead of following it with the credentials attached.
	hc := *cmp.Or(cfg.HTTPClient, defaultHTTP)
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &Client{cfg: cfg, base: base, http: &hc, log: log, obs: cfg.Observer,
		scrub: newScrubber(cfg.Secrets, cfg.Authorize)}
	if c.log == nil {
		c.log = zap.NewNop()
	}
	if c.obs == nil {
		c.obs = noopObserver{}
	}
	return c, nil
}

// Retries returns how many retries this client has made.
func (c *Client) Retries() int64 { return c.retries.Load() }

// Request describes one call.
type Request struct {
	Method string
	// Path is appended to the base URL; callers escape path segments themselves.
	Path  string
	Query url.Values
	// Body is JSON-encoded when non-nil.
	Body any
	// Op labels the call in errors and metrics with a low-cardinality name ("GET /units").
	Op string
	// Idempotent marks a write safe to repeat; GET, HEAD, PUT and DELETE always are.
	Idempotent bool
	// Exchange, when set, receives what the call looked like on the wire (see Exchange), for
	// callers that check the upstream itself rather than only its answer (syncd probe).
	Exchange *Exchange
}

// Exchange is what Do saw of a call besides the body it decodes: the last response received,
// whatever its status, and how many attempts it took. It never holds anything of the request's
// headers, which carry the credentials.
type Exchange struct {
	// URL is the last URL requested (after any followed redirect), without user info.
	URL string
	// Status is the last response's status; 0 when no attempt got a response.
	Status int
	// Header is the last response's headers.
	Header http.Header
	// Latency is the last response's attempt, from sending the request to the end of the body.
	Latency time.Duration
	// Attempts counts the attempts made, the first included.
	Attempts int
}

func (r Request) idempotent() bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete:
		return true
	}
	return r.Idempotent
}

func (r Request) read() bool { return r.Method == http.MethodGet || r.Method == http.MethodHead }

// DecodeFunc decodes a 2xx body inside the retry loop, so that a body cut short on a read is
// retried like any other transport fault.
type DecodeFunc func(body []byte) error

// Answer is a 2xx answer as a VerifyFunc sees it.
type Answer struct {
	Status int
	// ContentType is the declared Content-Type ("" when none was declared).
	ContentType string
	Body        []byte
}

// VerifyFunc checks that a 2xx answer to a write is the documented answer for that call, and so
// proves the write was applied; it returns why not otherwise. It runs only on an answer whose
// Content-Type is JSON or not declared (any other declared type fails the call before it runs),
// and its error fails the call with KindUnverified, unretried.
type VerifyFunc func(Answer) error

// CheckJSONBody says what is wrong with an answer's body that is not JSON at all, for a
// VerifyFunc's reason: it is empty, or it is not JSON (an HTML page, text).
func CheckJSONBody(body []byte) error {
	body = bytes.TrimSpace(body)
	switch {
	case len(body) == 0:
		return errors.New("not the documented answer: the body is empty")
	case !json.Valid(body):
		return errors.New("not the documented answer: the body is not JSON")
	}
	return nil
}

// jsonContentType reports whether a declared Content-Type is JSON: application/json, a +json
// type such as application/problem+json, or text/json. An undeclared type passes: the body
// decides.
func jsonContentType(ct string) bool {
	if strings.TrimSpace(ct) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

// Do performs the request with retries and decodes a 2xx JSON body into out (unless out is nil).
// out may be *[]byte or *json.RawMessage to receive the raw body, a DecodeFunc, or, for a write,
// a VerifyFunc.
func (c *Client) Do(ctx context.Context, req Request, out any) error {
	op := cmp.Or(req.Op, req.Method+" "+req.Path)
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = json.Marshal(req.Body); err != nil {
			return fmt.Errorf("%s %s: encode body: %w", c.cfg.API, op, err)
		}
	}
	u := *c.base
	u.Path = c.base.Path + req.Path
	u.RawPath = ""
	if strings.Contains(req.Path, "%") {
		u.RawPath = c.base.EscapedPath() + req.Path
		if p, err := url.PathUnescape(u.RawPath); err == nil {
			u.Path = p
		}
	}
	if len(req.Query) > 0 {
		u.RawQuery = req.Query.Encode()
	}
	target := u.String()

	var (
		lastErr  error
		attempts int
		hint     time.Duration // Retry-After from the last response, consumed by the backoff
	)
	pol := c.cfg.Retry
	var inner retry.Backoff = retry.NewExponential(pol.Base)
	inner = retry.WithJitterPercent(20, inner)
	inner = retry.WithCappedDuration(pol.Cap, inner)
	inner = retry.WithMaxDuration(pol.MaxElapsed, inner)
	inner = retry.WithMaxRetries(uint64(pol.MaxAttempts-1), inner)
	// go-retry does not know Retry-After: stretch the computed backoff to the upstream's hint.
	backoff := retry.BackoffFunc(func() (time.Duration, bool) {
		d, stop := inner.Next()
		if stop {
			return 0, true
		}
		if hint > d {
			d = min(hint, pol.MaxRetryAfter)
		}
		hint = 0
		return d, false
	})

	err := retry.Do(ctx, backoff, func(ctx context.Context) error {
		if attempts > 0 {
			c.retries.Add(1)
			c.obs.ObserveRetry(c.cfg.API, op, KindOf(lastErr))
			c.log.Debug("retrying upstream call", zap.String("api", c.cfg.API), zap.String("op", op),
				zap.Int("attempt", attempts+1), zap.Error(lastErr))
		}
		attempts++
		if req.Exchange != nil {
			req.Exchange.Attempts = attempts
		}
		err := c.seal(c.attempt(ctx, req, op, target, body, out))
		if err == nil {
			return nil
		}
		lastErr = err
		var ue *Error
		if errors.As(err, &ue) && c.retryable(req, ue) {
			hint = ue.RetryAfter
			return retry.RetryableError(err)
		}
		return err
	})
	if err == nil {
		return nil
	}
	if lastErr != nil && !errors.Is(err, lastErr) {
		// The context ended while waiting: report it together with the last real failure.
		return fmt.Errorf("%w (after %d attempts, last error: %w)", err, attempts, lastErr)
	}
	if attempts > 1 {
		return fmt.Errorf("giving up after %d attempts: %w", attempts, err)
	}
	return err
}

func (c *Client) retryable(req Request, e *Error) bool {
	switch e.Kind {
	case KindRateLimited:
		return true
	case KindTransient:
		if e.Status == 0 { // network error
			return req.idempotent() || e.notSent
		}
		if !req.idempotent() {
			return false
		}
		if e.Status == http.StatusInternalServerError {
			return req.read()
		}
		return e.Status == http.StatusBadGateway || e.Status == http.StatusServiceUnavailable ||
			e.Status == http.StatusGatewayTimeout
	case KindDecode:
		// A truncated 2xx body on a read is a transport fault; a write may have landed.
		return req.read()
	case KindUnverified:
		// The write may have landed: repeating it blindly could apply it twice.
		return false
	}
	return false
}

func (c *Client) attempt(ctx context.Context, req Request, op, target string, body []byte, out any) error {
	// The wait comes before the attempt's clock starts: a slow limit must not eat the timeout.
	if err := c.wait(ctx, op); err != nil {
		return err
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	resp, start, err := c.send(ctx, actx, req, op, target, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	limit := int64(maxErrorBody)
	if ok {
		limit = c.cfg.MaxBodyBytes
		if resp.ContentLength > limit {
			// Refused before reading: the declared length alone says it is too large.
			c.obs.ObserveRequest(c.cfg.API, op, resp.StatusCode, time.Since(start))
			exchanged(req.Exchange, resp, start)
			return c.tooLarge(op, resp.StatusCode, fmt.Sprintf("%d bytes", resp.ContentLength))
		}
	}
	raw, rerr := readBody(resp, limit)
	c.obs.ObserveRequest(c.cfg.API, op, resp.StatusCode, time.Since(start))
	exchanged(req.Exchange, resp, start)
	if rerr != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &Error{API: c.cfg.API, Op: op, Status: 0, Kind: KindTransient, Err: fmt.Errorf("read body: %w", stripURL(rerr))}
	}
	if ok && int64(len(raw)) > limit {
		return c.tooLarge(op, resp.StatusCode, fmt.Sprintf("more than %d bytes", limit))
	}

	if !ok {
		// An error body past maxErrorBody is only cut: the status is the failure, the body its excerpt.
		e := &Error{API: c.cfg.API, Op: op, Status: resp.StatusCode, Kind: KindForStatus(resp.StatusCode),
			Body: window(raw), RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
		if resp.StatusCode == http.StatusTooManyRequests && c.cfg.Limiter != nil {
			c.cfg.Limiter.Limited()
		}
		if c.cfg.ParseError != nil {
			e.Code, e.Message = c.cfg.ParseError(raw)
		}
		return e
	}
	if out == nil {
		return nil
	}
	switch o := out.(type) {
	case VerifyFunc:
		ct := resp.Header.Get("Content-Type")
		err := errors.New("not the documented answer: the content type is not JSON")
		if jsonContentType(ct) {
			err = o(Answer{Status: resp.StatusCode, ContentType: ct, Body: raw})
		}
		if err != nil {
			return &Error{API: c.cfg.API, Op: op, Status: resp.StatusCode, Kind: KindUnverified,
				ContentType: ct, Body: window(raw), Err: err}
		}
		return nil
	case DecodeFunc:
		if err := o(raw); err != nil {
			return &Error{API: c.cfg.API, Op: op, Status: resp.StatusCode, Kind: KindDecode, Body: window(raw), Err: err}
		}
		return nil
	case *[]byte:
		*o = raw
		return nil
	case *json.RawMessage:
		*o = raw
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &Error{API: c.cfg.API, Op: op, Status: resp.StatusCode, Kind: KindDecode, Body: window(raw), Err: err}
	}
	return nil
}

// exchanged records resp in ex, when the caller asked for it.
func exchanged(ex *Exchange, resp *http.Response, start time.Time) {
	if ex == nil {
		return
	}
	ex.Latency = time.Since(start)
	ex.Status = resp.StatusCode
	ex.Header = resp.Header.Clone()
	ex.URL = ""
	if resp.Request != nil && resp.Request.URL != nil {
		u := *resp.Request.URL
		u.User = nil
		ex.URL = u.String()
	}
}

// tooLarge is the failure of a body over MaxBodyBytes. It is permanent: the same request would
// get the same body, and reading it again would only spend the memory the limit protects.
func (c *Client) tooLarge(op string, status int, size string) *Error {
	return &Error{API: c.cfg.API, Op: op, Status: status, Kind: KindPermanent,
		Err: fmt.Errorf("%w (%s, limit %d)", ErrResponseTooLarge, size, c.cfg.MaxBodyBytes)}
}

// readBody reads at most limit+1 bytes, so that a body over the limit is known to be one without
// holding more of it. A declared length within the limit is allocated once.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	r := io.LimitReader(resp.Body, limit+1)
	if n := resp.ContentLength; n >= 0 && n <= limit {
		buf := bytes.NewBuffer(make([]byte, 0, n+1))
		_, err := buf.ReadFrom(r)
		return buf.Bytes(), err
	}
	return io.ReadAll(r)
}

// window is the start of a body that seal scrubs and cuts to an excerpt.
func window(raw []byte) string {
	return string(raw[:min(len(raw), scrubWindow)])
}

// send sends the request and follows the redirects a read may follow (see the package doc). It
// returns the first response that is not a followed redirect and when that response's request was
// sent. ctx is the caller's, actx the attempt's.
func (c *Client) send(ctx, actx context.Context, req Request, op, target string, body []byte) (*http.Response, time.Time, error) {
	for hops := 0; ; hops++ {
		if hops > 0 {
			// A hop is a request like any other; it waits within the attempt's time.
			if err := c.wait(actx, op); err != nil {
				return nil, time.Time{}, err
			}
		}
		var rdr io.Reader
		if body != nil {
			rdr = bytes.NewReader(body)
		}
		hreq, err := http.NewRequestWithContext(actx, req.Method, target, rdr)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("%s %s: build request: %w", c.cfg.API, op, err)
		}
		hreq.Header.Set("Accept", "application/json")
		if body != nil {
			hreq.Header.Set("Content-Type", "application/json")
		}
		if c.cfg.UserAgent != "" {
			hreq.Header.Set("User-Agent", c.cfg.UserAgent)
		}
		// Every target is the base URL's origin: the first by construction, the next ones because
		// redirect refuses any other.
		if c.cfg.Authorize != nil {
			c.cfg.Authorize(hreq)
		}

		start := time.Now()
		resp, err := c.http.Do(hreq)
		if err != nil {
			c.obs.ObserveRequest(c.cfg.API, op, 0, time.Since(start))
			if ctx.Err() != nil {
				return nil, start, ctx.Err() // the caller's context ended: not an upstream failure
			}
			return nil, start, &Error{API: c.cfg.API, Op: op, Kind: KindTransient, Err: stripURL(err), notSent: isDialError(err)}
		}
		if resp.StatusCode < 300 || resp.StatusCode > 399 {
			return resp, start, nil
		}
		// Drain a little so that the connection can be reused; a redirect's body says nothing.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		resp.Body.Close()
		c.obs.ObserveRequest(c.cfg.API, op, resp.StatusCode, time.Since(start))
		next, err := c.redirect(req, op, hreq.URL, resp, hops)
		if err != nil {
			return nil, start, err
		}
		target = next
	}
}

// wait waits for the tenant's rate limiter.
func (c *Client) wait(ctx context.Context, op string) error {
	if c.cfg.Limiter == nil {
		return nil
	}
	start := time.Now()
	if err := c.cfg.Limiter.Wait(ctx); err != nil {
		return fmt.Errorf("%s %s: wait for rate limit: %w", c.cfg.API, op, err)
	}
	if w := time.Since(start); w > time.Millisecond {
		c.obs.ObserveRateWait(c.cfg.API, w)
	}
	return nil
}

// redirect returns where a 3xx may be followed to, or the failed attempt that names where it
// pointed and why it was not followed.
func (c *Client) redirect(req Request, op string, from *url.URL, resp *http.Response, hops int) (string, error) {
	fail := func(loc, why string) error {
		msg := "redirect without a Location not followed"
		if loc != "" {
			msg = "redirect to " + loc + " not followed: " + why
		}
		return &Error{API: c.cfg.API, Op: op, Status: resp.StatusCode, Kind: KindPermanent, Location: loc, Message: msg}
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", fail("", "")
	}
	to, err := from.Parse(loc)
	if err != nil {
		return "", fail(showURL(nil, loc), "unreadable Location")
	}
	to.User = nil // credentials go on as Authorize sets them, never from a Location
	shown := showURL(to, loc)
	switch {
	case !req.read():
		return "", fail(shown, "a "+req.Method+" is never redirected, so it may not have been applied")
	case !sameOrigin(c.base, to):
		return "", fail(shown, "not the origin of the configured base URL "+c.base.Scheme+"://"+c.base.Host)
	case hops >= maxRedirects:
		return "", fail(shown, fmt.Sprintf("more than %d redirects", maxRedirects))
	}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return to.String(), nil
	}
	return "", fail(shown, "status is not a redirect that can be followed")
}

// showURL is a Location as errors name it: without its query and fragment, which may carry
// identifying parameters, and cut short.
func showURL(u *url.URL, raw string) string {
	if u != nil {
		v := *u
		v.User = nil
		if v.RawQuery != "" || v.ForceQuery {
			v.RawQuery, v.ForceQuery = "…", false
		}
		v.Fragment, v.RawFragment = "", ""
		raw = v.String()
	}
	return excerpt([]byte(raw))
}

// sameOrigin reports whether u has a's scheme, host and port (default ports spelled out).
func sameOrigin(a, u *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		switch strings.ToLower(u.Scheme) {
		case "https":
			return "443"
		case "http":
			return "80"
		}
		return ""
	}
	return strings.EqualFold(a.Scheme, u.Scheme) && strings.EqualFold(a.Hostname(), u.Hostname()) && port(a) == port(u)
}

// ParseRetryAfter reads a Retry-After header in seconds or as an HTTP date; 0 when absent or
// unreadable.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// stripURL removes the request URL that net/http puts into errors: URLs can carry identifying
// query parameters, and the op already says what was called.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
