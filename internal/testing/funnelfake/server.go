// Package funnelfake is a stateful, in-memory fake of the Funnel Leasing Partner API served over
// real HTTP, for tests, the demo and benchmarks. It follows ../shared/reference/CONTRACT.md and
// funnel.md: the key as Basic user name (with an empty password) or Bearer token, communities
// addressable by all three id forms (1234, P1234-567, partner-id:abc), {"data": [...]} pages with
// page/per_page, typed {"error_type", "message"} errors (CommunityNotFound, ProspectNotFound,
// RenterNotFound, LeaseNotFound), POST customer-score matched by e-mail or phone, and PUT
// renewal-status.
//
// It is at least as strict as the reference, so that a client passing here passes upstream:
// trailing slashes exactly as documented (a GET without one is redirected, anything else is an
// HTML 404), no Basic password, and customer-score bodies typed as documented. See route and
// postCustomerScore.
//
// Records are kept as their encoded JSON, so what a client receives is byte for byte what the
// fake stores. Tests change the upstream state with the mutation helpers (InsertCommunity,
// Insert, Update, Delete) and inspect it with Get, Raw, All, IDs, Count, CustomerScores and
// RenewalCard; every request is recorded; faults and a server-side rate limit come from
// internal/testing/fakeapi and can be switched on through Options or Faults().
//
// Any endpoint can be switched off and any field of the served records can change its JSON type
// at run time, through the embedded fakeapi.Switchboard: fake.Disable(EndpointCommunity),
// fake.SetFieldType("prospects", "funnel_renter_id", fakeapi.FieldString), fake.Reset().
// Endpoint names are the Endpoint* constants; resource names are the Resource values plus
// ResourceCommunity, ResourceCustomerScore and ResourceRenewalStatus.
//
// Where the public docs are silent the fake makes one choice and says so in a comment starting
// "Chosen:" so that each is easy to find and change.
package funnelfake

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

// BasePath is where the Partner API lives on the server, as on the real host.
const BasePath = "/api/partners/v1"

// DefaultCompanyID is the company the fake serves when Options.CompanyID is 0.
const DefaultCompanyID = 3187

// Options configures a Server.
type Options struct {
	// APIKey is the partner key the fake accepts, as Basic user name or Bearer token (required).
	APIKey string
	// CompanyID is the one company whose clients the fake holds (0: DefaultCompanyID).
	CompanyID int64
	// Now is the clock for record timestamps (default time.Now). Values are used in UTC.
	Now func() time.Time
	// Faults enables random fault injection (nil: none; scripted faults via Faults() still work).
	Faults *fakeapi.FaultPlan
	// RateLimit enables the server-side per-key rate limit (nil: unlimited).
	RateLimit *fakeapi.RateLimit
	// Addr is a fixed listen address such as "127.0.0.1:8082" for standalone use (default: a free
	// loopback port).
	Addr string
}

// Server is the fake. All methods are safe for concurrent use.
type Server struct {
	// Host serves the API and provides Start, URL, Close, Handler, Requests, ResetRequests,
	// Recorder, Faults and RateLimiter.
	*fakeapi.Host

	key       string
	companyID int64
	now       func() time.Time

	// mu guards everything below. One lock keeps cross-community operations (customer-score
	// matching, drift) atomic; pages are assembled under the read lock.
	mu          sync.RWMutex
	communities map[int64]*community
	// maxID continues each resource's id sequence across communities: Funnel ids are global.
	maxID        map[Resource]int64
	maxCommunity int64
	scores       map[int64][]CustomerScore // by client id
	cards        map[int64]map[string]any  // renewal card fields by renewal id
	maxCardID    int64
	cardIDs      map[int64]int64 // renewal_status_id by renewal id
}

// New returns a started Server. It panics if the listener cannot be bound, as httptest.NewServer
// does; use NewUnstarted and Start to handle that error.
func New(opts Options) *Server {
	s := NewUnstarted(opts)
	if err := s.Start(); err != nil {
		panic(fmt.Sprintf("funnelfake: %v", err))
	}
	return s
}

// NewUnstarted returns a Server that does not listen yet, so that it can be seeded before any
// client can see it.
func NewUnstarted(opts Options) *Server {
	if opts.APIKey == "" {
		panic("funnelfake: Options.APIKey is required")
	}
	s := &Server{
		key:         opts.APIKey,
		companyID:   opts.CompanyID,
		now:         opts.Now,
		communities: map[int64]*community{},
		maxID:       map[Resource]int64{},
		scores:      map[int64][]CustomerScore{},
		cards:       map[int64]map[string]any{},
		cardIDs:     map[int64]int64{},
	}
	if s.companyID == 0 {
		s.companyID = DefaultCompanyID
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.Host = fakeapi.NewHost(fakeapi.HostConfig{Name: "funnelfake", Addr: opts.Addr, Faults: opts.Faults,
		Drift: s.drift, RateLimit: opts.RateLimit, Endpoints: Endpoints(), Resources: switchResources()},
		http.HandlerFunc(s.route))
	return s
}

// BaseURL returns the API base URL, the value for a tenant's funnel.base_url ("" before Start).
func (s *Server) BaseURL() string {
	if u := s.URL(); u != "" {
		return u + BasePath
	}
	return ""
}

// CompanyID is the company whose clients the fake holds.
func (s *Server) CompanyID() int64 { return s.companyID }

// authorized accepts the key as the Basic user name with an empty password, or as a Bearer token
// [documented]. A Basic password that is not empty is rejected: the docs describe the password as
// empty, and a client that sends anything else (say, the key a second time) depends on a lenient
// server. Chosen: the 401 does not say which part was wrong, as the documented message does not.
func (s *Server) authorized(r *http.Request) bool {
	got := ""
	if user, pass, ok := r.BasicAuth(); ok {
		if pass != "" {
			return false
		}
		got = user
	} else if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		got = strings.TrimSpace(tok)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.key)) == 1
}
