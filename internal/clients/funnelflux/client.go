// Package funnelflux is a client for the FunnelFlux Pro API: the asset lists (funnels, funnel
// groups, traffic sources), the drilldown report (daily stats and applied conversions, paged to
// rowsTotal), and conversion updates, which FunnelFlux queues and applies later.
//
// Authentication is a bearer access token that expires after 72 hours and is renewed with a
// refresh token through POST /auth/validate (see TokenSource). Every call that is refused with a
// 400 or 401 renews the token once, single-flight across concurrent callers, and is retried once;
// when renewing fails for good the call fails with ErrReauthRequired. Retries for anything else
// (429 with Retry-After, 5xx, network) happen in internal/clients/upstream and nowhere else.
//
// Decisions that the public documentation leaves open live in contract.go.
package funnelflux

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

// Config configures a Client. Transport-level settings (limiter, retry policy, shared HTTP client,
// observer) are passed through to the upstream layer.
type Config struct {
	// BaseURL is the API's base URL (empty = DefaultBaseURL).
	BaseURL string
	// AccessToken and RefreshToken build the client's TokenSource when Tokens is nil. They are
	// only ever put on the wire.
	AccessToken  string
	RefreshToken string
	// Tokens is the tenant's token source, shared by its clients so that a renewed access token
	// outlives one run (nil = a new one from AccessToken and RefreshToken, using Upstream).
	Tokens *TokenSource
	// ReportPageSize is the `length` asked per report page (0 = ReportPageSize).
	ReportPageSize int
	// Upstream carries the shared HTTP settings; API, BaseURL, Authorize, MoreSecrets and
	// ParseError are set here.
	Upstream upstream.Config
}

// Client talks to one tenant's FunnelFlux Pro account.
type Client struct {
	cfg    Config
	up     *upstream.Client
	tokens *TokenSource
}

// New builds a client. It makes no call; call Validate before a job's first call.
func New(cfg Config, log *zap.Logger) (*Client, error) {
	if log == nil {
		log = zap.NewNop()
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.ReportPageSize <= 0 {
		cfg.ReportPageSize = ReportPageSize
	}
	ts := cfg.Tokens
	if ts == nil {
		var err error
		ts, err = NewTokenSource(TokenConfig{BaseURL: cfg.BaseURL, AccessToken: cfg.AccessToken,
			RefreshToken: cfg.RefreshToken, Upstream: cfg.Upstream}, log)
		if err != nil {
			return nil, err
		}
	}
	uc := cfg.Upstream
	uc.API = apiName
	uc.BaseURL = cfg.BaseURL
	uc.Authorize = ts.authorize
	uc.MoreSecrets = ts.Secrets
	uc.ParseError = parseError
	up, err := upstream.New(uc, log)
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, up: up, tokens: ts}, nil
}

// Tokens returns the client's token source.
func (c *Client) Tokens() *TokenSource { return c.tokens }

// Validate checks and renews the access token (TokenSource.Validate); a job calls it first.
func (c *Client) Validate(ctx context.Context) error { return c.tokens.Validate(ctx) }

// Retries reports how many retries this client's calls made (not counting /auth/validate and
// the one retry after a renewed token).
func (c *Client) Retries() int64 { return c.up.Retries() }

// do performs req through the upstream layer; on a 400 or 401 it renews the token once
// (single-flight) and repeats the request once. When renewing fails for good, the error is
// ErrReauthRequired.
func (c *Client) do(ctx context.Context, req upstream.Request, out any) error {
	sent := c.tokens.Token()
	err := c.up.Do(ctx, req, out)
	if !refusedToken(err) {
		return err
	}
	if rerr := c.tokens.Refresh(ctx, sent); rerr != nil {
		if errors.Is(rerr, ErrReauthRequired) {
			return rerr
		}
		return fmt.Errorf("%w (renewing the token failed: %w)", err, rerr)
	}
	return c.up.Do(ctx, req, out)
}

// refusedToken reports whether err is the answer FunnelFlux gives an expired token: 400 or 401
// [V: either may come].
func refusedToken(err error) bool {
	var ue *upstream.Error
	return errors.As(err, &ue) && (ue.Status == http.StatusBadRequest || ue.Status == http.StatusUnauthorized)
}

// List fetches one asset list and hands it to fn as one page of raw records. The lists are not
// paged [I: none was seen], so there is one page; the answer may be a bare array or a
// {"data": [...]} envelope.
func (c *Client) List(ctx context.Context, a Asset, fn func(upstream.Page) error) error {
	var page upstream.Page
	decode := upstream.DecodeFunc(func(raw []byte) (err error) {
		page.Records, page.HasMore, err = upstream.DecodeList(raw)
		return err
	})
	if err := c.do(ctx, listRequest(a), decode); err != nil {
		return fmt.Errorf("list funnelflux %s: %w", a, err)
	}
	return fn(page)
}

func listRequest(a Asset) upstream.Request {
	return upstream.Request{Method: http.MethodGet, Path: a.Path(), Query: listQuery(), Op: a.Op()}
}

// ListFunnels fetches every funnel, decoded, each with its raw JSON. A record that fails to
// decode fails the call.
func (c *Client) ListFunnels(ctx context.Context) ([]Funnel, error) {
	return listTyped(ctx, c, Funnels, DecodeFunnel)
}

// ListFunnelGroups fetches every funnel group, decoded, each with its raw JSON.
func (c *Client) ListFunnelGroups(ctx context.Context) ([]FunnelGroup, error) {
	return listTyped(ctx, c, FunnelGroups, DecodeFunnelGroup)
}

// ListTrafficSources fetches every traffic source, decoded, each with its raw JSON.
func (c *Client) ListTrafficSources(ctx context.Context) ([]TrafficSource, error) {
	return listTyped(ctx, c, TrafficSources, DecodeTrafficSource)
}

func listTyped[T any](ctx context.Context, c *Client, a Asset, dec func(json.RawMessage) (T, error)) ([]T, error) {
	var out []T
	err := c.List(ctx, a, func(p upstream.Page) error {
		for i, raw := range p.Records {
			v, err := dec(raw)
			if err != nil {
				return fmt.Errorf("list funnelflux %s: record %d: %w", a, i, err)
			}
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

// parseError reads an {"error": "...", "message": "..."} body when there is one [I].
func parseError(body []byte) (code, message string) {
	var e map[string]json.RawMessage
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	text := func(k string) string {
		var s string
		if v, ok := e[k]; ok && json.Unmarshal(v, &s) != nil {
			s = string(v)
		}
		return s
	}
	code, message = text(ErrFieldError), text(ErrFieldMessage)
	if message == "" {
		return "", code
	}
	return code, message
}
