// Package rentenginefake is a stateful, in-memory fake of the RentEngine Public API served over
// real HTTP, for tests, the demo and benchmarks. It follows ../shared/reference/CONTRACT.md and
// rentengine.md: bearer auth, limit/page_number paging with bare JSON array pages, numbers as
// strings, address as an object or an integer, AJV-style 400s, and POST /leasing_events
// ("Assign to User", optionally in bulk by phone number).
//
// Records are kept as their encoded JSON, so what a client receives is byte for byte what the
// fake stores, and a million rows stay compact. Tests change the upstream state with the
// mutation helpers (Insert, Update, Delete, AddEvent) and inspect it with Get, Records, Raw, All,
// IDs and Count; every request is recorded; faults and a server-side rate limit can be switched on
// through Options or Faults().
//
// Any endpoint can be switched off and any field of the served records can change its JSON type
// at run time, through the embedded fakeapi.Switchboard: fake.Disable(EndpointLeasingEvents),
// fake.SetFieldType("units", "bedrooms", fakeapi.FieldObject), fake.Reset(). Endpoint names are
// the Endpoint* constants; resource names are the Resource values ("units", "prospects",
// "leasing_events"), and a leasing_events change applies to the events a POST answers too.
//
// Where the public docs are silent the fake makes one choice and says so in a comment starting
// "Chosen:" so that each is easy to find and change.
package rentenginefake

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

// BasePath is where the API lives on the server, as on the real host.
const BasePath = "/api/public/v1"

// Options configures a Server.
type Options struct {
	// Token is the bearer token the fake accepts (required).
	Token string
	// Now is the clock for record timestamps (default time.Now). Values are used in UTC.
	Now func() time.Time
	// Faults enables random fault injection (nil: none; scripted faults via Faults() still work).
	Faults *fakeapi.FaultPlan
	// RateLimit enables the server-side per-token rate limit (nil: unlimited).
	RateLimit *fakeapi.RateLimit
	// Addr is a fixed listen address such as "127.0.0.1:8081" for standalone use (default: a free
	// loopback port).
	Addr string
}

// Server is the fake. All methods are safe for concurrent use.
type Server struct {
	// Host serves the API and provides Start, URL, Close, Handler, Requests, ResetRequests,
	// Recorder, Faults and RateLimiter.
	*fakeapi.Host

	token  string
	now    func() time.Time
	userID string

	// mu guards the tables. One lock for all three keeps cross-table operations (POST, AddEvent,
	// drift) atomic; pages are assembled under the read lock.
	mu     sync.RWMutex
	tables map[Resource]*table

	// cacheMu guards cache, the id lists of filtered queries, so that paging through a filtered
	// list costs one scan rather than one per page.
	cacheMu sync.Mutex
	cache   map[string]filtered
}

// New returns a started Server. It panics if the listener cannot be bound, as httptest.NewServer
// does; use NewUnstarted and Start to handle that error.
func New(opts Options) *Server {
	s := NewUnstarted(opts)
	if err := s.Start(); err != nil {
		panic(fmt.Sprintf("rentenginefake: %v", err))
	}
	return s
}

// NewUnstarted returns a Server that does not listen yet, so that it can be seeded before any
// client can see it (a client polling the port then never sees partial data).
func NewUnstarted(opts Options) *Server {
	if opts.Token == "" {
		panic("rentenginefake: Options.Token is required")
	}
	s := &Server{
		token:  opts.Token,
		now:    opts.Now,
		userID: userIDForToken(opts.Token),
		tables: map[Resource]*table{},
		cache:  map[string]filtered{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, r := range Resources() {
		s.tables[r] = newTable()
	}
	resources := make([]string, 0, len(Resources()))
	for _, r := range Resources() {
		resources = append(resources, string(r))
	}
	s.Host = fakeapi.NewHost(fakeapi.HostConfig{Name: "rentenginefake", Addr: opts.Addr, Faults: opts.Faults,
		Drift: s.drift, RateLimit: opts.RateLimit, Endpoints: Endpoints(), Resources: resources}, http.HandlerFunc(s.route))
	return s
}

// BaseURL returns the API base URL, the value for a tenant's rentengine.base_url ("" before Start).
func (s *Server) BaseURL() string {
	if u := s.URL(); u != "" {
		return u + BasePath
	}
	return ""
}

// UserID is the RentEngine user id of the token's owner: created_by of events created through
// the API or AddEvent. It is derived from the token, so it is stable across runs.
func (s *Server) UserID() string { return s.userID }

func (s *Server) authorized(r *http.Request) bool {
	want := "Bearer " + s.token
	got := r.Header.Get("Authorization")
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// userIDForToken derives a UUID (version 4 layout) from the token.
func userIDForToken(token string) string {
	h := sha256.Sum256([]byte("rentenginefake user:" + token))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
