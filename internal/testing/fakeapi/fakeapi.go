// Package fakeapi holds the building blocks shared by the in-memory fakes of the upstream APIs
// (rentenginefake, funnelfake): request recording, seeded fault injection, server-side rate
// limiting, a Switchboard that switches endpoints off and changes field types at run time, a JSON
// writer and a small test-server helper.
//
// Nothing here knows a concrete API. A fake composes the middlewares around its own router,
// outermost first: Recorder, RateLimiter, FaultInjector, then its handler, so that every request
// a client sends is recorded, limited requests never reach fault injection, and faults are
// injected in front of the fake's own logic. Host does that composition, and serves the
// Switchboard's admin endpoint (AdminPath) beside it; the fake's router consults the Switchboard,
// since only the fake knows which endpoint a request addresses and how its API says "no such
// route".
//
// The middlewares read the wall clock (time.Now) so that tests using testing/synctest get a fake
// clock for free; the concrete fakes inject their own clock for record timestamps.
package fakeapi

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
)

// WriteJSON writes v as a JSON response with the given status. The fakes use it for success
// bodies and for their API-specific error bodies alike, since each upstream has its own error
// schema ({"error","details"} for RentEngine, {"error_type","message"} for Funnel).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a programming error in a fake gets here; answer in a way a test will notice.
		http.Error(w, "fakeapi: encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	WriteRawJSON(w, status, b)
}

// WriteRawJSON writes already-encoded JSON with the given status and an exact Content-Length.
func WriteRawJSON(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client may have gone; nothing useful to do about it
}

// Server is an httptest.Server whose in-flight requests are cancelled by Close, so that a
// deliberately slow response cannot hold Close (which waits for active requests) hostage.
type Server struct {
	*httptest.Server
	cancel context.CancelFunc
}

// Start serves h on addr ("" picks a free loopback port, as httptest does) and returns once the
// listener is bound. A fixed addr is for running a fake as its own process.
func Start(h http.Handler, addr string) (*Server, error) {
	ts := httptest.NewUnstartedServer(h)
	if addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			ts.Close()
			return nil, err
		}
		_ = ts.Listener.Close()
		ts.Listener = ln
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts.Config.BaseContext = func(net.Listener) context.Context { return ctx }
	ts.Start()
	return &Server{Server: ts, cancel: cancel}, nil
}

// Close cancels every in-flight request, then closes the server and waits for handlers to return.
// It is safe to call more than once.
func (s *Server) Close() {
	s.cancel()
	s.Server.Close()
}
