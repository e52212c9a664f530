package fakeapi

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// HostConfig configures a Host.
type HostConfig struct {
	// Name prefixes errors ("rentenginefake").
	Name string
	// Addr is a fixed listen address for standalone use ("" = a free loopback port).
	Addr string
	// Faults enables random fault injection (nil: none; scripted faults via Faults() still work).
	Faults *FaultPlan
	// Drift is the fake's page-drift hook for FaultPageDrift (nil: drift faults do nothing).
	Drift DriftFunc
	// RateLimit enables the server-side rate limit (nil: unlimited).
	RateLimit *RateLimit
	// Endpoints names every endpoint the fake serves ("GET /units"), and Resources every kind of
	// record it serves, for its Switchboard.
	Endpoints []string
	Resources []string
}

// Host serves one fake API over HTTP with the layers every fake shares, outermost first:
// request recording, the server-side rate limit, fault injection, then the API itself. A fake
// embeds it for Start, URL, Close, the inspection methods and, through the embedded Switchboard,
// the run-time switches (Disable, Enable, SetFieldType, MutateField, Reset, ...), which the fake's
// router consults. AdminPath serves the switchboard over HTTP beside the API.
type Host struct {
	*Switchboard

	name     string
	addr     string
	recorder *Recorder
	faults   *FaultInjector
	limiter  *RateLimiter
	handler  http.Handler

	mu  sync.Mutex
	srv *Server
}

// NewHost wraps api in the shared layers. It does not listen until Start.
func NewHost(cfg HostConfig, api http.Handler) *Host {
	h := &Host{
		Switchboard: NewSwitchboard(cfg.Name, cfg.Endpoints, cfg.Resources),
		name:        cfg.Name,
		addr:        cfg.Addr,
		recorder:    &Recorder{},
	}
	var plan FaultPlan
	if cfg.Faults != nil {
		plan = *cfg.Faults
	}
	h.faults = NewFaultInjector(plan, cfg.Drift)
	handler := h.faults.Middleware(api)
	if cfg.RateLimit != nil {
		h.limiter = NewRateLimiter(*cfg.RateLimit)
		handler = h.limiter.Middleware(handler)
	}
	handler = h.recorder.Middleware(handler)
	admin := h.AdminHandler()
	// Not a ServeMux: it would clean and redirect paths, which is the API's business.
	h.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == AdminPath {
			admin.ServeHTTP(w, r)
			return
		}
		handler.ServeHTTP(w, r)
	})
	return h
}

// Start starts listening on the configured address (or a free loopback port).
func (h *Host) Start() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv != nil {
		return errors.New(h.name + ": already started")
	}
	srv, err := Start(h.handler, h.addr)
	if err != nil {
		return fmt.Errorf("%s: listen: %w", h.name, err)
	}
	h.srv = srv
	return nil
}

// URL returns the server's root URL ("" before Start).
func (h *Host) URL() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv == nil {
		return ""
	}
	return h.srv.URL
}

// Close stops the server, cancelling in-flight requests. The fake's data stays readable.
func (h *Host) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv != nil {
		h.srv.Close()
	}
	h.faults.Close()
}

// Handler returns the complete handler (admin endpoint, recording, rate limit, faults, API) for
// serving the fake from another server.
func (h *Host) Handler() http.Handler { return h.handler }

// Requests returns the requests received so far.
func (h *Host) Requests() []Request { return h.recorder.Requests() }

// ResetRequests forgets the recorded requests.
func (h *Host) ResetRequests() { h.recorder.Reset() }

// Recorder returns the request recorder, for Filter.
func (h *Host) Recorder() *Recorder { return h.recorder }

// Faults returns the fault injector, to Script faults and read Injected counts.
func (h *Host) Faults() *FaultInjector { return h.faults }

// RateLimiter returns the server-side rate limiter, or nil when none was configured.
func (h *Host) RateLimiter() *RateLimiter { return h.limiter }
