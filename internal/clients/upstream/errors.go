package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind classifies an upstream failure so that callers and the retry loop decide without parsing
// strings.
type Kind int

const (
	KindUnknown     Kind = iota
	KindTransient        // network error, timeout, 5xx: worth retrying
	KindRateLimited      // 429: retry after the advertised delay
	KindAuth             // 401/403: credentials wrong or revoked; retrying will not help
	KindNotFound         // 404: the addressed thing does not exist (Code says which)
	KindInvalid          // 400/409/422: the request itself is wrong
	KindPermanent        // any other non-2xx
	KindDecode           // a 2xx whose body could not be decoded
	// KindUnverified: a 2xx answer to a write that is not the documented answer (HTML, an empty
	// body, JSON of another shape, an echo that differs from what was sent), so it does not prove
	// the write was applied. The write may or may not have landed: it is never retried here, and a
	// caller treats its outcome as unknown.
	KindUnverified
)

var kindNames = map[Kind]string{
	KindUnknown: "unknown", KindTransient: "transient", KindRateLimited: "rate_limited",
	KindAuth: "auth", KindNotFound: "not_found", KindInvalid: "invalid",
	KindPermanent: "permanent", KindDecode: "decode", KindUnverified: "unverified",
}

func (k Kind) String() string { return kindNames[k] }

// KindForStatus maps an HTTP status to a Kind.
func KindForStatus(status int) Kind {
	switch {
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return KindAuth
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusBadRequest || status == http.StatusConflict ||
		status == http.StatusUnprocessableEntity:
		return KindInvalid
	case status >= 500:
		return KindTransient
	case status >= 400:
		return KindPermanent
	}
	return KindUnknown
}

// ErrCredentialsRejected is what every 401 and 403 is (errors.Is): the upstream refused the
// tenant's credential, so every further call with it would fail too. A run that meets it stops.
var ErrCredentialsRejected = errors.New("credentials rejected")

// ErrResponseTooLarge is the Err of a response whose body is over Config.MaxBodyBytes.
var ErrResponseTooLarge = errors.New("response too large")

// Error is the one error type every client returns for a failed call. Its text fields are
// scrubbed of the client's credentials and cut to a short excerpt before it leaves the client.
type Error struct {
	API    string // "rentengine", "funnel"
	Op     string // "GET /units"
	Status int    // 0 for network errors
	Kind   Kind
	// Code is the upstream's machine-readable error type when it sends one
	// (Funnel's error_type, e.g. "RenterNotFound").
	Code    string
	Message string
	// RetryAfter is the delay the upstream asked for (429/503), zero when absent.
	RetryAfter time.Duration
	// Body is an excerpt of the response body (never request headers, which carry credentials).
	Body string
	// Location is where a redirect that was not followed pointed (query left out).
	Location string
	// ContentType is the response's Content-Type as declared, for a 2xx answer that could not be
	// decoded or verified ("" when none was declared).
	ContentType string
	// Err is the underlying network or decode error, if any.
	Err error

	// notSent marks a connection failure before the request left this process.
	notSent bool
}

func (e *Error) Error() string {
	msg := e.API + " " + e.Op + ": "
	switch {
	case e.Status == 0 && e.Err != nil:
		return msg + e.Err.Error()
	case e.Kind == KindDecode:
		return fmt.Sprintf("%sdecode %d response: %v", msg, e.Status, e.Err)
	case e.Kind == KindUnverified:
		// Quoted, so that an HTML page's line breaks keep the reason on one line.
		return fmt.Sprintf("%sunverified %d answer: %v; content type %q; body %q", msg, e.Status, e.Err, e.ContentType, e.Body)
	}
	msg += fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		msg += " " + e.Code
	}
	switch {
	case e.Message != "":
		msg += ": " + e.Message
	case e.Err != nil:
		msg += ": " + e.Err.Error()
	case e.Body != "":
		msg += ": " + e.Body
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes every auth failure ErrCredentialsRejected, so callers stop without inspecting kinds.
func (e *Error) Is(target error) bool {
	return target == ErrCredentialsRejected && e.Kind == KindAuth
}

// KindOf returns the Kind of err, KindTransient for context deadline errors from a per-attempt
// timeout, and KindUnknown when err carries no classification.
func KindOf(err error) Kind {
	var ue *Error
	if errors.As(err, &ue) {
		return ue.Kind
	}
	return KindUnknown
}

// IsCode reports whether err is an upstream error with the given machine-readable code.
func IsCode(err error, code string) bool {
	var ue *Error
	return errors.As(err, &ue) && ue.Code == code
}

// IsCanceled reports whether err comes from the caller's own context (shutdown, run timeout)
// rather than from the upstream.
func IsCanceled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// maxBodyExcerpt bounds the upstream text an error carries: enough to say what went wrong, too
// little to copy a page of tenant data into sync_runs and the logs.
const maxBodyExcerpt = 256

// excerpt cuts b to maxBodyExcerpt bytes on a rune boundary, as valid UTF-8 without NUL bytes,
// so that error text can always be stored in a text column.
func excerpt(b []byte) string {
	cut := len(b) > maxBodyExcerpt
	if cut {
		n := maxBodyExcerpt
		for n > 0 && !utf8.RuneStart(b[n]) {
			n--
		}
		b = b[:n]
	}
	s := strings.ReplaceAll(strings.ToValidUTF8(string(b), "\uFFFD"), "\x00", "\uFFFD")
	if cut {
		s += "…"
	}
	return s
}
