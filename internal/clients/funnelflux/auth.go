package funnelflux

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/clients/flex"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

// ErrReauthRequired is what a call fails with (errors.Is) when the access token was refused and
// refreshing it failed too: the refresh token was refused (revoked, expired by the auth
// provider's policy) or is missing. Nothing syncd does can recover; a person must generate new
// tokens under Settings > API Access and put them in the tenant's configuration.
var ErrReauthRequired = errors.New("re-authorisation needed")

// reauthError is a refresh that failed for good. It is ErrReauthRequired and, through the
// upstream error it wraps (when there is one), ErrCredentialsRejected, so that a run stops.
type reauthError struct {
	why string
	err error
}

func (e *reauthError) Error() string {
	msg := "funnelflux: " + ErrReauthRequired.Error() + ": " + e.why +
		" (generate new tokens under Settings > API Access)"
	if e.err != nil {
		msg += ": " + e.err.Error()
	}
	return msg
}

func (e *reauthError) Unwrap() error { return e.err }

func (e *reauthError) Is(target error) bool {
	return target == ErrReauthRequired || target == upstream.ErrCredentialsRejected
}

// TokenConfig configures a TokenSource.
type TokenConfig struct {
	// BaseURL is the API's base URL (empty = DefaultBaseURL).
	BaseURL string
	// AccessToken is the access token to start from (from env or file; never stored).
	AccessToken string
	// RefreshToken gets a new access token when the current one is refused ("" = none: a refused
	// access token then means re-authorisation).
	RefreshToken string
	// Upstream carries the shared HTTP settings for the /auth/validate calls; API, BaseURL,
	// Authorize, MoreSecrets and ParseError are set here.
	Upstream upstream.Config
	// Now is the clock for expiries (nil = time.Now).
	Now func() time.Time
}

// TokenSource holds a tenant's FunnelFlux tokens, in memory only, and renews the access token
// through POST /auth/validate. It is safe for concurrent use, and meant to live as long as the
// tenant's configuration, shared by its jobs, so that a renewed token outlives the run that got
// it (FunnelFlux says its auth provider will change: this type is the one place that knows it).
//
// Refreshing is single-flight: of the callers that saw the same token refused, one calls
// /auth/validate and the others wait for it and use its result.
type TokenSource struct {
	up  *upstream.Client
	log *zap.Logger
	now func() time.Time
	// sem admits one validate call at a time; a channel so that waiting honours ctx.
	sem chan struct{}

	mu        sync.Mutex
	access    string
	refresh   string
	expiresAt time.Time // zero when unknown
	// failedFor is the access token whose refresh failed for good, and failure that failure:
	// callers that saw that token refused get it without another call, until Validate succeeds.
	failedFor string
	failure   error
	// seen are the credentials held so far, for scrubbing error text.
	seen []string

	validations atomic.Int64
	renewals    atomic.Int64
}

// maxSeenTokens bounds how many past credentials are kept for scrubbing.
const maxSeenTokens = 16

// NewTokenSource builds a token source. It makes no call.
func NewTokenSource(cfg TokenConfig, log *zap.Logger) (*TokenSource, error) {
	if strings.TrimSpace(cfg.AccessToken) == "" {
		return nil, errors.New("funnelflux: access token is empty")
	}
	if log == nil {
		log = zap.NewNop()
	}
	ts := &TokenSource{log: log, now: cfg.Now, sem: make(chan struct{}, 1),
		access: cfg.AccessToken, refresh: cfg.RefreshToken}
	if ts.now == nil {
		ts.now = time.Now
	}
	ts.remember(cfg.AccessToken, cfg.RefreshToken)
	uc := cfg.Upstream
	uc.API = apiName
	uc.BaseURL = cfg.BaseURL
	if uc.BaseURL == "" {
		uc.BaseURL = DefaultBaseURL
	}
	uc.Authorize = ts.authorize
	uc.MoreSecrets = ts.Secrets
	uc.ParseError = parseError
	up, err := upstream.New(uc, log)
	if err != nil {
		return nil, err
	}
	ts.up = up
	return ts, nil
}

// apiName names FunnelFlux in errors, logs and metrics.
const apiName = "funnelflux"

// Token returns the access token to send now.
func (ts *TokenSource) Token() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.access
}

// ExpiresAt is when the current access token expires, as the last /auth/validate answer said;
// zero when no answer said so yet.
func (ts *TokenSource) ExpiresAt() time.Time {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.expiresAt
}

// Validations counts the /auth/validate calls made (each Validate, and each refresh).
func (ts *TokenSource) Validations() int64 { return ts.validations.Load() }

// Renewals counts the times /auth/validate returned a different access token.
func (ts *TokenSource) Renewals() int64 { return ts.renewals.Load() }

// Secrets returns every credential this source holds or has held lately, for scrubbing error
// text (upstream.Config.MoreSecrets).
func (ts *TokenSource) Secrets() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.seen...)
}

// Validate calls POST /auth/validate with the access token in the header and the refresh token
// in the body, as FunnelFlux recommends at the start of each periodic job, and keeps the token
// the answer returns (the same one while it is valid, a new one once it has expired). A refusal
// (400, 401 or 403) fails it with ErrReauthRequired; other failures (network, 5xx, 429 after
// the upstream layer's retries) are returned as they are, and leave the tokens as they were.
func (ts *TokenSource) Validate(ctx context.Context) error {
	if err := ts.acquire(ctx); err != nil {
		return err
	}
	defer ts.release()
	return ts.validate(ctx)
}

// Refresh renews the access token after stale, the token a call sent, was refused with a 400 or
// 401. When another caller has renewed it since, it returns at once; when a refresh after stale
// already failed for good, it returns that failure without another call. Otherwise it
// validates as Validate does.
func (ts *TokenSource) Refresh(ctx context.Context, stale string) error {
	if err := ts.acquire(ctx); err != nil {
		return err
	}
	defer ts.release()
	ts.mu.Lock()
	current, failedFor, failure := ts.access, ts.failedFor, ts.failure
	ts.mu.Unlock()
	switch {
	case current != stale:
		return nil
	case failure != nil && failedFor == stale:
		return failure
	}
	return ts.validate(ctx)
}

func (ts *TokenSource) acquire(ctx context.Context) error {
	select {
	case ts.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("funnelflux: wait for token refresh: %w", ctx.Err())
	}
}

func (ts *TokenSource) release() { <-ts.sem }

// validate makes the call; the caller holds sem.
func (ts *TokenSource) validate(ctx context.Context) error { return ts.validateWith(ctx, nil, nil) }

// validateWith is validate recording the exchange in ex and the answer's body in body, when set.
func (ts *TokenSource) validateWith(ctx context.Context, ex *upstream.Exchange, body *[]byte) error {
	ts.mu.Lock()
	sent, refresh := ts.access, ts.refresh
	ts.mu.Unlock()
	var req any
	if refresh != "" {
		req = map[string]string{FieldRefreshToken: refresh}
	}
	var tok validated
	decode := upstream.DecodeFunc(func(raw []byte) (err error) {
		if body != nil {
			*body = append([]byte(nil), raw...)
		}
		tok, err = decodeValidated(raw)
		return err
	})
	ts.validations.Add(1)
	// Idempotent: validating twice returns the same token, or a second fresh one that
	// supersedes the first [I]; either way nothing is applied twice.
	err := ts.up.Do(ctx, upstream.Request{Method: http.MethodPost, Path: PathValidate, Body: req,
		Op: OpValidate, Idempotent: true, Exchange: ex}, decode)
	if err != nil {
		var ue *upstream.Error
		if errors.As(err, &ue) && (ue.Status == http.StatusBadRequest || ue.Kind == upstream.KindAuth) {
			why := "the access token expired and the refresh token was refused"
			if refresh == "" {
				why = "the access token was refused and no refresh token is configured"
			}
			failure := &reauthError{why: why, err: err}
			ts.mu.Lock()
			ts.failedFor, ts.failure = sent, failure
			ts.mu.Unlock()
			return failure
		}
		return fmt.Errorf("validate funnelflux token: %w", err)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if tok.access != sent {
		ts.renewals.Add(1)
		ts.log.Info("funnelflux access token renewed", zap.Time("expires_at", tok.expiresAt))
	}
	ts.access = tok.access
	ts.expiresAt = tok.expiresAt
	if tok.refresh != "" {
		ts.refresh = tok.refresh
	}
	ts.failedFor, ts.failure = "", nil
	ts.rememberLocked(tok.access, tok.refresh)
	return nil
}

// authorize puts the current access token on a request.
func (ts *TokenSource) authorize(r *http.Request) {
	r.Header.Set("Authorization", "Bearer "+ts.Token())
}

func (ts *TokenSource) remember(creds ...string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.rememberLocked(creds...)
}

func (ts *TokenSource) rememberLocked(creds ...string) {
	for _, c := range creds {
		if c == "" || containsString(ts.seen, c) {
			continue
		}
		ts.seen = append(ts.seen, c)
	}
	if n := len(ts.seen); n > maxSeenTokens {
		// The refresh token was added first and stays; the oldest access tokens go.
		keep := []string{ts.refresh}
		for _, s := range ts.seen[n-maxSeenTokens+1:] {
			if s != ts.refresh {
				keep = append(keep, s)
			}
		}
		ts.seen = keep
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// validated is what an /auth/validate answer gives.
type validated struct {
	access    string
	refresh   string
	expiresAt time.Time
}

// decodeValidated reads {"tokens": {"access_token", "expires_at", ...}}, ignoring other fields
// [V-partial]. expires_at is read as Unix seconds or milliseconds, or as a time string [I].
func decodeValidated(raw []byte) (validated, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(raw, &env); err != nil {
		return validated{}, fmt.Errorf("decode token answer: %w", err)
	}
	var toks map[string]json.RawMessage
	if t, ok := env[FieldTokens]; ok {
		if err := json.Unmarshal(t, &toks); err != nil {
			return validated{}, fmt.Errorf("decode token answer %q: %w", FieldTokens, err)
		}
	}
	var out validated
	var access, refresh flex.String
	if err := unmarshalField(toks, FieldTokenAccess, &access); err != nil {
		return out, err
	}
	if err := unmarshalField(toks, FieldTokenRefresh, &refresh); err != nil {
		return out, err
	}
	if !access.Valid {
		return out, fmt.Errorf("decode token answer: no %s.%s", FieldTokens, FieldTokenAccess)
	}
	out.access, out.refresh = access.V, refresh.V
	if v, ok := toks[FieldTokenExpiresAt]; ok {
		var n flex.Float
		if json.Unmarshal(v, &n) == nil && n.Valid {
			if n.V > expiresAtMillisAbove {
				out.expiresAt = time.UnixMilli(int64(n.V)).UTC()
			} else {
				out.expiresAt = time.Unix(int64(n.V), 0).UTC()
			}
		} else {
			var t flex.Time
			if json.Unmarshal(v, &t) == nil && t.Valid {
				out.expiresAt = t.V.UTC()
			}
		}
	}
	return out, nil
}

func unmarshalField(m map[string]json.RawMessage, key string, into any) error {
	v, ok := m[key]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(v, into); err != nil {
		return fmt.Errorf("decode token answer %q: %w", key, err)
	}
	return nil
}

// validateExchange is validate for syncd probe: the same call, with the exchange recorded and
// the answer returned with every token in it masked.
func (ts *TokenSource) validateExchange(ctx context.Context) ([]byte, upstream.Exchange, error) {
	var ex upstream.Exchange
	if err := ts.acquire(ctx); err != nil {
		return nil, ex, err
	}
	defer ts.release()
	var body []byte
	err := ts.validateWith(ctx, &ex, &body)
	if body != nil {
		for _, s := range ts.Secrets() {
			body = bytes.ReplaceAll(body, []byte(s), []byte(upstream.Redacted))
		}
	}
	return body, ex, err
}
