package push

// Customer scores go to Funnel clients, never to contact details alone.
//
// Funnel's customer-score call takes an e-mail and/or a phone and sets the score on whichever of
// the company's clients matches them: the e-mail first, among every client of every community;
// the phone narrows several e-mail matches down; the phone alone is used only without an e-mail
// match. When several clients are left, Funnel picks one silently. So a score sent for a
// RentEngine person's own contact details lands, when that person has no Funnel client, nowhere
// (404 RenterNotFound, a request wasted), and when the e-mail is shared, possibly on a stranger.
//
// syncd therefore scores Funnel clients: each live client that at least one RentEngine
// prospect's identity link resolves to without ambiguity gets one score, the highest of its
// linked prospects' status scores, in the ledger as funnel-client:<id>. The payload is built from
// the client's own contact details, normalised as the link was made, so that Funnel's matching
// picks that client and no other the mirror knows (identity.Index.Identify):
//   - an e-mail only this client has, alone;
//   - else an e-mail with the phone that narrows it down to this client;
//   - else, when the client has no usable e-mail, a phone only it has;
//   - else nothing is sent ("ambiguous").
//
// What the mirror cannot know: clients of the company's communities syncd does not mirror. One
// of them sharing the e-mail (and, where sent, the phone) can still take the score.
//
// With push.customer_scores.targets: all, RentEngine persons that match no client at all in the
// mirror (merged and deleted ones included) are scored too, blind, with their own e-mail and
// phone, under contact:<key>: for a company whose other communities syncd does not mirror, where
// such a person may well be a client. A person whose link is ambiguous is never scored, in
// either mode.
//
// Ledger rows of the earlier scheme (person:<key>, one score per RentEngine person, hashed with
// its contact details) are rewritten before planning: to funnel-client:<id> when the contact
// details last pushed match exactly one live client in the mirror, the client the score landed
// on; otherwise to contact:<key>. Both schemes' values compare by score alone (see valueHash), so
// a client whose score is unchanged is not sent again.

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/identity"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// Customer-score target prefixes.
const (
	// TargetFunnelClient names a Funnel client by id.
	TargetFunnelClient = "funnel-client:"
	// TargetContact names an unlinked person, scored blind, by their smallest contact key (an
	// e-mail when they have one).
	TargetContact = "contact:"
	// targetLegacyPerson is the earlier scheme's target, rewritten before planning.
	targetLegacyPerson = "person:"
)

// Reasons a customer score is not planned: the labels of Plan.Skips and of the
// syncd_push_skipped metric.
const (
	// SkipUnlinked: no Funnel client in the mirror matches the person (with targets: linked), or
	// the person's identity links are not yet computed.
	SkipUnlinked = "unlinked"
	// SkipAmbiguous: the person matches several Funnel clients, or their client's contact
	// details do not single it out among the mirror's clients.
	SkipAmbiguous = "ambiguous"
	// SkipNoStatusScore: no prospect of the client (or blind person) has a status with a score.
	SkipNoStatusScore = "no_status_score"
	// SkipClientDeleted: the person's contact details match only Funnel clients that are merged
	// or deleted.
	SkipClientDeleted = "client_deleted"
)

// ScoreSkipReasons lists the reasons in a stable order.
var ScoreSkipReasons = []string{SkipUnlinked, SkipAmbiguous, SkipNoStatusScore, SkipClientDeleted}

// skipText words each reason for Plan.Skipped (plan output, run details).
var skipText = map[string]string{
	SkipUnlinked:      "customer score: unlinked (no Funnel client in the mirror is this person)",
	SkipAmbiguous:     "customer score: ambiguous (nothing narrows the match down to one Funnel client)",
	SkipNoStatusScore: "customer score: no status score (no prospect of the person has a scored status)",
	SkipClientDeleted: "customer score: client deleted (the person's Funnel client is merged or deleted)",
}

// skip counts n targets of a kind left alone for reason, in Skips and in Skipped.
func (p *Plan) skip(kind, reason string, n int) {
	if p.Skips == nil {
		p.Skips = map[string]map[string]int{}
	}
	if p.Skips[kind] == nil {
		p.Skips[kind] = map[string]int{}
	}
	p.Skips[kind][reason] += n
	if n > 0 {
		p.Skipped[cmp.Or(skipText[reason], reason)] += n
	}
}

// scoreValue is what a score target holds upstream: the ledger compares scores by it alone, not
// by the contact details that reached the client.
type scoreValue struct {
	ScoreName    string `json:"score_name"`
	ScoreValue   int    `json:"score_value"`
	MaximumScore int    `json:"maximum_score"`
}

// valueHash is the ledger hash of a score payload: its value, without the contact details.
func valueHash(d scoreDesired) string {
	_, h := hashOf(scoreValue{ScoreName: d.ScoreName, ScoreValue: d.ScoreValue, MaximumScore: d.MaximumScore})
	return h
}

// linkState is what identity_links says of one RentEngine prospect.
type linkState struct {
	client    int64 // the one client of a usable link, or 0
	ambiguous bool
}

// planCustomerScores plans one score per linked Funnel client (and, with targets: all, one per
// blind person). See the top of this file.
//
// A member whose prospect record carries no status takes the type of its latest leasing event;
// while leasing events are unavailable upstream (and no webhook keeps them current), a person
// with such a member is skipped rather than scored from stale events.
func planCustomerScores(ctx context.Context, store *models.Store, t *tenants.Tenant, ledger map[ledgerKey]models.PushLedger, av availability, p *Plan) error {
	cs := t.Push.CustomerScores.Resolved()
	name, maxScore, all := cs.ScoreName, cs.MaximumScore, cs.Targets == tenants.ScoreTargetsAll
	table := cs.Stages
	for _, r := range ScoreSkipReasons {
		p.skip(models.PushCustomerScore, r, 0) // every reason reported, zero included
	}

	live, gone, err := identity.LoadClients(ctx, store, t.ID)
	if err != nil {
		return err
	}
	migrateScoreTargets(ledger, live, p)

	rows, err := store.ProspectContacts(ctx, t.ID)
	if err != nil {
		return err
	}
	latest, err := latestStatuses(ctx, store, t.ID)
	if err != nil {
		return err
	}
	links, err := prospectLinks(ctx, store, t.ID)
	if err != nil {
		return err
	}

	// Sort every prospect into the client it scores or the reason it does not.
	byClient := map[int64][]prospectContact{}
	var unlinked, stale, ambiguous, deleted []prospectContact
	for _, r := range rows {
		l := links[r.ID]
		email, phone := deref(r.EmailNormalized), deref(r.PhoneE164)
		switch {
		case l.ambiguous:
			ambiguous = append(ambiguous, r)
		case l.client != 0 && live.Has(l.client):
			byClient[l.client] = append(byClient[l.client], r)
		case l.client != 0:
			// Linked before its client was merged or deleted, and not recomputed since.
			deleted = append(deleted, r)
		case len(live.Match(r.ID, email, phone)) > 0:
			// The mirror has a client for it, but its links are not computed yet (a webhook
			// brought the prospect or its new contact details): the next pull links it.
			stale = append(stale, r)
		case len(gone.Match(r.ID, email, phone)) > 0:
			deleted = append(deleted, r)
		default:
			unlinked = append(unlinked, r)
		}
	}
	p.skip(models.PushCustomerScore, SkipAmbiguous, len(persons(ambiguous)))
	p.skip(models.PushCustomerScore, SkipClientDeleted, len(persons(deleted)))
	if all {
		p.skip(models.PushCustomerScore, SkipUnlinked, len(persons(stale)))
	} else {
		p.skip(models.PushCustomerScore, SkipUnlinked, len(persons(slices.Concat(unlinked, stale))))
	}

	eventsStale := av.stale(tenants.JobRentEngine, string(rentengine.LeasingEvents))
	// staleStatus reports (and counts) a person whose status would come from stale events.
	staleStatus := func(members []prospectContact) bool {
		if eventsStale == "" {
			return false
		}
		for _, r := range members {
			if deref(r.Status) == "" {
				p.Skipped["status derived from leasing events: "+eventsStale]++
				return true
			}
		}
		return false
	}
	best := func(members []prospectContact) (prospectContact, int, bool) {
		var who prospectContact
		score := -1
		for _, r := range members {
			if v, ok := table[statusOf(r, latest)]; ok && v > score {
				who, score = r, v
			}
		}
		return who, score, score >= 0
	}
	plan := func(target string, who prospectContact, score int, d scoreDesired, how string) {
		p.Targets++
		desired, _ := hashOf(d)
		hash := valueHash(d)
		row, ok := ledger[ledgerKey{models.PushCustomerScore, target}]
		if p.settledScore(row, ok, hash, d) {
			return
		}
		before := "none"
		if prev, ok := previous[scoreDesired](row, ok); ok {
			before = strconv.Itoa(prev.ScoreValue)
		}
		p.Changes = append(p.Changes, Change{
			Kind: models.PushCustomerScore, Target: target, Before: before,
			After:   fmt.Sprintf("%d/%d (%s) by %s", score, maxScore, statusOf(who, latest), how),
			Desired: desired, Hash: hash,
			score: &funnel.CustomerScore{Name: name, Value: score, Maximum: maxScore, Email: d.Email, Phone: d.Phone},
		})
	}

	clients := make([]int64, 0, len(byClient))
	for id := range byClient {
		clients = append(clients, id)
	}
	slices.Sort(clients)
	for _, id := range clients {
		email, phone, ok := live.Identify(id)
		if !ok {
			p.skip(models.PushCustomerScore, SkipAmbiguous, 1)
			continue
		}
		if staleStatus(byClient[id]) {
			continue
		}
		who, score, ok := best(byClient[id])
		if !ok {
			p.skip(models.PushCustomerScore, SkipNoStatusScore, 1)
			continue
		}
		d := scoreDesired{ScoreName: name, ScoreValue: score, MaximumScore: maxScore, Email: email, Phone: phone}
		plan(TargetFunnelClient+strconv.FormatInt(id, 10), who, score, d, describeContacts(email, phone))
	}

	if !all {
		return nil
	}
	for _, person := range persons(unlinked) {
		if staleStatus(person) {
			continue
		}
		who, score, ok := best(person)
		if !ok {
			p.skip(models.PushCustomerScore, SkipNoStatusScore, 1)
			continue
		}
		var keys []string
		for _, r := range person {
			for _, k := range []*string{r.EmailNormalized, r.PhoneE164} {
				if k != nil && *k != "" {
					keys = append(keys, *k)
				}
			}
		}
		d := scoreDesired{ScoreName: name, ScoreValue: score, MaximumScore: maxScore,
			Email: deref(who.EmailNormalized), Phone: deref(who.PhoneE164)}
		plan(TargetContact+personKey(keys), who, score, d, describeContacts(d.Email, d.Phone)+", unlinked")
	}
	return nil
}

func describeContacts(email, phone string) string {
	switch {
	case email != "" && phone != "":
		return "e-mail and phone"
	case email != "":
		return "e-mail"
	}
	return "phone"
}

// settledScore is settled for scores: a target whose pushed score has the same value is
// unchanged, however the client was reached; one Funnel did not match is retried once the value
// or the contact details to send change.
func (p *Plan) settledScore(row models.PushLedger, ok bool, hash string, d scoreDesired) bool {
	switch {
	case !ok:
		return false
	case row.PushedHash != nil && *row.PushedHash == hash:
		p.Unchanged++
		return true
	case row.State == models.PushUnmatched && row.DesiredHash == hash:
		var prev scoreDesired
		if json.Unmarshal(row.Desired, &prev) == nil && prev.Email == d.Email && prev.Phone == d.Phone {
			p.Skipped["unmatched upstream; waiting for the record to change"]++
			return true
		}
	}
	return false
}

// prospectLinks reads what identity_links says of each RentEngine prospect of the tenant.
func prospectLinks(ctx context.Context, store *models.Store, tenant string) (map[int64]linkState, error) {
	rows, err := store.IdentityLinks(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]linkState, len(rows))
	for _, l := range rows {
		s := out[l.RentEngineProspectID]
		switch l.Status {
		case models.LinkLinked:
			s.client = l.FunnelClientID
		default:
			s.ambiguous = true
		}
		out[l.RentEngineProspectID] = s
	}
	return out, nil
}

// persons groups prospects into people: prospects sharing an e-mail or a phone are one person
// (one prospect per unit of interest). Groups come in the order of their first prospect.
func persons(rows []prospectContact) [][]prospectContact {
	parent := make([]int, len(rows))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	byKey := map[string]int{}
	for i, r := range rows {
		for _, k := range []*string{r.EmailNormalized, r.PhoneE164} {
			if k == nil || *k == "" {
				continue
			}
			if j, ok := byKey[*k]; ok {
				parent[find(i)] = find(j)
			} else {
				byKey[*k] = i
			}
		}
	}
	groups := map[int][]prospectContact{}
	var roots []int
	for i, r := range rows {
		root := find(i)
		if _, ok := groups[root]; !ok {
			roots = append(roots, root)
		}
		groups[root] = append(groups[root], r)
	}
	sort.Slice(roots, func(a, b int) bool { return groups[roots[a]][0].ID < groups[roots[b]][0].ID })
	out := make([][]prospectContact, len(roots))
	for i, root := range roots {
		out[i] = groups[root]
	}
	return out
}

// migrateScoreTargets rewrites, in the ledger as read, the customer-score rows of the earlier
// scheme (person:<key>), and records the rewrites in p for Execute to persist before it pushes
// anything. A plan that is never executed (plan mode, dry run) rewrites them again in memory
// next time; once persisted, no person: row is left.
//
// A row whose last pushed payload's contact details match exactly one live client of the mirror
// (Funnel's own matching, identity.Index.FunnelMatch) becomes that client's row: the score
// landed there. When several rows land on one client, the one pushed last does (it set the
// client's current score); the others, and every row never pushed or matching no client or
// several, become contact:<key> rows, which only targets: all reads. A destination that exists
// already keeps its row, and the old row is deleted (its calls stay in push_attempts).
func migrateScoreTargets(ledger map[ledgerKey]models.PushLedger, live *identity.Index, p *Plan) {
	var legacy []models.PushLedger
	for k, row := range ledger {
		if k.kind == models.PushCustomerScore && strings.HasPrefix(k.target, targetLegacyPerson) {
			legacy = append(legacy, row)
		}
	}
	// Pushed rows first, the latest first, so the last score to land on a client claims it.
	slices.SortFunc(legacy, func(a, b models.PushLedger) int {
		at := func(r models.PushLedger) time.Time {
			if r.PushedAt == nil || len(r.Pushed) == 0 {
				return time.Time{}
			}
			return *r.PushedAt
		}
		return cmp.Or(at(b).Compare(at(a)), strings.Compare(a.TargetKey, b.TargetKey))
	})
	free := func(target string) bool {
		_, taken := ledger[ledgerKey{models.PushCustomerScore, target}]
		return !taken
	}
	for _, row := range legacy {
		from := row.TargetKey
		to := TargetContact + strings.TrimPrefix(from, targetLegacyPerson)
		var pushed scoreDesired
		if len(row.Pushed) > 0 && json.Unmarshal(row.Pushed, &pushed) == nil {
			if ids := live.FunnelMatch(pushed.Email, pushed.Phone); len(ids) == 1 {
				if c := TargetFunnelClient + strconv.FormatInt(ids[0], 10); free(c) {
					to = c
				}
			}
		}
		delete(ledger, ledgerKey{models.PushCustomerScore, from})
		if !free(to) {
			p.moves = append(p.moves, models.LedgerMove{Kind: models.PushCustomerScore, From: from})
			continue
		}
		var desired scoreDesired
		if json.Unmarshal(row.Desired, &desired) == nil {
			row.DesiredHash = valueHash(desired)
		}
		if len(row.Pushed) > 0 && row.PushedHash != nil {
			h := valueHash(pushed)
			row.PushedHash = &h
		}
		row.TargetKey = to
		ledger[ledgerKey{models.PushCustomerScore, to}] = row
		p.moves = append(p.moves, models.LedgerMove{Kind: models.PushCustomerScore, From: from, To: to,
			DesiredHash: row.DesiredHash, PushedHash: row.PushedHash})
	}
}

// persistMoves writes the plan's ledger rewrites, in one transaction, before any push.
func persistMoves(ctx context.Context, env Env, plan *Plan, now time.Time) error {
	if len(plan.moves) == 0 {
		return nil
	}
	if err := env.Store.MovePushTargets(ctx, env.Tenant, plan.moves, now); err != nil {
		return err
	}
	plan.moves = nil
	return nil
}
