package tenants

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/syncd-dev/syncd/internal/contract"
)

// Push configures what the push job sends back upstream. Each kind is on unless disabled.
type Push struct {
	// DryRun keeps the tenant in plan-only mode: every run computes and logs the changes it would
	// make and sends nothing.
	DryRun bool `yaml:"dry_run"`
	// MaxChanges aborts a run that would push more changes than this: a count ("50") or a
	// percentage of the run's targets ("10%"). Empty means no limit.
	MaxChanges string `yaml:"max_changes"`

	CustomerScores *CustomerScores `yaml:"customer_scores"`
	Assignments    *Assignments    `yaml:"assignments"`
	RenewalStatus  *RenewalStatus  `yaml:"renewal_status"`
	// LeaseConversion is on only when written (see LeaseConversion).
	LeaseConversion *LeaseConversion `yaml:"lease_conversion"`

	// MaxChangesCount and MaxChangesPercent are MaxChanges parsed (both 0 = no limit).
	MaxChangesCount   int     `yaml:"-"`
	MaxChangesPercent float64 `yaml:"-"`
}

// Customer-score targets (push.customer_scores.targets).
const (
	// ScoreTargetsLinked scores only Funnel clients that a RentEngine person's identity link
	// resolves to without ambiguity (the default).
	ScoreTargetsLinked = "linked"
	// ScoreTargetsAll also scores persons with no Funnel client in the mirror, blind, for a
	// Funnel company with communities syncd does not mirror.
	ScoreTargetsAll = "all"
)

// CustomerScores pushes a 0–maximum score per Funnel client to Funnel, from the RentEngine
// status of the persons linked to it.
type CustomerScores struct {
	Enabled *bool `yaml:"enabled"`
	// Targets is ScoreTargetsLinked (empty means it) or ScoreTargetsAll.
	Targets string `yaml:"targets"`
	// ScoreName is the score's name in Funnel (default DefaultScoreName).
	ScoreName string `yaml:"score_name"`
	// MaximumScore is sent with every score (default DefaultMaximumScore, 100).
	MaximumScore int `yaml:"maximum_score"`
	// Stages maps a RentEngine status (the latest leasing event type) to a score. Entries here
	// override syncd's documented defaults status by status; a status with no entry anywhere is
	// not scored.
	Stages map[string]int `yaml:"stages"`
}

// Assignments pushes "Assign to User" to RentEngine when a linked Funnel client's agent maps
// (through the tenant's agents table) to a user other than the prospect's current assignee.
type Assignments struct {
	Enabled *bool `yaml:"enabled"`
	// ApplyInBulk sets applyActionInBulk: the assignment applies to every prospect sharing the
	// phone number.
	ApplyInBulk bool `yaml:"apply_in_bulk"`
	// Notes is the event's note (default DefaultAssignmentNotes).
	Notes string `yaml:"notes"`
}

// RenewalStatus pushes the resident-app renewal card of each mirrored renewal to Funnel.
type RenewalStatus struct {
	Enabled *bool `yaml:"enabled"`
	// Templates per renewal status replace syncd's default card for that status.
	Templates map[string]RenewalTemplate `yaml:"templates"`
}

// RenewalTemplate is one status's card. Text fields are Go templates over the renewal
// ({{.UnitNumber}}, {{money .OfferRent}}, {{date .OfferExpiresAt}}, {{date .LeaseEnd}}, …).
type RenewalTemplate struct {
	// Show is renewal_card_status: whether the card is shown at all.
	Show      *bool  `yaml:"show"`
	Header    string `yaml:"header"`
	Subheader string `yaml:"subheader"`
	Body      string `yaml:"body"`
	// Alert is renewal_alert_status; AlertType is WARNING or INFO.
	Alert        *bool  `yaml:"alert"`
	AlertBody    string `yaml:"alert_body"`
	AlertType    string `yaml:"alert_type"`
	Clickthrough *bool  `yaml:"clickthrough"`
	Icon         string `yaml:"icon"`
}

// KindEnabled reports whether a push kind is on (a nil block or enabled unset means on).
func KindEnabled(enabled *bool) bool { return enabled == nil || *enabled }

func (s scope) push(t *Tenant) {
	p := t.Push
	if p == nil {
		return
	}
	if mc := strings.TrimSpace(p.MaxChanges); mc != "" {
		if pct, ok := strings.CutSuffix(mc, "%"); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
			if err != nil || v <= 0 || v > 100 {
				s.problem("push.max_changes", "%q is not a percentage between 0 and 100 such as \"10%%\"", mc)
			}
			p.MaxChangesPercent = v
		} else {
			v, err := strconv.Atoi(mc)
			if err != nil || v <= 0 {
				s.problem("push.max_changes", "%q is neither a positive count such as \"50\" nor a percentage such as \"10%%\"", mc)
			}
			p.MaxChangesCount = v
		}
	}
	if cs := p.CustomerScores; cs != nil {
		switch cs.Targets {
		case "", ScoreTargetsLinked, ScoreTargetsAll:
		default:
			s.problem("push.customer_scores.targets", "%q is not linked or all", cs.Targets)
		}
		if cs.MaximumScore < 0 {
			s.problem("push.customer_scores.maximum_score", "must be positive")
		}
		max := cs.Resolved().MaximumScore
		for _, st := range sortedKeys(cs.Stages) {
			s.stage("push.customer_scores.stages."+st, st)
			if v := cs.Stages[st]; v < 0 || v > max {
				s.problem("push.customer_scores.stages."+st, "score %d is outside 0–%d (maximum_score)", v, max)
			}
		}
	}
	if cs := p.CustomerScores; (cs == nil || KindEnabled(cs.Enabled)) && t.Funnel != nil && t.Funnel.CompanyID == 0 {
		s.problem("funnel.company_id", "required for push.customer_scores (set it, or disable customer scores)")
	}
	if rs := p.RenewalStatus; rs != nil {
		for _, st := range sortedKeys(rs.Templates) {
			tpl := rs.Templates[st]
			field := "push.renewal_status.templates." + st
			for name, text := range map[string]string{"header": tpl.Header, "subheader": tpl.Subheader,
				"body": tpl.Body, "alert_body": tpl.AlertBody} {
				if _, err := ParseTemplate(name, text); err != nil {
					s.problem(field+"."+name, "template does not parse: %v", err)
				}
			}
			if tpl.AlertType != "" && tpl.AlertType != contract.AlertWarning && tpl.AlertType != contract.AlertInfo {
				s.problem(field+".alert_type", "%q is not WARNING or INFO", tpl.AlertType)
			}
		}
	}
	s.leaseConversion(t)
	switch {
	case t.RentEngine == nil || (t.Funnel == nil && t.FunnelFlux == nil):
		s.problem("push", "pushing needs both a rentengine: and a funnel: block (or a funnelflux: block, for lease conversions)")
	case t.Funnel == nil && p.LeaseConversion == nil:
		s.problem("push", "without a funnel: block the only push is push.lease_conversion; configure it")
	}
	for email, user := range t.Agents {
		if !strings.Contains(email, "@") {
			s.problem("agents."+email, "key must be a Funnel agent's e-mail address")
		}
		if !uuidLike(user) {
			s.problem("agents."+email, "%q is not a RentEngine user UUID", user)
		}
	}
}

// stage checks a push.customer_scores.stages key against the RentEngine leasing-event types,
// which prospect statuses are matched against exactly. A key that looks like a misspelling of a
// known type (another case, other punctuation, a word short, a letter off) is an error naming the
// right spelling: such a key silently scores nobody. Any other unknown key is accepted with a
// warning, since RentEngine adds types and a tenant may want to score a new one before syncd
// knows it. A known type that never becomes a status is accepted with a warning too.
func (s scope) stage(field, key string) {
	switch {
	case contract.KnownEventType(key) && (contract.StatusEvent(key) || key == contract.EventBlocklistProspect):
	case contract.KnownEventType(key):
		s.warn(field, "%q records an action, not a stage: it never becomes a prospect's status, so this entry scores nobody", key)
	default:
		if near := nearEventTypes(key); len(near) > 0 {
			s.problem(field, "%q is not a RentEngine leasing event type (they are matched exactly); did you mean %s?",
				key, quoteList(near))
			return
		}
		s.warn(field, "%q is not a RentEngine leasing event type syncd knows; it scores only prospects whose status "+
			"RentEngine sends as exactly this text", key)
	}
}

// nearEventTypes returns the known types that key plausibly misspells.
func nearEventTypes(key string) []string {
	k := foldType(key)
	var out []string
	for _, typ := range append(slices.Clone(contract.EventTypes), contract.ExtraEventTypes...) {
		t := foldType(typ)
		switch d := editDistance(k, t); {
		case k == "":
		// Two edits between names of the same length are a swap or two slips, not a new word:
		// "Showing Schedueld" is a typo, "Showing Rescheduled" may be a new type.
		case k == t, strings.HasPrefix(t, k+" "), d <= 1, d <= 2 && len(k) == len(t):
			out = append(out, typ)
		}
	}
	return out
}

// foldType lower-cases a type name and reduces punctuation and runs of spaces to single spaces,
// so "Prescreen Rejected – credit" and "Prescreen Rejected - Credit" compare equal.
func foldType(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
			continue
		}
		space = true
	}
	return b.String()
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	if len(q) == 1 {
		return q[0]
	}
	return "one of " + strings.Join(q, ", ")
}

func uuidLike(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
