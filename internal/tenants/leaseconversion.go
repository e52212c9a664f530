package tenants

import (
	"cmp"
	"maps"
	"regexp"
	"strings"

	"github.com/syncd-dev/syncd/internal/contract"
)

// LeaseConversion pushes a FunnelFlux conversion update for every RentEngine prospect that
// reaches one of Stages and carries a FunnelFlux hit id, so that FunnelFlux (and, through its
// postbacks, the ad networks) counts leases rather than clicks. Unlike the other kinds it is on
// only when its block is written: it has no default for where the hit id is.
type LeaseConversion struct {
	Enabled *bool `yaml:"enabled"`
	// Stages maps a RentEngine prospect status to the conversion sent when a prospect reaches
	// it (default: DefaultConversionStage alone, with no payout). Each stage is a conversion of
	// its own (its own transaction id) on the same hit.
	Stages map[string]ConversionStage `yaml:"stages"`
	// HitID says where the prospect's raw RentEngine record holds the hit id. Required.
	HitID HitIDSource `yaml:"hit_id"`
	// PostbackCalls is FunnelFlux's postbackCalls: none, onlyOnce (default) or all, whether the
	// traffic source's postbacks fire for the conversion.
	PostbackCalls string `yaml:"postback_calls"`
	// UnconfirmedAfter is how many days a sent conversion may go without a report pull showing
	// it before it is reported as unconfirmed (status, metric, log). It is never re-sent on that
	// account: the update is idempotent upstream, but a person should look first (default
	// DefaultUnconfirmedAfter).
	UnconfirmedAfter int `yaml:"unconfirmed_after"`
}

// ConversionStage is one stage's conversion.
type ConversionStage struct {
	// Payout is the conversion's revenue, in the FunnelFlux account's currency (nil: the
	// offer's default payout).
	Payout *float64 `yaml:"payout"`
}

// HitIDSource locates a hit id in a raw RentEngine prospect record. Path is a dotted path of
// object keys ("notes", "custom_fields.ff_hit"; "" = the whole record as JSON text). Pattern,
// when set, is a regular expression applied to the text found there: its first capture group,
// or else its whole match, is the hit id. Without a pattern the value at Path is the hit id.
//
// No public document says where a lead form stores the hit id in RentEngine. The documented
// example is a form that writes "ff_hit=<hit id>" into the prospect's notes:
//
//	hit_id:
//	  path: notes
//	  pattern: 'ff_hit=([0-9A-Za-z]+)'
type HitIDSource struct {
	Path    string `yaml:"path"`
	Pattern string `yaml:"pattern"`

	// Regexp is Pattern compiled (nil when none).
	Regexp *regexp.Regexp `yaml:"-"`
}

// Lease-conversion defaults.
const (
	// DefaultConversionStage is the stage converted when the tenant lists none.
	DefaultConversionStage = contract.EventLeaseSigned
	// DefaultPostbackCalls lets ad networks hear of each lease once.
	DefaultPostbackCalls = contract.FunnelFluxPostbackOnlyOnce
	// DefaultUnconfirmedAfter is three days: FunnelFlux queues updates and applies them
	// asynchronously, usually within minutes to hours.
	DefaultUnconfirmedAfter = 3
)

// Resolved returns the lease-conversion settings a push applies: Enabled set, Stages defaulting
// to DefaultConversionStage (a map of its own), PostbackCalls and UnconfirmedAfter set.
func (lc *LeaseConversion) Resolved() LeaseConversion {
	var out LeaseConversion
	if lc != nil {
		out = *lc
	}
	enabled := lc != nil && KindEnabled(out.Enabled)
	out.Enabled = &enabled
	if len(out.Stages) == 0 {
		out.Stages = map[string]ConversionStage{DefaultConversionStage: {}}
	} else {
		out.Stages = maps.Clone(out.Stages)
	}
	out.PostbackCalls = cmp.Or(out.PostbackCalls, DefaultPostbackCalls)
	out.UnconfirmedAfter = cmp.Or(out.UnconfirmedAfter, DefaultUnconfirmedAfter)
	return out
}

// LeaseConversionOn reports whether the tenant pushes lease conversions.
func (t *Tenant) LeaseConversionOn() bool {
	return t.Push != nil && t.Push.LeaseConversion != nil && KindEnabled(t.Push.LeaseConversion.Enabled) &&
		t.RentEngine != nil && t.FunnelFlux != nil
}

// leaseConversion checks push.lease_conversion.
func (s scope) leaseConversion(t *Tenant) {
	lc := t.Push.LeaseConversion
	if lc == nil {
		return
	}
	const f = "push.lease_conversion"
	if KindEnabled(lc.Enabled) && t.FunnelFlux == nil {
		s.problem(f, "lease conversions are sent to FunnelFlux: add a funnelflux: block (or set enabled: false)")
	}
	for _, st := range sortedKeys(lc.Stages) {
		s.stage(f+".stages."+st, st)
		if p := lc.Stages[st].Payout; p != nil && *p < 0 {
			s.problem(f+".stages."+st+".payout", "%v is negative; a payout is an amount of money (-1 would remove the conversion)", *p)
		}
	}
	switch lc.PostbackCalls {
	case "", contract.FunnelFluxPostbackNone, contract.FunnelFluxPostbackOnlyOnce, contract.FunnelFluxPostbackAll:
	default:
		s.problem(f+".postback_calls", "%q is not none, onlyOnce or all", lc.PostbackCalls)
	}
	if lc.UnconfirmedAfter < 0 {
		s.problem(f+".unconfirmed_after", "must be a number of days, 1 or more (default %d)", DefaultUnconfirmedAfter)
	}
	h := &lc.HitID
	h.Path = strings.TrimSpace(h.Path)
	if h.Path == "" && h.Pattern == "" {
		s.problem(f+".hit_id", "say where the prospect's RentEngine record holds the FunnelFlux hit id: a path "+
			"(\"notes\") and/or a pattern (\"ff_hit=([0-9A-Za-z]+)\")")
	}
	for _, part := range strings.Split(h.Path, ".") {
		if h.Path != "" && part == "" {
			s.problem(f+".hit_id.path", "%q has an empty key; write keys separated by single dots, such as custom_fields.ff_hit", h.Path)
			break
		}
	}
	if h.Pattern != "" {
		re, err := regexp.Compile(h.Pattern)
		switch {
		case err != nil:
			s.problem(f+".hit_id.pattern", "does not compile: %v", err)
		case re.NumSubexp() > 1:
			s.problem(f+".hit_id.pattern", "has %d capture groups; use at most one (the hit id), and (?:...) for the others", re.NumSubexp())
		default:
			h.Regexp = re
		}
	}
}
