// Package rentengine is a client for the RentEngine Public API: streamed, tolerant list pulls of
// units, prospects and leasing events, and the "Assign to User" leasing-event write.
//
// Decisions that the public documentation leaves open live in contract.go.
package rentengine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

// Config configures a Client. Transport-level settings (limiter, retry policy, shared HTTP client,
// observer) are passed through to the upstream layer.
type Config struct {
	BaseURL string
	// Token is the bearer token. It is only ever put on the wire.
	Token string
	// AccountID restricts list calls to one account where the API supports it (0 = all).
	AccountID string
	// PageSize is the `limit` per request (0 = PageSize, the documented maximum).
	PageSize int
	// Upstream carries the shared HTTP settings; API, BaseURL, Authorize and ParseError are set here.
	Upstream upstream.Config
}

// Client talks to one tenant's RentEngine account.
type Client struct {
	cfg Config
	up  *upstream.Client
}

// New builds a client.
func New(cfg Config, log *zap.Logger) (*Client, error) {
	if cfg.Token == "" {
		return nil, fmt.Errorf("rentengine: token is empty")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.PageSize <= 0 || cfg.PageSize > PageSize {
		cfg.PageSize = PageSize
	}
	uc := cfg.Upstream
	uc.API = "rentengine"
	uc.BaseURL = cfg.BaseURL
	token := cfg.Token
	uc.Authorize = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
	uc.Secrets = append(slices.Clone(uc.Secrets), token)
	uc.ParseError = parseError
	up, err := upstream.New(uc, log)
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, up: up}, nil
}

// Retries reports how many retries this client made.
func (c *Client) Retries() int64 { return c.up.Retries() }

// List streams every record of a resource, one page at a time, in the upstream's order. fn must
// not keep the page's slice after returning.
func (c *Client) List(ctx context.Context, res Resource, fn func(upstream.Page) error) error {
	fetch := func(ctx context.Context, n int) (upstream.Page, error) {
		var page upstream.Page
		decode := upstream.DecodeFunc(func(raw []byte) (err error) {
			page.Records, page.HasMore, err = upstream.DecodeList(raw)
			return err
		})
		if err := c.up.Do(ctx, c.listRequest(res, n, c.cfg.PageSize), decode); err != nil {
			return upstream.Page{}, err
		}
		return page, nil
	}
	if err := upstream.Paginate(ctx, FirstPage, c.cfg.PageSize, fetch, fn); err != nil {
		return fmt.Errorf("list %s: %w", res, err)
	}
	return nil
}

// listRequest is the request for page n of res with size records per page.
func (c *Client) listRequest(res Resource, n, size int) upstream.Request {
	q := url.Values{}
	q.Set(ParamLimit, strconv.Itoa(size))
	q.Set(ParamPage, strconv.Itoa(n))
	if p, ok := accountParam[res]; ok && c.cfg.AccountID != "" {
		q.Set(p, c.cfg.AccountID)
	}
	return upstream.Request{Method: http.MethodGet, Path: res.path(), Query: q, Op: "GET " + res.path()}
}

// Assignment is one "Assign to User" event to create.
type Assignment struct {
	ProspectID int64
	UserIDs    []string
	// ApplyInBulk applies the assignment to every prospect sharing the phone number.
	ApplyInBulk bool
	Source      string
	Notes       string
}

type assignBody struct {
	Events []assignEvent `json:"events"`
}

type assignEvent struct {
	ProspectID int64         `json:"prospect_id"`
	EventType  string        `json:"event_type"`
	Source     string        `json:"source,omitempty"`
	Notes      string        `json:"notes,omitempty"`
	Context    assignContext `json:"context"`
}

type assignContext struct {
	AssignedToUserIDs []string `json:"assignedToUserIds"`
	ApplyActionInBulk bool     `json:"applyActionInBulk"`
}

// AssignToUser creates one "Assign to User" leasing event (the API takes one event per request).
// The call is not idempotent, so it is retried only when the upstream certainly did not process
// it; callers check the mirror before repeating it. It returns the created events, accepting a
// single object or an array.
//
// It succeeds only on a 2xx whose answer holds the created "Assign to User" event for the
// prospect (see checkAssignAnswer). Any other 2xx answer fails it with an upstream.Error of
// KindUnverified: the event may or may not have been created, so the outcome is unknown.
func (c *Client) AssignToUser(ctx context.Context, a Assignment) ([]LeasingEvent, error) {
	body := assignBody{Events: []assignEvent{{
		ProspectID: a.ProspectID,
		EventType:  EventAssignToUser,
		Source:     a.Source,
		Notes:      a.Notes,
		Context:    assignContext{AssignedToUserIDs: a.UserIDs, ApplyActionInBulk: a.ApplyInBulk},
	}}}
	var evs []LeasingEvent
	verify := upstream.VerifyFunc(func(ans upstream.Answer) (err error) {
		evs, err = checkAssignAnswer(ans.Body, a.ProspectID)
		return err
	})
	err := c.up.Do(ctx, upstream.Request{Method: http.MethodPost, Path: LeasingEvents.path(), Body: body,
		Op: "POST /leasing_events"}, verify)
	if err != nil {
		return nil, fmt.Errorf("assign prospect %d to user: %w", a.ProspectID, err)
	}
	return evs, nil
}

// decodeEvents accepts an array, a single object, or a {"data": ...} envelope.
func decodeEvents(raw []byte) ([]LeasingEvent, error) {
	raw = bytes.TrimSpace(raw)
	recs, _, err := upstream.DecodeList(raw)
	if err == nil && len(recs) == 0 && len(raw) > 0 && raw[0] == '{' {
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if json.Unmarshal(raw, &env) == nil && len(env.Data) > 0 && env.Data[0] == '{' {
			recs = []json.RawMessage{env.Data}
		} else {
			recs = []json.RawMessage{raw}
		}
	}
	if err != nil {
		return nil, err
	}
	out := make([]LeasingEvent, 0, len(recs))
	for _, r := range recs {
		ev, err := DecodeLeasingEvent(r)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// parseError reads RentEngine's {"error": "...", "details": [...]} body, tolerating non-JSON.
func parseError(body []byte) (code, message string) {
	var e struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	var s string
	if json.Unmarshal(e.Error, &s) != nil {
		s = string(e.Error)
	}
	if e.Message != "" && s != "" {
		return "", s + ": " + e.Message
	}
	if s == "" {
		return "", e.Message
	}
	return "", s
}
