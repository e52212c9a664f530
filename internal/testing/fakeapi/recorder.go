package fakeapi

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"time"
)

// maxRecordedBody caps how much of a request body is kept (and replayed to the handler), so a
// runaway client cannot exhaust memory. The fakes' real bodies are a few hundred bytes.
const maxRecordedBody = 1 << 20

// Request is one request as the fake received it, with the status it answered.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	// Status is the status code sent, or 0 when no response was written (connection reset by a
	// fault, or the client went away during a slow response).
	Status int
	// At is when the request arrived.
	At time.Time
}

// Recorder records every request passing through its Middleware. The zero value is ready to use
// and it is safe for concurrent use.
type Recorder struct {
	mu   sync.Mutex
	reqs []*Request
}

// Middleware records each request as it arrives, in order of arrival, and its status as the
// status is written: before any byte of the response leaves, so that a client which has read a
// response always finds its request recorded with that status. (Recording after the handler
// returned raced with the client: a body larger than the server's write buffer reaches the client
// before the handler returns.)
func (rec *Recorder) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entry := &Request{
			Method:   r.Method,
			Path:     r.URL.Path,
			RawQuery: r.URL.RawQuery,
			Header:   r.Header.Clone(),
			At:       time.Now(),
		}
		if r.Body != nil && r.Body != http.NoBody {
			body, _ := io.ReadAll(io.LimitReader(r.Body, maxRecordedBody))
			_ = r.Body.Close()
			entry.Body = body
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, entry)
		rec.mu.Unlock()
		next.ServeHTTP(&statusWriter{ResponseWriter: w, rec: rec, entry: entry}, r)
	})
}

// Requests returns a copy of the recorded requests. Header and Body are shared with the
// recorder and must not be modified.
func (rec *Recorder) Requests() []Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := make([]Request, len(rec.reqs))
	for i, r := range rec.reqs {
		out[i] = *r
	}
	return out
}

// Reset forgets all recorded requests.
func (rec *Recorder) Reset() {
	rec.mu.Lock()
	rec.reqs = nil
	rec.mu.Unlock()
}

// Filter returns the recorded requests with the given method and exact path (for example
// "GET", "/api/public/v1/units"). An empty method matches any method.
func (rec *Recorder) Filter(method, path string) []Request {
	return FilterRequests(rec.Requests(), method, path)
}

// FilterRequests selects the requests with the given method (any if empty) and exact path.
func FilterRequests(reqs []Request, method, path string) []Request {
	var out []Request
	for _, r := range reqs {
		if (method == "" || r.Method == method) && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// statusWriter records the status in the recorder's entry before passing it on. It implements
// Unwrap so that http.ResponseController can still reach Hijack and Flush on the underlying
// writer.
type statusWriter struct {
	http.ResponseWriter
	rec   *Recorder
	entry *Request
	wrote bool
}

func (w *statusWriter) record(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	w.rec.mu.Lock()
	w.entry.Status = code
	w.rec.mu.Unlock()
}

func (w *statusWriter) WriteHeader(code int) {
	w.record(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.record(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
