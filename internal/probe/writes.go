package probe

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/clients/funnelflux"
	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/push"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// The push job's writes are never sent by a probe. What can be known of them without sending
// one is checked from the tenant's configuration and the records the reads returned:
//
//   - customer scores need funnel.company_id, and clients to match: at least one configured
//     community that answers its details and its prospects. Whether the communities belong to
//     that company cannot be read from Funnel (no call lists a company's communities), so the
//     probe only warns when a community's prospects name another community;
//   - assignments need every Funnel agent who appears (prospects' agents, appointments' agent)
//     in the tenant's agents: table. The missing ones are listed: a warning, since syncd reports
//     and skips an unmapped agent by design; a failure when none of those seen is mapped, since
//     then no assignment can ever be pushed;
//   - renewal cards need every card template to render, which is checked with the push's own
//     renderer on sample renewals (push.CheckTemplates). Statuses seen without a template are a
//     note: their cards are not pushed, by design.

// WriteCheck is what a probe could check of one kind of push without sending it.
type WriteCheck struct {
	// Kind is the push kind's key under push: (customer_scores, assignments, renewal_status).
	Kind string `json:"kind"`
	API  string `json:"api"`
	// Call is the write the kind sends.
	Call    string  `json:"call"`
	Verdict Verdict `json:"verdict"`
	// Detail summarises what was checked; Problems say why it fails or warns.
	Detail   string   `json:"detail"`
	Problems []string `json:"problems,omitempty"`
	// MissingAgents are the Funnel agents seen that the agents: table lacks (assignments).
	MissingAgents []string `json:"missing_agents,omitempty"`
}

func (w *WriteCheck) fail(msg string) {
	w.Verdict = Fail
	w.Problems = append(w.Problems, msg)
}

func (w *WriteCheck) warn(msg string) {
	if w.Verdict == OK {
		w.Verdict = Warn
	}
	w.Problems = append(w.Problems, msg)
}

// sightings is what the write checks need of the records read. It keeps agent e-mails (the
// operator must add the missing ones), and otherwise only counts.
type sightings struct {
	// agents are the Funnel agents seen, trimmed and in lower case.
	agents map[string]bool
	// communitiesOK counts configured communities whose details and prospects both answered.
	communitiesOK int
	// foreign counts, per configured community, listed prospects naming another community.
	foreign map[string]int
	// renewalStatuses are the renewal statuses seen.
	renewalStatuses map[string]bool
	// reProspects and reContactable are the RentEngine prospects seen, and those with an e-mail
	// or a phone (what a score is matched by), by id.
	reProspects, reContactable map[int64]bool
	// hitSource is where lease conversions read a prospect's hit id (nil when they are off), and
	// reWithHit counts the RentEngine prospects seen that carry one.
	hitSource *tenants.HitIDSource
	reWithHit int
	// funnelFluxAuth is true when FunnelFlux accepted (or renewed) the tokens.
	funnelFluxAuth bool
}

func newSightings() *sightings {
	return &sightings{agents: map[string]bool{}, foreign: map[string]int{}, renewalStatuses: map[string]bool{},
		reProspects: map[int64]bool{}, reContactable: map[int64]bool{}}
}

func (s *sightings) agent(email string) {
	if e := strings.ToLower(strings.TrimSpace(email)); e != "" {
		s.agents[e] = true
	}
}

func (s *sightings) rentEngineProspect(raw json.RawMessage) {
	p, err := rentengine.DecodeProspect(raw)
	if err != nil {
		return
	}
	if !s.reProspects[p.ID.Int] && s.hitSource != nil && push.HitID(raw, *s.hitSource) != "" {
		s.reWithHit++
	}
	s.reProspects[p.ID.Int] = true
	if strings.TrimSpace(p.Email.V) != "" || strings.TrimSpace(p.Phone.V) != "" {
		s.reContactable[p.ID.Int] = true
	}
}

func (s *sightings) funnelProspect(community, canonical string, raw json.RawMessage) {
	p, err := funnel.DecodeProspect(raw)
	if err != nil {
		return
	}
	for _, a := range p.Agents {
		s.agent(a)
	}
	if canonical != "" && p.FunnelCommunityID.Valid && strconv.FormatInt(p.FunnelCommunityID.V, 10) != canonical {
		s.foreign[community]++
	}
}

func (s *sightings) funnelAppointment(raw json.RawMessage) {
	if a, err := funnel.DecodeAppointment(raw); err == nil && a.Agent.Email.Valid {
		s.agent(a.Agent.Email.V)
	}
}

func (s *sightings) funnelRenewal(raw json.RawMessage) {
	if r, err := funnel.DecodeRenewal(raw); err == nil && r.Status != "" {
		s.renewalStatuses[string(r.Status)] = true
	}
}

// writes checks the push job's writes, when the tenant has a push job.
func (p *prober) writes() []*WriteCheck {
	if !slices.Contains(p.t.Jobs(), tenants.JobPush) {
		return nil
	}
	cfg := p.t.Push
	var out []*WriteCheck
	if p.t.Funnel != nil {
		out = append(out, p.funnelWrites(cfg)...)
	}
	if p.t.FunnelFlux != nil && p.t.RentEngine != nil {
		out = append(out, p.leaseConversionCheck(cfg))
	}
	return out
}

// funnelWrites checks the writes that go to Funnel.
func (p *prober) funnelWrites(cfg *tenants.Push) []*WriteCheck {
	var out []*WriteCheck
	scores := &WriteCheck{Kind: "customer_scores", API: funnel.API, Call: funnel.OpCustomerScore, Verdict: OK}
	if cs := cfg.CustomerScores; cs != nil && !tenants.KindEnabled(cs.Enabled) {
		scores.Verdict, scores.Detail = Off, "disabled in push:"
	} else {
		p.checkScores(scores)
	}
	out = append(out, scores)

	assign := &WriteCheck{Kind: "assignments", API: "rentengine", Call: "POST /" + string(rentengine.LeasingEvents), Verdict: OK}
	if as := cfg.Assignments; as != nil && !tenants.KindEnabled(as.Enabled) {
		assign.Verdict, assign.Detail = Off, "disabled in push:"
	} else {
		p.checkAgents(assign)
	}
	out = append(out, assign)

	cards := &WriteCheck{Kind: "renewal_status", API: funnel.API, Call: funnel.OpRenewalStatus, Verdict: OK}
	if rs := cfg.RenewalStatus; rs != nil && !tenants.KindEnabled(rs.Enabled) {
		cards.Verdict, cards.Detail = Off, "disabled in push:"
	} else {
		p.checkTemplates(cards)
	}
	out = append(out, cards)
	return out
}

func (p *prober) checkScores(w *WriteCheck) {
	f := p.t.Funnel
	if f.CompanyID <= 0 {
		w.fail("funnel.company_id is not set: scores have no company to be posted to")
	}
	if p.seen.communitiesOK == 0 {
		w.fail("no configured community answered both its details and its prospects: a score could match no Funnel client")
	}
	for _, com := range sortedKeys(p.seen.foreign) {
		w.warn(fmt.Sprintf("community %s lists %d prospects that carry another funnel_community_id: is the id configured the right community?",
			com, p.seen.foreign[com]))
	}
	w.Detail = fmt.Sprintf("company %d; %d of %d communities answer; %d of %d RentEngine prospects read have an e-mail or phone to match by "+
		"(that the communities belong to the company cannot be checked without a write)",
		f.CompanyID, p.seen.communitiesOK, len(f.Communities), len(p.seen.reContactable), len(p.seen.reProspects))
}

func (p *prober) checkAgents(w *WriteCheck) {
	mapped := map[string]bool{}
	for email := range p.t.Agents {
		mapped[strings.ToLower(strings.TrimSpace(email))] = true
	}
	seen := sortedKeys(p.seen.agents)
	for _, a := range seen {
		if !mapped[a] {
			w.MissingAgents = append(w.MissingAgents, a)
		}
	}
	w.Detail = fmt.Sprintf("%d Funnel agents seen in the pages read, %d of them in agents:", len(seen), len(seen)-len(w.MissingAgents))
	switch {
	case len(seen) > 0 && len(w.MissingAgents) == len(seen):
		w.fail(fmt.Sprintf("none of the %d agents seen is in agents:, so no assignment would ever be pushed; add: %s",
			len(seen), strings.Join(w.MissingAgents, ", ")))
	case len(w.MissingAgents) > 0:
		w.warn("agents missing from agents: (their prospects are not assigned): " + strings.Join(w.MissingAgents, ", "))
	}
}

func (p *prober) checkTemplates(w *WriteCheck) {
	checks := push.CheckTemplates(p.t.Push.RenewalStatus)
	statuses := map[string]bool{}
	for _, c := range checks {
		statuses[c.Status] = true
		if c.Err != nil {
			w.fail(fmt.Sprintf("the %q card does not render (%s sample): %v", c.Status, c.Sample, c.Err))
		}
	}
	var untemplated []string
	for _, st := range sortedKeys(p.seen.renewalStatuses) {
		if !statuses[st] {
			untemplated = append(untemplated, st)
		}
	}
	w.Detail = fmt.Sprintf("%d card templates render with full and sparse sample renewals", len(statuses))
	if bad := slices.IndexFunc(checks, func(c push.TemplateCheck) bool { return c.Err != nil }); bad >= 0 {
		w.Detail = fmt.Sprintf("%d card templates checked", len(statuses))
	}
	if len(untemplated) > 0 {
		w.Detail += "; statuses seen with no template (their cards are not pushed): " + strings.Join(untemplated, ", ")
	}
}

// leaseConversionCheck checks lease conversions without sending one: FunnelFlux accepted the
// tokens (a conversion update uses them), and the RentEngine prospects read carry a hit id where
// push.lease_conversion.hit_id says. A prospect without one is skipped by design, so none found
// among those read is a warning: then no conversion would be sent until leads carry it.
func (p *prober) leaseConversionCheck(cfg *tenants.Push) *WriteCheck {
	w := &WriteCheck{Kind: "lease_conversion", API: ffAPI, Call: funnelflux.OpConversions, Verdict: OK}
	if !p.t.LeaseConversionOn() {
		w.Verdict, w.Detail = Off, "not enabled in push:"
		return w
	}
	if !p.seen.funnelFluxAuth {
		w.fail("FunnelFlux refused the tokens, so conversion updates cannot be sent")
	}
	src := cfg.LeaseConversion.HitID
	where := "path " + strconv.Quote(src.Path)
	if src.Pattern != "" {
		where += ", pattern " + strconv.Quote(src.Pattern)
	}
	seen := len(p.seen.reProspects)
	w.Detail = fmt.Sprintf("%d of %d RentEngine prospects read carry a hit id (%s)", p.seen.reWithHit, seen, where)
	if seen > 0 && p.seen.reWithHit == 0 {
		w.warn("no prospect read carries a hit id where push.lease_conversion.hit_id looks: every lease conversion would be skipped (" +
			where + ")")
	}
	return w
}
