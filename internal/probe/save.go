package probe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

// saver writes each response of a probe to a directory, masked (see mask.go), as test fixtures,
// and a manifest.json that says which call and page each file answers. No request header is
// ever written (they carry the credentials), and of the response headers only those that
// describe the answer's shape and limits (see savedHeader).
type saver struct {
	dir      string
	m        *masker
	names    map[string]bool
	manifest []ManifestEntry
}

// ManifestEntry describes one saved response.
type ManifestEntry struct {
	// File is the masked body's file name, "" when no body was saved (an error, or a body that
	// is not JSON).
	File      string `json:"file,omitempty"`
	API       string `json:"api"`
	Call      string `json:"call"`
	Community string `json:"community,omitempty"`
	// Page and Size are the page asked for and the limit / per_page sent (absent for a
	// community's details).
	Page *int `json:"page,omitempty"`
	Size int  `json:"size,omitempty"`
	// Request is the path and query requested, relative to the upstream's origin.
	Request   string            `json:"request,omitempty"`
	Status    int               `json:"status"`
	LatencyMS float64           `json:"latency_ms"`
	Attempts  int               `json:"attempts"`
	Headers   map[string]string `json:"headers,omitempty"`
	Error     string            `json:"error,omitempty"`
}

// ManifestFile is the name of the manifest in the save directory.
const ManifestFile = "manifest.json"

func newSaver(dir string) (*saver, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("save directory: %w", err)
	}
	return &saver{dir: dir, m: newMasker(), names: map[string]bool{}}, nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// name returns a file name for base that no earlier file of this run has.
func (s *saver) name(base string) string {
	base = strings.Trim(unsafeName.ReplaceAllString(base, "_"), "_.")
	name := base + ".json"
	for i := 2; s.names[name]; i++ {
		name = fmt.Sprintf("%s-%d.json", base, i)
	}
	s.names[name] = true
	return name
}

// save writes one response: body masked into a file named after base (when the call answered a
// JSON body), and its entry in the manifest. It returns the file name, "" when none was written.
func (s *saver) save(base string, e ManifestEntry, body []byte, ex upstream.Exchange, callErr error) (string, error) {
	e.Status, e.LatencyMS, e.Attempts = ex.Status, ms(ex.Latency), ex.Attempts
	e.Request = requestOf(ex.URL)
	e.Headers = savedHeaders(ex.Header)
	if callErr != nil {
		e.Error = s.m.maskText(callErr.Error())
	}
	if callErr == nil {
		masked, err := s.m.maskJSON(body)
		if err != nil {
			e.Error = "the body is not JSON; not saved"
		} else {
			e.File = s.name(base)
			if err := os.WriteFile(filepath.Join(s.dir, e.File), masked, 0o600); err != nil {
				return "", fmt.Errorf("save %s: %w", e.File, err)
			}
		}
	}
	s.manifest = append(s.manifest, e)
	return e.File, nil
}

// finish writes the manifest.
func (s *saver) finish() error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s.manifest); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.dir, ManifestFile), b.Bytes(), 0o600)
}

// requestOf is a URL's path and query.
func requestOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return ""
	}
	return u.RequestURI()
}

// savedHeader reports whether a response header is kept in the manifest: those that say what the
// answer is and how the upstream limits and pages it. Everything else (cookies above all) is
// left out.
func savedHeader(name string) bool {
	n := strings.ToLower(name)
	return n == "content-type" || n == "link" || rateLimitHeader(name) ||
		strings.HasPrefix(n, "x-total") || strings.HasPrefix(n, "x-page") || strings.HasPrefix(n, "x-per-page")
}

// rateLimitHeader reports whether a header is one of the rate-limit headers a probe reports:
// Retry-After, X-RateLimit-*, RateLimit-* (and RateLimit itself).
func rateLimitHeader(name string) bool {
	n := strings.ToLower(name)
	return n == "retry-after" || n == "ratelimit" || strings.HasPrefix(n, "ratelimit-") ||
		strings.HasPrefix(n, "x-ratelimit-")
}

func savedHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		if savedHeader(k) {
			out[k] = strings.Join(v, ", ")
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
