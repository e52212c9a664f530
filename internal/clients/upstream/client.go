// Package upstream is the one HTTP layer shared by every upstream client: per-tenant rate
// limiting, retries with exponential backoff and jitter (sethvargo/go-retry), Retry-After,
// per-attempt timeouts, typed errors classified by kind, and metrics hooks.
//
// Retrying happens here and nowhere else. A request is retried only when that is safe: reads on
// network errors, 429, 500, 502, 503 and 504; idempotent writes (PUT, DELETE) on network errors,
// 429, 502, 503 and 504; non-idempotent writes (POST) only on 429 and on connection failures
// before the request was sent, because a 429 means the upstream did not process it.
package upstream

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sethvargo/go-retry"
	"go.uber.org/zap"
	"golang.org/x/time/rate"
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
	// Limiter is the tenant's limiter for this upstream, shared by all its jobs (nil = none).
	Limiter *rate.Limiter
	// Authorize sets credentials on each request.
	Authorize func(*http.Request)
	// ParseError extracts the upstream's error code and message from a non-2xx body.
	ParseError func(body []byte) (code, message string)
	Retry      RetryPolicy
	Observer   Observer
	UserAgent  string
}

// Client performs requests against one upstream for one tenant.
type Client struct {
	cfg  Config
	base *url.URL
	http *http.Client
	log  *zap.Logger
	obs  Observer
	// retries counts retries made by this client (for tests and run summaries).
	retries atomic.Int64
}

// DefaultHTTPClient is shared by clients that are not given one; no client-level timeout because
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
	c := &Client{cfg: cfg, base: base, http: cmp.Or(cfg.HTTPClient, defaultHTTP), log: log, obs: cfg.Observer}
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

// Do performs the request with retries and decodes a 2xx JSON body into out (unless out is nil).
// out may be *[]byte or *json.RawMessage to receive the raw body, or a DecodeFunc.
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
		err := c.attempt(ctx, req, op, target, body, out)
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
	}
	return false
}

func (c *Client) attempt(ctx context.Context, req Request, op, target string, body []byte, out any) error {
	if c.cfg.Limiter != nil {
		start := time.Now()
		if err := c.cfg.Limiter.Wait(ctx); err != nil {
			return fmt.Errorf("%s %s: wait for rate limit: %w", c.cfg.API, op, err)
		}
		if w := time.Since(start); w > time.Millisecond {
			c.obs.ObserveRateWait(c.cfg.API, w)
		}
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	var rdr io.Reader
	if body != nil {
		rdr = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(actx, req.Method, target, rdr)
	if err != nil {
		return fmt.Errorf("%s %s: build request: %w", c.cfg.API, op, err)
	}
	hreq.Header.Set("Accept", "application/json")
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.UserAgent != "" {
		hreq.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	if c.cfg.Authorize != nil {
		c.cfg.Authorize(hreq)
	}

	start := time.Now()
	resp, err := c.http.Do(hreq)
	if err != nil {
		c.obs.ObserveRequest(c.cfg.API, op, 0, time.Since(start))
		if ctx.Err() != nil {
			return ctx.Err() // the caller's context ended: not an upstream failure
		}
		return &Error{API: c.cfg.API, Op: op, Kind: KindTransient, Err: stripURL(err), notSent: isDialError(err)}
	}
	defer resp.Body.Close()
	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	c.obs.ObserveRequest(c.cfg.API, op, resp.StatusCode, time.Since(start))
	if rerr != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &Error{API: c.cfg.API, Op: op, Status: 0, Kind: KindTransient, Err: fmt.Errorf("read body: %w", stripURL(rerr))}
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{API: c.cfg.API, Op: op, Status: resp.StatusCode, Kind: KindForStatus(resp.StatusCode),
			Body: excerpt(raw), RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
		if c.cfg.ParseError != nil {
			e.Code, e.Message = c.cfg.ParseError(raw)
		}
		return e
	}
	if out == nil {
		return nil
	}
	switch o := out.(type) {
	case DecodeFunc:
		if err := o(raw); err != nil {
			return &Error{API: c.cfg.API, Op: op, Status: resp.StatusCode, Kind: KindDecode, Body: excerpt(raw), Err: err}
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
		return &Error{API: c.cfg.API, Op: op, Status: resp.StatusCode, Kind: KindDecode, Body: excerpt(raw), Err: err}
	}
	return nil
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
