package bench

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// PushConfig sizes the push scenario: one tenant whose RentEngine has Units and Prospects (two
// events each on average) and whose Funnel has Communities communities holding every other
// RentEngine person as a client (so that about half the people have no Funnel client), with the
// contact details real data has (see realisticContacts), plus renewals. Changes is how many
// values of each kind are changed upstream before the measured push.
type PushConfig struct {
	Units, Prospects     int
	Communities          int
	RenewalsPerCommunity int
	Changes              int
}

// PushCycle is one pull-pull-push cycle.
type PushCycle struct {
	Name string
	// Planned is the plan's changes by kind; Made the values changed upstream before the cycle.
	Planned, Made map[string]int
	// Requests are the write requests (POST and PUT) the fakes received during the push, in
	// all and by kind.
	Requests       int
	RequestsByKind map[string]int
	// PerChange is Requests / planned changes (NaN when nothing was planned).
	PerChange float64
	// ScoreRequests are the customer-score requests; UsefulScores those that changed a client's
	// score (a 2xx whose value differs from the client's score before it); AmbiguousScores
	// those Funnel (the fake) had to pick among several matching clients.
	ScoreRequests, UsefulScores, AmbiguousScores int
}

// PushResult is the scenario's outcome.
type PushResult struct {
	Config  PushConfig
	Targets int // targets of the last plan
	Cycles  []PushCycle
	// Data describes the seeded people (see realisticContacts).
	Data PushData
	// Skips are the last plan's customer-score skips by reason.
	Skips map[string]int
}

// PushData counts the kinds of people the scenario seeded.
type PushData struct {
	// Persons are RentEngine persons; Clients Funnel clients made from them (every other person).
	Persons, Clients int
	// OtherEmail clients carry another e-mail than the person (matched by phone only), NoEmail
	// none at all; Households are extra clients sharing a client's e-mail with a phone of their
	// own; SecondCards the same person's guest card in another community (same e-mail and phone).
	OtherEmail, NoEmail, Households, SecondCards int
}

// UsefulRatio is useful score requests ÷ score requests over every cycle (NaN without any).
func (r *PushResult) UsefulRatio() float64 {
	var useful, all int
	for _, c := range r.Cycles {
		useful, all = useful+c.UsefulScores, all+c.ScoreRequests
	}
	return float64(useful) / float64(all)
}

// Ambiguous is how many scores over every cycle landed on a client Funnel picked among several.
func (r *PushResult) Ambiguous() int {
	n := 0
	for _, c := range r.Cycles {
		n += c.AmbiguousScores
	}
	return n
}

// TargetUsefulScores is the share of score requests that must change a score.
const TargetUsefulScores = 0.95

// Cycle returns the named cycle.
func (r *PushResult) Cycle(name string) PushCycle {
	for _, c := range r.Cycles {
		if c.Name == name {
			return c
		}
	}
	return PushCycle{}
}

// Cycle names.
const (
	PushFirst     = "first push"
	PushUnchanged = "unchanged mirror"
	PushChanged   = "after upstream changes"
)

func (h *harness) push(ctx context.Context) (*PushResult, error) {
	cfg := h.cfg.Push
	res := &PushResult{Config: cfg}
	const (
		reToken = "bench-push-re"
		fuKey   = "bench-push-fu"
	)
	re := rentenginefake.NewUnstarted(rentenginefake.Options{Token: reToken})
	seedRentEngine(re, 4242, cfg.Units, cfg.Prospects, 2*cfg.Prospects)
	if err := re.Start(); err != nil {
		return nil, err
	}
	defer re.Close()
	fu := funnelfake.NewUnstarted(funnelfake.Options{APIKey: fuKey})
	contacts, data := realisticContacts(funnelfake.ContactsFrom(re.All(rentenginefake.Prospects), 2, 0), max(cfg.Communities, 1))
	data.Persons = len(funnelfake.ContactsFrom(re.All(rentenginefake.Prospects), 1, 0))
	res.Data = data
	funnelfake.Seed(fu, funnelfake.SeedOptions{
		Seed: 4243, Communities: max(cfg.Communities, 1), RenewalsPerCommunity: cfg.RenewalsPerCommunity,
		ProspectsPerCommunity: max(cfg.Prospects/20, 1),
		Contacts:              contacts,
	})
	if err := fu.Start(); err != nil {
		return nil, err
	}
	defer fu.Close()
	var communities []string
	for _, c := range fu.Communities() {
		communities = append(communities, c.Numeric())
	}

	dsn, drop, err := h.newDB(ctx)
	if err != nil {
		return nil, err
	}
	defer drop()
	store, err := openStore(ctx, dsn, 0, h.cfg.Log)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	t := &tenants.Tenant{
		ID: "pushbench", RunTimeout: time.Hour,
		RentEngine: &tenants.RentEngine{BaseURL: re.BaseURL(), Token: tenants.NewSecret(reToken)},
		Funnel: &tenants.Funnel{BaseURL: fu.BaseURL(), APIKey: tenants.NewSecret(fuKey), Auth: tenants.FunnelAuthBasic,
			CompanyID: fu.CompanyID(), Communities: communities},
		Push: &tenants.Push{},
	}
	runner := syncer.NewRunner(syncer.Config{Store: store, Limiters: upstream.NewLimiters(), Host: "bench"}, h.cfg.Log)

	pull := func() error {
		for _, job := range []tenants.Job{tenants.JobRentEngine, tenants.JobFunnel} {
			if _, err := runner.Run(ctx, t, job); err != nil {
				return err
			}
		}
		return nil
	}
	cycle := func(name string, made map[string]int) error {
		if err := pull(); err != nil {
			return err
		}
		if t.Agents == nil {
			// Map every Funnel agent to a RentEngine user, as a tenant's agents: table would.
			var agents []string
			if err := models.DBForTest(store).WithContext(ctx).Table(models.FunnelProspect{}.TableName()).Distinct("agent_email").
				Where("tenant_id = ? AND agent_email IS NOT NULL", t.ID).Order("agent_email").
				Pluck("agent_email", &agents).Error; err != nil {
				return err
			}
			t.Agents = map[string]string{}
			for _, a := range agents {
				t.Agents[a] = userUUID(a)
			}
		}
		plan, err := runner.Plan(ctx, t)
		if err != nil {
			return err
		}
		re.ResetRequests()
		fu.ResetRequests()
		before := scoresHeld(fu)
		if _, err := runner.Run(ctx, t, tenants.JobPush); err != nil {
			return err
		}
		c := PushCycle{Name: name, Planned: plan.ByKind(), Made: made, RequestsByKind: map[string]int{}}
		for _, r := range append(re.Requests(), fu.Requests()...) {
			if r.Method == http.MethodGet {
				continue
			}
			c.Requests++
			c.RequestsByKind[writeKind(r)]++
		}
		c.ScoreRequests = c.RequestsByKind[models.PushCustomerScore]
		c.UsefulScores, c.AmbiguousScores = scoresLanded(fu, before)
		c.PerChange = float64(c.Requests) / float64(len(plan.Changes))
		res.Targets = plan.Targets
		res.Skips = plan.Skips[models.PushCustomerScore]
		res.Cycles = append(res.Cycles, c)
		h.logf("%s: %d changes planned %v, %d requests sent %v (%.3f per change); %d score requests, %d useful, %d ambiguous; skips %v",
			name, len(plan.Changes), c.Planned, c.Requests, c.RequestsByKind, c.PerChange,
			c.ScoreRequests, c.UsefulScores, c.AmbiguousScores, res.Skips)
		return nil
	}

	if err := cycle(PushFirst, nil); err != nil {
		return res, err
	}
	if err := cycle(PushUnchanged, map[string]int{}); err != nil {
		return res, err
	}
	made, err := changeUpstream(ctx, store, t, re, fu, cfg.Changes)
	if err != nil {
		return res, err
	}
	if err := cycle(PushChanged, made); err != nil {
		return res, err
	}
	return res, nil
}

// writeKind names the push a recorded write request belongs to.
func writeKind(r fakeapi.Request) string {
	switch {
	case strings.HasSuffix(r.Path, "/customer-score/"):
		return models.PushCustomerScore
	case strings.HasSuffix(r.Path, "/renewal-status/"):
		return models.PushRenewalStatus
	case strings.HasSuffix(r.Path, "/leasing_events"):
		return models.PushAssignment
	}
	return r.Method + " " + r.Path
}

// userUUID derives a RentEngine user id (UUID version 4 layout) from an agent's e-mail.
func userUUID(agent string) string {
	h := sha256.Sum256([]byte("bench user:" + strings.ToLower(agent)))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// changeUpstream changes up to n values of each push kind upstream, each one of a distinct push
// target already pushed, so that each changes exactly one desired value:
//   - customer score: one prospect linked to a scored Funnel client whose score is below 100
//     gets a "Lease Signed" event (score 100);
//   - renewal card: a renewal not signed becomes signed;
//   - assignment: a Funnel client linked to exactly one RentEngine prospect gets another agent.
func changeUpstream(ctx context.Context, store *models.Store, t *tenants.Tenant, re *rentenginefake.Server, fu *funnelfake.Server, n int) (map[string]int, error) {
	made := map[string]int{}
	db := models.DBForTest(store).WithContext(ctx)

	var scored []int64
	if err := db.Raw(`SELECT CAST(substr(target_key, ?) AS bigint) FROM push_ledger WHERE tenant_id = ? AND kind = ? AND state = ?
		AND target_key LIKE 'funnel-client:%' AND (pushed->>'score_value')::int < 100 ORDER BY target_key LIMIT ?`,
		len("funnel-client:")+1, t.ID, models.PushCustomerScore, models.PushPushed, n).Scan(&scored).Error; err != nil {
		return nil, fmt.Errorf("pick scores to change: %w", err)
	}
	for _, client := range scored {
		var id int64
		if err := db.Raw(`SELECT rentengine_prospect_id FROM identity_links WHERE tenant_id = ? AND funnel_client_id = ?
			AND status = ? ORDER BY rentengine_prospect_id LIMIT 1`, t.ID, client, models.LinkLinked).Scan(&id).Error; err != nil || id == 0 {
			return nil, fmt.Errorf("find a prospect linked to client %d: %v", client, err)
		}
		re.AddEvent(id, "Lease Signed", time.Now())
		made[models.PushCustomerScore]++
	}

	type renewal struct {
		ID          int64
		CommunityID string
	}
	var renewals []renewal
	if err := db.Raw(`SELECT r.id, r.community_id FROM funnel_renewals r
		JOIN push_ledger l ON l.tenant_id = r.tenant_id AND l.kind = ? AND l.state = ?
			AND l.target_key = r.community_id || '/' || r.funnel_renter_id || '/' || r.funnel_unit_id
		WHERE r.tenant_id = ? AND r.deleted_at IS NULL AND r.status <> 'signed'
			AND (SELECT count(*) FROM funnel_renewals o WHERE o.tenant_id = r.tenant_id AND o.deleted_at IS NULL
				AND o.community_id = r.community_id AND o.funnel_renter_id = r.funnel_renter_id
				AND o.funnel_unit_id = r.funnel_unit_id) = 1
		ORDER BY r.id LIMIT ?`, models.PushRenewalStatus, models.PushPushed, t.ID, n).Scan(&renewals).Error; err != nil {
		return nil, fmt.Errorf("pick renewals to change: %w", err)
	}
	for _, r := range renewals {
		cid, ok := fu.Resolve(r.CommunityID)
		if !ok {
			return nil, fmt.Errorf("community %s unknown to the fake", r.CommunityID)
		}
		if err := fu.Update(cid, funnelfake.Renewals, r.ID, map[string]any{"status": "signed"}); err != nil {
			return nil, err
		}
		made[models.PushRenewalStatus]++
	}

	type client struct {
		ClientID    int64
		CommunityID string
		AgentEmail  string
	}
	var clients []client
	if err := db.Raw(`SELECT f.id AS client_id, f.community_id, f.agent_email FROM identity_links l
		JOIN funnel_prospects f ON f.tenant_id = l.tenant_id AND f.id = l.funnel_client_id AND f.deleted_at IS NULL
		JOIN push_ledger p ON p.tenant_id = l.tenant_id AND p.kind = ? AND p.state = ?
			AND p.target_key = 'prospect:' || l.rentengine_prospect_id
		WHERE l.tenant_id = ? AND l.status = ? AND f.agent_email IS NOT NULL
			AND (SELECT count(*) FROM identity_links o WHERE o.tenant_id = l.tenant_id AND o.funnel_client_id = l.funnel_client_id) = 1
		ORDER BY f.id LIMIT ?`, models.PushAssignment, models.PushPushed, t.ID, models.LinkLinked, n).Scan(&clients).Error; err != nil {
		return nil, fmt.Errorf("pick assignments to change: %w", err)
	}
	agents := make([]string, 0, len(t.Agents))
	for a := range t.Agents {
		agents = append(agents, a)
	}
	slices.Sort(agents)
	for i, c := range clients {
		cid, ok := fu.Resolve(c.CommunityID)
		if !ok {
			return nil, fmt.Errorf("community %s unknown to the fake", c.CommunityID)
		}
		next := ""
		for j := range agents {
			if a := agents[(i+j)%len(agents)]; !strings.EqualFold(a, c.AgentEmail) {
				next = a
				break
			}
		}
		if next == "" {
			break // a single agent: no other user to assign to
		}
		if err := fu.Update(cid, funnelfake.Prospects, c.ClientID, map[string]any{"agents": []string{next}}); err != nil {
			return nil, err
		}
		made[models.PushAssignment]++
	}
	return made, nil
}

// total sums a by-kind count.
func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// realisticContacts turns RentEngine persons into the Funnel clients of a real company, where
// not every client carries the person's contact details as RentEngine has them. Per ten
// contacts (by position):
//   - 3: the client has another e-mail (a work address): it matches by phone only;
//   - 6: the client has no e-mail: it matches by phone, and is identified by phone alone;
//   - 8: a household member is a client too, sharing the e-mail with a phone of their own: the
//     person's phone narrows the shared e-mail down;
//   - 0, with several communities: funnelfake.Seed gives the person a second guest card in the
//     next community, same e-mail and phone: nothing tells the two apart (ambiguous).
//
// Household members come after every contact, so that the positions above hold.
func realisticContacts(in []funnelfake.Contact, communities int) ([]funnelfake.Contact, PushData) {
	out := slices.Clone(in)
	d := PushData{Clients: len(in)}
	var households []funnelfake.Contact
	for i := range out {
		c := &out[i]
		switch i % 10 {
		case 3:
			if c.Email != "" {
				c.Email = fmt.Sprintf("person%d@work.example.com", i)
				d.OtherEmail++
			}
		case 6:
			if c.Email != "" && c.Phone != "" {
				c.Email = ""
				d.NoEmail++
			}
		case 8:
			if c.Email != "" && c.Phone != "" {
				first, _, _ := strings.Cut(c.Name, " ")
				households = append(households, funnelfake.Contact{Name: "Partner of " + first,
					Email: c.Email, Phone: fmt.Sprintf("(808) %03d-%04d", 200+i/10000%800, i%10000)})
				d.Households++
			}
		}
	}
	out = append(out, households...)
	if communities > 1 {
		d.SecondCards = (len(out) + 9) / 10 // positions 0, 10, 20, ... of the final list
	}
	return out, d
}

// heldScore is how many scores a client held, and the last one.
type heldScore struct {
	n    int
	last funnelfake.CustomerScore
}

// scoresHeld reads the scores every client of the fake holds.
func scoresHeld(fu *funnelfake.Server) map[int64]heldScore {
	out := map[int64]heldScore{}
	for _, c := range fu.Communities() {
		for _, id := range fu.IDs(c.ID, funnelfake.Prospects) {
			if s := fu.CustomerScores(id); len(s) > 0 {
				out[id] = heldScore{n: len(s), last: s[len(s)-1]}
			}
		}
	}
	return out
}

// scoresLanded compares the clients' scores with those held before a push: useful are the
// scores that changed a client's score (name, value or maximum), ambiguous those the fake picked
// a client for among several.
func scoresLanded(fu *funnelfake.Server, before map[int64]heldScore) (useful, ambiguous int) {
	for _, c := range fu.Communities() {
		for _, id := range fu.IDs(c.ID, funnelfake.Prospects) {
			all := fu.CustomerScores(id)
			prev, had := before[id]
			for _, s := range all[prev.n:] {
				if !had || s.Name != prev.last.Name || s.Value != prev.last.Value || s.Maximum != prev.last.Maximum {
					useful++
				}
				if s.Candidates > 1 {
					ambiguous++
				}
				prev, had = heldScore{n: prev.n + 1, last: s}, true
			}
		}
	}
	return useful, ambiguous
}
