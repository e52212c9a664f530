// Package funnelfluxfake is a stateful, in-memory fake of the FunnelFlux Pro API served over real
// HTTP, for tests, the demo and benchmarks. It follows ../shared/reference/funnelflux.md and the
// choices of internal/clients/funnelflux/contract.go, which the reference leaves open (each is
// marked "Chosen:" here too):
//
//   - Bearer access tokens that expire after Options.TokenLifetime (72 h by default); an expired
//     or unknown token is refused with 401 (or Options.ExpiredStatus, since FunnelFlux may answer
//     400), except by POST /auth/validate, which accepts an expired token and, given the valid
//     refresh token in its body, returns a new one. The refresh token can be revoked.
//   - The asset lists (funnels, funnel groups, traffic sources) as bare arrays with string ids,
//     RFC3339 times, and `idCampaign` as the legacy alias of the funnel group (a funnel seeded as
//     legacy carries only idCampaign).
//   - The drilldown report computed from seeded hits, conversions and costs, grouped by any of
//     Date, Funnel, Traffic Source, Hit ID and Conversion TxID, in the request's time zone, paged
//     with paging.start/length and rowsTotal; money as strings.
//   - Conversion updates queued and applied Options.ConversionDelay after they arrive (on the
//     fake's clock, checked on every request and test call: no goroutine), then visible in the
//     report, attributed to the time they were applied.
//   - 429 with Retry-After per token through fakeapi's rate limiter and scripted faults.
//
// It is at least as strict as the reference: exact paths (the conversion path's trailing slash),
// the documented methods, and request bodies without unknown fields, so that a client passing
// here passes upstream. Tests seed it (AddFunnelGroup, AddFunnel, AddTrafficSource, AddHit,
// AddConversion, SetDayCost), change its auth state (RevokeRefreshToken, ExpireAccessTokens),
// and count calls (Calls, Validations, Refreshes).
package funnelfluxfake

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

// BasePath is where the API lives on the server, as on the real host [V: basePath /v1].
const BasePath = "/v1"

// DefaultTokenLifetime is an access token's life [V: 72 hours].
const DefaultTokenLifetime = 72 * time.Hour

// Options configures a Server.
type Options struct {
	// AccessToken is the first access token (required), valid for TokenLifetime from New.
	AccessToken string
	// RefreshToken is the one refresh token the fake accepts (required).
	RefreshToken string
	// TokenLifetime is how long an access token lives (0 = DefaultTokenLifetime).
	TokenLifetime time.Duration
	// ExpiredStatus answers an expired access token (0 = 401; FunnelFlux may answer 400 [V]).
	ExpiredStatus int
	// ConversionDelay is how long a queued conversion update waits before it is applied (0 = it
	// is applied by the next request or test call).
	ConversionDelay time.Duration
	// NumbersAsStrings serves every report metric as a string; money is always a string.
	NumbersAsStrings bool
	// Now is the fake's clock for tokens, conversions and record times (nil = time.Now).
	Now func() time.Time
	// Faults enables random fault injection (nil: none; scripted faults via Faults() still work).
	Faults *fakeapi.FaultPlan
	// RateLimit enables the server-side per-token rate limit (nil: unlimited).
	RateLimit *fakeapi.RateLimit
	// Addr is a fixed listen address for standalone use (default: a free loopback port).
	Addr string
}

// Server is the fake. All methods are safe for concurrent use.
type Server struct {
	// Host serves the API and provides Start, URL, Close, Handler, Requests, ResetRequests,
	// Recorder, Faults and RateLimiter, and the Switchboard.
	*fakeapi.Host

	lifetime      time.Duration
	expiredStatus int
	delay         time.Duration
	numStrings    bool
	now           func() time.Time

	mu        sync.Mutex
	refresh   string
	revoked   bool
	tokens    map[string]time.Time // access token -> expiry
	issued    int
	refreshes int
	calls     map[string]int // by endpoint name

	groups    *assetList
	funnels   *assetList
	sources   *assetList
	hits      map[string]*Hit
	hitOrder  []string
	convs     map[convKey]*Conversion
	costs     []costSegment
	costDirty bool
	queued    []queuedUpdate
	dropped   int
	updatesIn int
}

// New returns a started Server. It panics if the listener cannot be bound, as httptest.NewServer
// does; use NewUnstarted and Start to handle that error.
func New(opts Options) *Server {
	s := NewUnstarted(opts)
	if err := s.Start(); err != nil {
		panic(fmt.Sprintf("funnelfluxfake: %v", err))
	}
	return s
}

// NewUnstarted returns a Server that does not listen yet, so that it can be seeded first.
func NewUnstarted(opts Options) *Server {
	if opts.AccessToken == "" || opts.RefreshToken == "" {
		panic("funnelfluxfake: Options.AccessToken and Options.RefreshToken are required")
	}
	s := &Server{
		lifetime:      opts.TokenLifetime,
		expiredStatus: opts.ExpiredStatus,
		delay:         opts.ConversionDelay,
		numStrings:    opts.NumbersAsStrings,
		now:           opts.Now,
		refresh:       opts.RefreshToken,
		tokens:        map[string]time.Time{},
		calls:         map[string]int{},
		groups:        newAssetList(),
		funnels:       newAssetList(),
		sources:       newAssetList(),
		hits:          map[string]*Hit{},
		convs:         map[convKey]*Conversion{},
	}
	if s.lifetime <= 0 {
		s.lifetime = DefaultTokenLifetime
	}
	if s.expiredStatus == 0 {
		s.expiredStatus = http.StatusUnauthorized
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.tokens[opts.AccessToken] = s.now().Add(s.lifetime)
	s.Host = fakeapi.NewHost(fakeapi.HostConfig{Name: "funnelfluxfake", Addr: opts.Addr, Faults: opts.Faults,
		RateLimit: opts.RateLimit, Endpoints: Endpoints(), Resources: Resources()}, http.HandlerFunc(s.route))
	return s
}

// BaseURL returns the API base URL, the value for a tenant's funnelflux.base_url ("" before Start).
func (s *Server) BaseURL() string {
	if u := s.URL(); u != "" {
		return u + BasePath
	}
	return ""
}

// The endpoints, as the Switchboard and Calls name them.
const (
	EndpointValidate       = "POST /auth/validate"
	EndpointFunnels        = "GET /funnel/list"
	EndpointFunnelGroups   = "GET /funnelgroup/list"
	EndpointTrafficSources = "GET /trafficsource/list"
	EndpointAttributes     = "GET /reporting/attributes"
	EndpointDrilldown      = "POST /reporting/drilldown"
	EndpointConversions    = "PUT /reporting/update/conversions/"
)

// Endpoints lists every endpoint the fake serves.
func Endpoints() []string {
	return []string{EndpointValidate, EndpointFunnels, EndpointFunnelGroups, EndpointTrafficSources,
		EndpointAttributes, EndpointDrilldown, EndpointConversions}
}

// The record kinds, for the Switchboard's field switches (SetFieldType, MutateField).
const (
	ResourceFunnels        = "funnels"
	ResourceFunnelGroups   = "funnel_groups"
	ResourceTrafficSources = "traffic_sources"
)

// Resources lists the record kinds.
func Resources() []string {
	return []string{ResourceFunnels, ResourceFunnelGroups, ResourceTrafficSources}
}

// Calls returns how many requests reached endpoint (after the rate limit and faults, whatever
// the fake answered).
func (s *Server) Calls(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[endpoint]
}

// Validations counts POST /auth/validate calls.
func (s *Server) Validations() int { return s.Calls(EndpointValidate) }

// Refreshes counts the access tokens issued by /auth/validate.
func (s *Server) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}

// RevokeRefreshToken makes the refresh token invalid, as the auth provider's policy or support
// does [V]: the next refresh fails, and a person must re-authorise.
func (s *Server) RevokeRefreshToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = true
}

// SetRefreshToken replaces the refresh token (un-revoking), as re-authorising in the UI does.
func (s *Server) SetRefreshToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh, s.revoked = tok, false
}

// ExpireAccessTokens expires every access token issued so far, now.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for t, exp := range s.tokens {
		if exp.After(now) {
			s.tokens[t] = now
		}
	}
}

// ValidToken returns a currently valid access token ("" when none is).
func (s *Server) ValidToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	best, bestExp := "", time.Time{}
	for t, exp := range s.tokens {
		if exp.After(now) && exp.After(bestExp) {
			best, bestExp = t, exp
		}
	}
	return best
}

// tokenState is what the fake knows of a presented access token.
type tokenState int

const (
	tokenUnknown tokenState = iota
	tokenExpired
	tokenValid
)

// checkToken reads the Bearer token of r. The caller holds mu.
func (s *Server) checkTokenLocked(r *http.Request) (string, tokenState) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return "", tokenUnknown
	}
	tok = strings.TrimSpace(tok)
	exp, known := s.tokens[tok]
	switch {
	case !known:
		return tok, tokenUnknown
	case !exp.After(s.now()):
		return tok, tokenExpired
	}
	return tok, tokenValid
}

// issueLocked makes a new access token. Chosen: "ffat_" and a hash of the refresh token and a
// counter, so that a seeded fake issues the same tokens on every run.
func (s *Server) issueLocked() (string, time.Time) {
	s.issued++
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", s.refresh, s.issued)))
	tok := "ffat_" + hex.EncodeToString(sum[:12])
	exp := s.now().Add(s.lifetime)
	s.tokens[tok] = exp
	s.refreshes++
	return tok, exp
}
