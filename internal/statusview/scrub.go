package statusview

import (
	"net/url"
	"strings"

	"github.com/syncd-dev/syncd/internal/tenants"
)

// Scrubber replaces every resolved secret of a config in a text with "[redacted]". Errors
// recorded in sync_runs and push_ledger come from code that keeps credentials out of them; this
// is the second line: whatever slipped through is not shown.
type Scrubber struct{ secrets []string }

// minSecret is the shortest secret scrubbed: shorter values would redact ordinary words.
const minSecret = 4

// NewScrubber collects cfg's resolved secrets: upstream tokens and keys, webhook keys, the status
// page's credentials and the database password.
func NewScrubber(cfg *tenants.Config) Scrubber {
	var s Scrubber
	add := func(v string) {
		if len(v) >= minSecret {
			s.secrets = append(s.secrets, v)
		}
	}
	if cfg == nil {
		return s
	}
	if u, err := url.Parse(cfg.Database.DSN.Reveal()); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			add(p)
			add(url.QueryEscape(p))
		}
	}
	if a := cfg.StatusPage.Auth; a != nil {
		add(a.BearerToken.Reveal())
		if a.Basic != nil {
			add(a.Basic.Password.Reveal())
		}
	}
	for i := range cfg.Tenants {
		t := &cfg.Tenants[i]
		if re := t.RentEngine; re != nil {
			add(re.Token.Reveal())
			if re.Webhook != nil {
				add(re.Webhook.APIKey.Reveal())
			}
		}
		if f := t.Funnel; f != nil {
			add(f.APIKey.Reveal())
		}
	}
	return s
}

// Scrub returns text with every secret replaced.
func (s Scrubber) Scrub(text string) string {
	for _, v := range s.secrets {
		text = strings.ReplaceAll(text, v, "[redacted]")
	}
	return text
}
