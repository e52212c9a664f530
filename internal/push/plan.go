// Package push computes, from the mirror, what syncd should send back upstream for one tenant —
// customer scores and renewal cards to Funnel, user assignments to RentEngine — and sends only
// what differs from what it last pushed successfully, through a ledger that makes every push
// survive a crash without being lost or duplicated.
//
// A run has two steps. Compute reads the mirror and the ledger and returns a Plan: the exact
// changes, each with its target, before and after. Execute writes each change's intent to the
// ledger, makes the call, and writes the outcome. Plan mode and dry-run stop after Compute.
package push

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/clients/funnelflux"
	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// Change is one push the plan wants to make.
type Change struct {
	Kind   string `json:"kind"`
	Target string `json:"target"`
	// Before and After describe the change for people (plan output, logs).
	Before string `json:"before"`
	After  string `json:"after"`
	// Desired is the payload that identifies the change (volatile fields left out); Hash is its
	// hash, compared with the ledger.
	Desired json.RawMessage `json:"desired"`
	Hash    string          `json:"-"`

	score   *funnel.CustomerScore
	assign  *rentengine.Assignment
	renewal *renewalCall
	// conversion is a lease conversion update (one hit).
	conversion *funnelflux.ConversionUpdate
	// covers are the other targets a bulk assignment settles with the same call.
	covers []string
}

type renewalCall struct {
	community      string
	renter, unitID int64
	card           funnel.RenewalCard
}

// Plan is the outcome of Compute.
type Plan struct {
	Changes []Change
	// Targets is how many targets were considered; the percentage guard is relative to it.
	Targets int
	// Unchanged targets already hold the desired value (as far as the ledger or mirror knows).
	Unchanged int
	// Skipped counts targets left alone, by reason.
	Skipped map[string]int
	// Skips counts, per kind, the targets left alone for a reason the metrics report, by its
	// label ("unlinked", "ambiguous", ...); each is in Skipped too, worded for people.
	Skips map[string]map[string]int
	// Unmapped counts linked prospects whose Funnel agent has no entry in the agents table.
	Unmapped map[string]int
	// Blocked names each kind skipped entirely because it depends on a resource the latest pull
	// found unavailable upstream, with the reason (see dependencies.go). Its targets are counted
	// in Skipped under the same reason.
	Blocked map[string]string
	// Overdue lists the lease conversions sent longer than unconfirmed_after ago that no
	// FunnelFlux report has confirmed (targets; counted in Skips as unconfirmed).
	Overdue []string
	// confirmed are in-flight assignments the mirror now shows landed.
	confirmed []ledgerKey
	// moves rewrite ledger rows of an earlier target scheme; Execute persists them first.
	moves []models.LedgerMove
}

// ByKind counts the changes per kind.
func (p *Plan) ByKind() map[string]int {
	out := map[string]int{}
	for _, c := range p.Changes {
		out[c.Kind]++
	}
	return out
}

// Limit returns the largest number of changes the tenant's guard allows, or -1 for no limit.
func (p *Plan) Limit(cfg *tenants.Push) int {
	switch {
	case cfg == nil:
		return -1
	case cfg.MaxChangesCount > 0:
		return cfg.MaxChangesCount
	case cfg.MaxChangesPercent > 0:
		return int(float64(p.Targets) * cfg.MaxChangesPercent / 100)
	}
	return -1
}

type ledgerKey struct{ kind, target string }

func hashOf(v any) (json.RawMessage, string) {
	b, _ := json.Marshal(v) // plain structs and maps: cannot fail
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:16])
}

// Compute builds the tenant's plan from the mirror and the ledger. It calls no API.
func Compute(ctx context.Context, store *models.Store, t *tenants.Tenant) (*Plan, error) {
	return ComputeAt(ctx, store, t, time.Now().UTC())
}

// ComputeAt is Compute at a given time (which lease conversions are overdue depends on it).
func ComputeAt(ctx context.Context, store *models.Store, t *tenants.Tenant, now time.Time) (*Plan, error) {
	p := newPlan()
	cfg := t.Push
	if cfg == nil {
		return p, nil
	}
	ledger, err := loadLedger(ctx, store, t.ID)
	if err != nil {
		return nil, err
	}
	av, err := loadAvailability(ctx, store, t.ID)
	if err != nil {
		return nil, err
	}
	// The Funnel kinds are off for a tenant that pushes to FunnelFlux only (a funnelflux: block
	// and no funnel: block); a tenant built by hand without either plans them as before.
	funnelOn := t.Funnel != nil || t.FunnelFlux == nil
	kinds := []struct {
		kind    string
		enabled bool
		plan    func(context.Context, *models.Store, *tenants.Tenant, map[ledgerKey]models.PushLedger, availability, *Plan) error
	}{
		{models.PushCustomerScore, funnelOn && (cfg.CustomerScores == nil || tenants.KindEnabled(cfg.CustomerScores.Enabled)), planScores},
		{models.PushAssignment, funnelOn && (cfg.Assignments == nil || tenants.KindEnabled(cfg.Assignments.Enabled)), planAssignments},
		{models.PushRenewalStatus, funnelOn && (cfg.RenewalStatus == nil || tenants.KindEnabled(cfg.RenewalStatus.Enabled)), planRenewals},
		{models.PushLeaseConversion, t.LeaseConversionOn(), func(ctx context.Context, store *models.Store, t *tenants.Tenant,
			ledger map[ledgerKey]models.PushLedger, av availability, p *Plan) error {
			return planLeaseConversions(ctx, store, t, ledger, av, p, now)
		}},
	}
	for _, k := range kinds {
		if !k.enabled {
			continue
		}
		reason := av.blocks(k.kind)
		if reason == "" {
			if err := k.plan(ctx, store, t, ledger, av, p); err != nil {
				return nil, err
			}
			continue
		}
		// Planned aside only to count what is left alone; none of it is sent.
		aside := newPlan()
		if err := k.plan(ctx, store, t, ledger, av, aside); err != nil {
			return nil, err
		}
		p.Blocked[k.kind] = reason
		p.Skipped[k.kind+": "+reason] += aside.Targets
	}
	return p, nil
}

func newPlan() *Plan {
	return &Plan{Skipped: map[string]int{}, Unmapped: map[string]int{}, Blocked: map[string]string{}}
}

func loadLedger(ctx context.Context, store *models.Store, tenant string) (map[ledgerKey]models.PushLedger, error) {
	rows, err := store.ReadPushLedger(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make(map[ledgerKey]models.PushLedger, len(rows))
	for _, r := range rows {
		out[ledgerKey{r.Kind, r.TargetKey}] = r
	}
	return out, nil
}

// settled reports whether the ledger already has this exact payload pushed, or recorded as
// unmatched (which is retried only once the payload changes), and counts the target as unchanged
// or skipped when it is.
func (p *Plan) settled(row models.PushLedger, ok bool, hash string) bool {
	switch {
	case !ok:
		return false
	case row.PushedHash != nil && *row.PushedHash == hash:
		p.Unchanged++
		return true
	case row.State == models.PushUnmatched && row.DesiredHash == hash:
		p.Skipped["unmatched upstream; waiting for the record to change"]++
		return true
	}
	return false
}

// previous decodes the payload last pushed to a target, for the plan's "before" column.
func previous[T any](row models.PushLedger, ok bool) (T, bool) {
	var prev T
	if !ok || len(row.Pushed) == 0 || json.Unmarshal(row.Pushed, &prev) != nil {
		return prev, false
	}
	return prev, true
}

// --- customer scores ---

type scoreDesired struct {
	ScoreName    string `json:"score_name"`
	ScoreValue   int    `json:"score_value"`
	MaximumScore int    `json:"maximum_score"`
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"`
}

type prospectContact = models.ProspectContact

// planScores gives each Funnel client linked to RentEngine persons one score, the highest of
// theirs (scores.go).
func planScores(ctx context.Context, store *models.Store, t *tenants.Tenant, ledger map[ledgerKey]models.PushLedger, av availability, p *Plan) error {
	return planCustomerScores(ctx, store, t, ledger, av, p)
}

// personKey names a person by their smallest contact key, so the target is stable across runs.
func personKey(keys []string) string {
	slices.Sort(keys)
	// E-mails sort after "+1…" phones; prefer an e-mail when there is one, it is the more
	// specific key.
	for _, k := range keys {
		if strings.Contains(k, "@") {
			return k
		}
	}
	return keys[0]
}

func statusOf(r prospectContact, latest map[int64]string) string {
	if s := deref(r.Status); s != "" {
		return s
	}
	return latest[r.ID]
}

// latestStatuses returns each prospect's latest stage-type leasing event, used when the
// prospect record carries no status.
func latestStatuses(ctx context.Context, store *models.Store, tenant string) (map[int64]string, error) {
	return store.LatestEventTypes(ctx, tenant, rentengine.NonStatusEventTypes)
}

// --- assignments ---

type assignDesired struct {
	ProspectID  int64  `json:"prospect_id"`
	UserID      string `json:"user_id"`
	ApplyInBulk bool   `json:"apply_in_bulk"`
}

// planAssignments assigns each linked RentEngine prospect to the RentEngine user its Funnel
// client's agent maps to, when that differs from the prospect's current assignee (its latest
// "Assign to User" event in the mirror).
//
// An assignment syncd already pushed is not pushed again for the same agent, even if someone
// later re-assigns the prospect in RentEngine: a person's choice there wins until the Funnel
// agent changes. An attempt whose outcome is unknown (the process died, or the call failed after
// it may have been sent) is repeated only after a RentEngine pull that finished later (and listed
// leasing events: a succeeded run, or a partial one in which they were available) still shows a
// different assignee: the POST creates an event, so it must never be sent twice blindly.
func planAssignments(ctx context.Context, store *models.Store, t *tenants.Tenant, ledger map[ledgerKey]models.PushLedger, av availability, p *Plan) error {
	as := t.Push.Assignments.Resolved()
	bulk, notes := as.ApplyInBulk, as.Notes
	agents := map[string]string{}
	for email, user := range t.Agents {
		agents[strings.ToLower(strings.TrimSpace(email))] = strings.ToLower(user)
	}

	links, err := store.LinkedProspects(ctx, t.ID)
	if err != nil {
		return err
	}
	current, err := currentAssignees(ctx, store, t.ID)
	if err != nil {
		return err
	}
	lastPull := av.eventsPulled

	// With applyActionInBulk one call assigns every prospect sharing the phone: plan one change
	// per phone and user, covering the group.
	bulkChange := map[string]int{}
	for _, l := range links {
		agent := strings.ToLower(strings.TrimSpace(deref(l.AgentEmail)))
		if agent == "" {
			p.Skipped["linked client has no agent"]++
			continue
		}
		user, ok := agents[agent]
		if !ok {
			p.Unmapped[agent]++
			continue
		}
		p.Targets++
		target := "prospect:" + strconv.FormatInt(l.ProspectID, 10)
		key := ledgerKey{models.PushAssignment, target}
		desired, hash := hashOf(assignDesired{ProspectID: l.ProspectID, UserID: user, ApplyInBulk: bulk})
		row, inLedger := ledger[key]
		cur := current[l.ProspectID]
		if strings.EqualFold(cur, user) {
			p.Unchanged++
			// The mirror shows the assignment: an attempt whose outcome was unknown landed.
			if inLedger && row.DesiredHash == hash && (row.PushedHash == nil || *row.PushedHash != hash) {
				p.confirmed = append(p.confirmed, key)
			}
			continue
		}
		if inLedger && row.PushedHash != nil && *row.PushedHash == hash {
			// The mirror shows someone else: a person re-assigned it in RentEngine after we did.
			p.Skipped["pushed earlier; changed in RentEngine since"]++
			continue
		}
		if p.settled(row, inLedger, hash) {
			continue
		}
		if inLedger && row.DesiredHash == hash && row.IntentAt != nil && (lastPull == nil || !lastPull.After(*row.IntentAt)) {
			p.Skipped["earlier attempt not yet confirmed by a RentEngine pull"]++
			continue
		}
		phone := deref(l.PhoneE164)
		if bulk && phone != "" {
			gk := phone + "\x00" + user
			if i, ok := bulkChange[gk]; ok {
				p.Changes[i].covers = append(p.Changes[i].covers, target)
				continue
			}
			bulkChange[gk] = len(p.Changes)
		}
		p.Changes = append(p.Changes, Change{
			Kind: models.PushAssignment, Target: target, Before: "user " + cmp.Or(cur, "none"),
			After: "user " + user + " (agent " + agent + ")", Desired: desired, Hash: hash,
			assign: &rentengine.Assignment{ProspectID: l.ProspectID, UserIDs: []string{user}, ApplyInBulk: bulk,
				Source: rentengine.SourceAutomation, Notes: notes},
		})
	}
	return nil
}

// currentAssignees returns each prospect's latest "Assign to User" user.
func currentAssignees(ctx context.Context, store *models.Store, tenant string) (map[int64]string, error) {
	out, err := store.LatestAssignees(ctx, tenant, rentengine.EventAssignToUser)
	if err != nil {
		return nil, err
	}
	for id, user := range out {
		out[id] = strings.ToLower(user)
	}
	return out, nil
}

func lastSuccess(ctx context.Context, store *models.Store, tenant, job string) (*time.Time, error) {
	return store.LastSuccess(ctx, tenant, job)
}

// --- renewal status ---

func planRenewals(ctx context.Context, store *models.Store, t *tenants.Tenant, ledger map[ledgerKey]models.PushLedger, _ availability, p *Plan) error {
	tpls := templates(t.Push.RenewalStatus)
	rows, err := store.LiveRenewals(ctx, t.ID)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.FunnelRenterID == nil || r.FunnelUnitID == nil {
			p.Skipped["renewal without renter or unit id"]++
			continue
		}
		card, ok, err := render(tpls, r)
		if err != nil {
			return err
		}
		if !ok {
			p.Skipped["renewal status without a template"]++
			continue
		}
		p.Targets++
		target := fmt.Sprintf("%s/%d/%d", r.CommunityID, *r.FunnelRenterID, *r.FunnelUnitID)
		desired, hash := hashOf(card)
		row, inLedger := ledger[ledgerKey{models.PushRenewalStatus, target}]
		if p.settled(row, inLedger, hash) {
			continue
		}
		before := "none"
		if prev, ok := previous[funnel.RenewalCard](row, inLedger); ok {
			before = describeCard(prev)
		}
		p.Changes = append(p.Changes, Change{
			Kind: models.PushRenewalStatus, Target: target, Before: before,
			After: describeCard(card) + " (" + deref(r.Status) + ")", Desired: desired, Hash: hash,
			renewal: &renewalCall{community: r.CommunityID, renter: *r.FunnelRenterID, unitID: *r.FunnelUnitID, card: card},
		})
	}
	return nil
}

func describeCard(c funnel.RenewalCard) string {
	if c.CardStatus != nil && !*c.CardStatus {
		return "card hidden"
	}
	return strconv.Quote(deref(c.Header))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
