// Package funnel is a client for the Funnel Leasing Partner API: community details, streamed
// per-community lists of prospects (clients), renewals and booked appointments, and the two
// writes syncd makes — a customer score on a client (matched by e-mail or phone) and the renewal
// card of a lease.
//
// Decisions that the public documentation leaves open live in contract.go.
package funnel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/clients/flex"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

// API names Funnel in errors, logs, metrics and rate limiters.
const API = "funnel"

// Config configures a Client. Transport-level settings (limiter, retry policy, shared HTTP client,
// observer) are passed through to the upstream layer.
type Config struct {
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// APIKey is the partner API key. It is only ever put on the wire.
	APIKey string
	// Auth is AuthBasic (default) or AuthBearer.
	Auth string
	// CompanyID is the Funnel company that customer scores are posted to (0 = none configured;
	// PostCustomerScore then fails).
	CompanyID int64
	// PageSize is the `per_page` of list calls (0 or above PageSize = PageSize).
	PageSize int
	// Upstream carries the shared HTTP settings; API, BaseURL, Authorize and ParseError are set here.
	Upstream upstream.Config
}

// Client talks to the Funnel Partner API with one tenant's key.
type Client struct {
	cfg Config
	up  *upstream.Client
}

// New builds a client.
func New(cfg Config, log *zap.Logger) (*Client, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("funnel: API key is empty")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.PageSize <= 0 || cfg.PageSize > PageSize {
		cfg.PageSize = PageSize
	}
	key := cfg.APIKey
	uc := cfg.Upstream
	uc.API = API
	uc.BaseURL = cfg.BaseURL
	switch cfg.Auth {
	case "", AuthBasic:
		// The key is the user name and the password is empty [documented]. A user name cannot
		// hold a colon (RFC 7617): the server would read what follows it as a password.
		if strings.Contains(key, ":") {
			return nil, errors.New("funnel: the API key contains ':', so it cannot be sent as a Basic user name; use bearer auth")
		}
		uc.Authorize = func(r *http.Request) { r.SetBasicAuth(key, "") }
	case AuthBearer:
		uc.Authorize = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+key) }
	default:
		return nil, fmt.Errorf("funnel: unknown auth scheme %q (want %s or %s)", cfg.Auth, AuthBasic, AuthBearer)
	}
	uc.Secrets = append(slices.Clone(uc.Secrets), key)
	uc.ParseError = parseError
	up, err := upstream.New(uc, log)
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, up: up}, nil
}

// Retries reports how many retries this client made.
func (c *Client) Retries() int64 { return c.up.Retries() }

// GetCommunity fetches one community's details by any id form ("1234", "P1234-567",
// "partner-id:abc"). It returns the decoded community and the record exactly as received.
func (c *Client) GetCommunity(ctx context.Context, community string) (Community, json.RawMessage, error) {
	var body json.RawMessage
	if err := c.up.Do(ctx, upstream.Request{Method: http.MethodGet, Path: communityPath(community), Op: opCommunity}, object(&body)); err != nil {
		return Community{}, nil, fmt.Errorf("get community %s: %w", community, err)
	}
	com, err := DecodeCommunity(body)
	if err != nil {
		return Community{}, body, fmt.Errorf("get community %s: %w", community, err)
	}
	return com, body, nil
}

// GetProspect fetches one client of a community.
func (c *Client) GetProspect(ctx context.Context, community string, id int64) (Prospect, json.RawMessage, error) {
	var body json.RawMessage
	if err := c.up.Do(ctx, upstream.Request{Method: http.MethodGet, Path: prospectPath(community, id), Op: opProspect}, object(&body)); err != nil {
		return Prospect{}, nil, fmt.Errorf("get prospect %d of community %s: %w", id, community, err)
	}
	p, err := DecodeProspect(body)
	if err != nil {
		return Prospect{}, body, fmt.Errorf("get prospect %d of community %s: %w", id, community, err)
	}
	return p, body, nil
}

// List streams every record of one community's list, one page at a time, in the upstream's order.
// fn must not keep the page's slice after returning.
func (c *Client) List(ctx context.Context, community string, res Resource, fn func(upstream.Page) error) error {
	fetch := func(ctx context.Context, n int) (upstream.Page, error) {
		// Decoded inside the retry loop, so that a body cut short is retried like any other
		// transport fault on a read.
		var page upstream.Page
		decode := upstream.DecodeFunc(func(raw []byte) (err error) {
			page.Records, page.HasMore, err = upstream.DecodeList(raw)
			return err
		})
		if err := c.up.Do(ctx, listRequest(community, res, n, c.cfg.PageSize), decode); err != nil {
			return upstream.Page{}, err
		}
		return page, nil
	}
	if err := upstream.Paginate(ctx, FirstPage, c.cfg.PageSize, fetch, fn); err != nil {
		return fmt.Errorf("list %s of community %s: %w", res, community, err)
	}
	return nil
}

// listRequest is the request for page n of one community's list res, size records per page.
func listRequest(community string, res Resource, n, size int) upstream.Request {
	q := url.Values{}
	q.Set(ParamPage, strconv.Itoa(n))
	q.Set(ParamPerPage, strconv.Itoa(size))
	return upstream.Request{Method: http.MethodGet, Path: listPath(community, res), Query: q, Op: listOp(res)}
}

// object keeps a 2xx body that is one JSON object, exactly as received. Anything else (a body
// cut short included) is a decode error inside the retry loop, so a read is retried.
func object(dst *json.RawMessage) upstream.DecodeFunc {
	return func(raw []byte) error {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
			return fmt.Errorf("expected one JSON object, got %.40q", raw)
		}
		*dst = bytes.Clone(raw)
		return nil
	}
}

// CustomerScore is one score to set on a client of the configured company. Email and Phone
// identify the client; Funnel matches on either, so at least one is required, as are Name and
// SubmittedAt. Value and Maximum are sent as JSON integers, the documented type.
type CustomerScore struct {
	Name        string
	Value       int
	Maximum     int
	SubmittedAt time.Time
	Email       string
	Phone       string
}

type customerScoreBody struct {
	ScoreName    string `json:"score_name"`
	ScoreValue   int    `json:"score_value"`
	MaximumScore int    `json:"maximum_score"`
	SubmittedAt  string `json:"submitted_at"`
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"`
}

// CustomerScoreResult is Funnel's answer: the matched client and the score as stored.
type CustomerScoreResult struct {
	ClientID    flex.ID     `json:"id"`
	Name        flex.String `json:"customer_score_name"`
	Value       flex.Int    `json:"customer_score_value"`
	Maximum     flex.Int    `json:"customer_score_maximum"`
	SubmittedAt flex.Time   `json:"customer_score_submitted_at"`
}

// PostCustomerScore sets a customer score on the client matching s.Email or s.Phone. No client
// matching gives an error for which IsRenterNotFound is true.
//
// It succeeds only on a 2xx whose answer is the documented echo of the score as sent (see
// checkScoreAnswer); any other 2xx answer fails it with an upstream.Error of KindUnverified,
// since it does not prove the score was set.
//
// The call creates state upstream and has no idempotency key, so the upstream layer retries it
// only when Funnel certainly did not process it (429, or a connection that failed before the
// request was sent); a caller that sees any other failure must not blindly repeat it.
func (c *Client) PostCustomerScore(ctx context.Context, s CustomerScore) (CustomerScoreResult, error) {
	if c.cfg.CompanyID <= 0 {
		return CustomerScoreResult{}, errors.New("post customer score: no Funnel company id configured")
	}
	// What Funnel requires of the body [documented fields; see funnelfake for the validation],
	// checked here so that a write that cannot succeed is never sent.
	if strings.TrimSpace(s.Name) == "" {
		return CustomerScoreResult{}, errors.New("post customer score: the score name is empty")
	}
	if s.SubmittedAt.IsZero() {
		return CustomerScoreResult{}, fmt.Errorf("post customer score %q: submitted_at is required", s.Name)
	}
	if strings.TrimSpace(s.Email) == "" && strings.TrimSpace(s.Phone) == "" {
		return CustomerScoreResult{}, errors.New("post customer score: an e-mail or a phone is required to match the client")
	}
	body := customerScoreBody{
		ScoreName: s.Name, ScoreValue: s.Value, MaximumScore: s.Maximum,
		SubmittedAt: s.SubmittedAt.UTC().Format(ScoreTimeLayout),
		Email:       s.Email, Phone: s.Phone,
	}
	var out CustomerScoreResult
	verify := upstream.VerifyFunc(func(a upstream.Answer) (err error) {
		out, err = checkScoreAnswer(a.Body, body)
		return err
	})
	err := c.up.Do(ctx, upstream.Request{Method: http.MethodPost, Path: customerScorePath(c.cfg.CompanyID),
		Body: body, Op: opCustomerScore}, verify)
	if err != nil {
		return CustomerScoreResult{}, fmt.Errorf("post customer score %q: %w", s.Name, err)
	}
	return out, nil
}

// RenewalCard is the renewal card shown in the resident app. Every field is optional; nil (or "")
// fields are left out of the request, so Funnel keeps their current values [chosen reading of
// "body of optional fields"].
type RenewalCard struct {
	CardStatus        *bool   `json:"renewal_card_status,omitempty"`
	Header            *string `json:"renewal_header,omitempty"`
	Subheader         *string `json:"renewal_subheader,omitempty"`
	Body              *string `json:"renewal_body,omitempty"`
	AlertStatus       *bool   `json:"renewal_alert_status,omitempty"`
	AlertBody         *string `json:"renewal_alert_body,omitempty"`
	AlertType         string  `json:"renewal_alert_type,omitempty"` // AlertWarning or AlertInfo
	AllowClickthrough *bool   `json:"renewal_allow_clickthrough,omitempty"`
	Icon              string  `json:"renewal_icon,omitempty"` // "RENEWAL", "AUTOPAY", …
}

// SetRenewalStatus sets the renewal card of the active lease of renter and unit in a community
// and returns Funnel's renewal_status_id. No such lease gives an error for which
// IsLeaseNotFound is true. It succeeds only on a 2xx answered with the documented
// {"renewal_status_id": n} (see checkRenewalAnswer); any other 2xx answer fails it with an
// upstream.Error of KindUnverified. The call is a PUT of the card's state, so it is safe to
// repeat and the upstream layer retries it on transient failures (not on an unverified answer).
func (c *Client) SetRenewalStatus(ctx context.Context, community string, renterID, unitID int64, card RenewalCard) (int64, error) {
	var id int64
	verify := upstream.VerifyFunc(func(a upstream.Answer) (err error) {
		id, err = checkRenewalAnswer(a.Body)
		return err
	})
	err := c.up.Do(ctx, upstream.Request{Method: http.MethodPut, Path: renewalStatusPath(community, renterID, unitID),
		Body: card, Op: opRenewalStatus}, verify)
	if err != nil {
		return 0, fmt.Errorf("set renewal status of renter %d unit %d in community %s: %w", renterID, unitID, community, err)
	}
	return id, nil
}

// IsCommunityNotFound reports whether err is Funnel's CommunityNotFound.
func IsCommunityNotFound(err error) bool { return upstream.IsCode(err, CodeCommunityNotFound) }

// IsProspectNotFound reports whether err is Funnel's ProspectNotFound.
func IsProspectNotFound(err error) bool { return upstream.IsCode(err, CodeProspectNotFound) }

// IsRenterNotFound reports whether err is Funnel's RenterNotFound (customer score: no client
// matched by e-mail or phone).
func IsRenterNotFound(err error) bool { return upstream.IsCode(err, CodeRenterNotFound) }

// IsLeaseNotFound reports whether err is Funnel's LeaseNotFound (renewal status: no active lease
// for that renter and unit).
func IsLeaseNotFound(err error) bool { return upstream.IsCode(err, CodeLeaseNotFound) }

// parseError reads the Partner API's {"error_type": "...", "message": "..."} body. It also
// accepts the other shapes funnel.md records (an "errors" object of field messages, "error" text,
// a {code, message} envelope) and tolerates bodies that are not JSON at all.
func parseError(body []byte) (code, message string) {
	var e struct {
		ErrorType flex.String     `json:"error_type"`
		Code      flex.String     `json:"code"`
		Message   json.RawMessage `json:"message"`
		Error     json.RawMessage `json:"error"`
		Errors    json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	code = strings.TrimSpace(e.ErrorType.V)
	if code == "" {
		code = strings.TrimSpace(e.Code.V)
	}
	message = text(e.Message)
	if message == "" {
		message = text(e.Error)
	}
	if errs := bytes.TrimSpace(e.Errors); len(errs) > 0 && !bytes.Equal(errs, []byte("null")) {
		var b bytes.Buffer
		if json.Compact(&b, errs) == nil {
			errs = b.Bytes()
		}
		if message != "" {
			message += " "
		}
		message += string(errs)
	}
	return code, message
}

// text reads a JSON string, or keeps any other JSON value as its text.
func text(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	return string(raw)
}
