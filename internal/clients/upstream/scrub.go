package upstream

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Redacted replaces every credential found in error text.
const Redacted = "[REDACTED]"

// scrubber removes a client's credentials from text that leaves the upstream layer. Upstreams
// have been seen to echo the Authorization header in a 401 body, and error text ends up in
// sync_runs, the push ledger, `syncd status` and the logs, so every error is scrubbed once, where
// it is made, of every form a credential can take on its way back: as sent, Basic-encoded,
// URL-escaped and JSON-escaped.
type scrubber struct {
	r *strings.Replacer // nil when the client holds no credential
}

func (s scrubber) text(v string) string {
	if s.r == nil || v == "" {
		return v
	}
	return s.r.Replace(v)
}

// error returns err with its text scrubbed and its chain intact, so that errors.Is and errors.As
// still see what the network or the decoder said.
func (s scrubber) error(err error) error {
	if err == nil || s.r == nil {
		return err
	}
	msg := err.Error()
	if clean := s.r.Replace(msg); clean != msg {
		return &scrubbedError{msg: clean, err: err}
	}
	return err
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// newScrubber learns the credentials to scrub from secrets and from what authorize puts on a
// probe request, so that a client whose Authorize sets a header its Secrets do not list is
// still covered.
func newScrubber(secrets []string, authorize func(*http.Request)) scrubber {
	creds := slices.Clone(secrets)
	if authorize != nil {
		probe, err := http.NewRequest(http.MethodGet, "http://probe.invalid/", nil)
		if err == nil {
			authorize(probe)
			for name, vals := range probe.Header {
				if name == "User-Agent" {
					continue
				}
				for _, v := range vals {
					creds = append(creds, headerCredentials(v)...)
				}
			}
		}
	}
	forms := map[string]bool{}
	for _, c := range creds {
		if strings.TrimSpace(c) == "" {
			continue
		}
		for _, f := range credentialForms(c) {
			if f != "" {
				forms[f] = true
			}
		}
	}
	if len(forms) == 0 {
		return scrubber{}
	}
	// strings.Replacer tries its patterns in argument order at each position: longest first, so
	// that "Bearer x" and a padded base64 go whole rather than leaving a piece of themselves.
	list := make([]string, 0, len(forms))
	for f := range forms {
		list = append(list, f)
	}
	slices.SortFunc(list, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	pairs := make([]string, 0, 2*len(list))
	for _, f := range list {
		pairs = append(pairs, f, Redacted)
	}
	return scrubber{r: strings.NewReplacer(pairs...)}
}

// headerCredentials returns what an authorization header value gives away: the value itself, the
// credential after its scheme, and for Basic the decoded "user:password" and both halves.
func headerCredentials(v string) []string {
	out := []string{v}
	scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return out
	}
	cred = strings.TrimSpace(cred)
	out = append(out, cred)
	if strings.EqualFold(scheme, "Basic") {
		if b, err := base64.StdEncoding.DecodeString(cred); err == nil {
			pair := string(b)
			user, pass, _ := strings.Cut(pair, ":")
			out = append(out, pair, user, pass)
		}
	}
	return out
}

// credentialForms lists the forms in which c can come back: raw, base64 of c alone and as a
// Basic user with an empty password (padded or not, standard or URL alphabet), URL-escaped (query
// and path, upper- and lower-case hex), and JSON-escaped (with "/" as "\/", as some encoders do).
func credentialForms(c string) []string {
	var out []string
	add := func(s string) {
		out = append(out, s, url.QueryEscape(s), url.PathEscape(s), lowerHex(url.QueryEscape(s)), lowerHex(url.PathEscape(s)))
		for _, j := range jsonForms(s) {
			out = append(out, j, strings.ReplaceAll(j, "/", `\/`))
		}
	}
	add(c)
	for _, v := range []string{c, c + ":"} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			add(enc.EncodeToString([]byte(v)))
		}
	}
	return out
}

// jsonForms is s inside a JSON string, with and without HTML characters escaped.
func jsonForms(s string) []string {
	out := []string{s}
	for _, html := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if enc.Encode(s) == nil {
			out = append(out, strings.Trim(strings.TrimSpace(b.String()), `"`))
		}
	}
	return out
}

// lowerHex lowers the hex digits of percent escapes, as some encoders write them.
func lowerHex(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			for j := i + 1; j <= i+2; j++ {
				if b[j] >= 'A' && b[j] <= 'F' {
					b[j] += 'a' - 'A'
				}
			}
			i += 2
		}
	}
	return string(b)
}

// seal scrubs every text field of e and makes e the one form in which a failure leaves the
// client. Other errors (a cancelled context, a request that could not be built) carry no
// upstream text but are scrubbed all the same.
func (c *Client) seal(err error) error {
	if err == nil {
		return nil
	}
	scrubs := []scrubber{c.scrub}
	if c.cfg.MoreSecrets != nil {
		// Built per error, which are rare, so that a credential learned a moment ago is covered.
		scrubs = append(scrubs, newScrubber(c.cfg.MoreSecrets(), nil))
	}
	text := func(v string) string {
		for _, s := range scrubs {
			v = s.text(v)
		}
		return v
	}
	scrubErr := func(err error) error {
		for _, s := range scrubs {
			err = s.error(err)
		}
		return err
	}
	var e *Error
	if !errors.As(err, &e) || e == nil {
		return scrubErr(err)
	}
	e.Code = excerpt([]byte(text(e.Code)))
	e.Message = excerpt([]byte(text(e.Message)))
	e.Body = excerpt([]byte(text(e.Body)))
	e.Location = text(e.Location)
	e.ContentType = excerpt([]byte(text(e.ContentType)))
	e.Err = scrubErr(e.Err)
	return err
}
