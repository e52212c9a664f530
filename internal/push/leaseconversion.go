package push

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/funnelflux"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// Lease conversions (kind lease_conversion).
//
// A RentEngine prospect that reaches a configured stage (its status, or a live leasing event of
// that type) and whose raw record holds a FunnelFlux hit id (push.lease_conversion.hit_id) gets
// one conversion update: hit id, a transaction id derived from the prospect and the stage (so a
// re-send updates the same conversion instead of adding one), the stage's payout and
// postbackCalls. Targets are prospect:<id>/<stage>.
//
// FunnelFlux only queues the update. The funnelflux job's conversion report confirms it
// (push_ledger.confirmed_at, funnelflux_lease_conversions). Hence:
//
//   - a prospect without a hit id is skipped with reason no_hit_id;
//   - a conversion pushed with the same payload is unchanged; once it has waited longer than
//     unconfirmed_after days without confirmation it is reported (reason unconfirmed: the plan,
//     the run's details, syncd_push_skipped and a warning), never re-sent on that account;
//   - an attempt whose outcome is unknown (the process died between the call and its outcome) is
//     not repeated blindly either: it waits for the report, and is reported like the above;
//   - a failed attempt is repeated by the next run (the transaction id keeps it idempotent).

// SkipNoHitID and SkipUnconfirmed are lease_conversion's skip reasons (Plan.Skips).
const (
	SkipNoHitID     = "no_hit_id"
	SkipUnconfirmed = "unconfirmed"
	// SkipAwaitingReport counts conversions sent (or possibly sent) and not yet confirmed,
	// within unconfirmed_after.
	SkipAwaitingReport = "awaiting_report"
)

func init() {
	skipText[SkipNoHitID] = "lease conversion: no FunnelFlux hit id in the prospect's record (push.lease_conversion.hit_id)"
	skipText[SkipAwaitingReport] = "lease conversion: sent, waiting for a FunnelFlux report to confirm it"
	skipText[SkipUnconfirmed] = "lease conversion: sent more than unconfirmed_after days ago and still not confirmed by a FunnelFlux report; check it in FunnelFlux (not re-sent)"
}

// ConversionSender submits conversion updates; *funnelflux.Client implements it.
type ConversionSender interface {
	UpdateConversions(ctx context.Context, u funnelflux.ConversionUpdate) error
}

var _ ConversionSender = (*funnelflux.Client)(nil)

// conversionDesired is a lease conversion's payload, as compared with the ledger.
type conversionDesired struct {
	HitID         string   `json:"hit_id"`
	Transaction   string   `json:"transaction"`
	Payout        *float64 `json:"payout"`
	PostbackCalls string   `json:"postback_calls"`
	ProspectID    int64    `json:"prospect_id"`
	Stage         string   `json:"stage"`
}

// TransactionID is the conversion's transaction id for a prospect and stage:
// syncd-lease-<prospect>-<stage in lower case, runs of other characters as one '-'>.
func TransactionID(prospect int64, stage string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(stage) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return "syncd-lease-" + strconv.FormatInt(prospect, 10) + "-" + b.String()
}

func conversionTarget(prospect int64, stage string) string {
	return "prospect:" + strconv.FormatInt(prospect, 10) + "/" + stage
}

// HitID reads a prospect's hit id from its raw RentEngine record as configured ("" = none).
func HitID(raw []byte, src tenants.HitIDSource) string {
	text := string(raw)
	if src.Path != "" {
		var v any
		if json.Unmarshal(raw, &v) != nil {
			return ""
		}
		for _, k := range strings.Split(src.Path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				return ""
			}
			v = m[k]
		}
		switch x := v.(type) {
		case string:
			text = x
		case float64:
			text = strconv.FormatFloat(x, 'f', -1, 64)
		case nil:
			return ""
		default:
			b, _ := json.Marshal(x)
			text = string(b)
		}
	}
	if src.Regexp != nil {
		m := src.Regexp.FindStringSubmatch(text)
		switch {
		case m == nil:
			return ""
		case len(m) > 1:
			text = m[1]
		default:
			text = m[0]
		}
	}
	return strings.TrimSpace(text)
}

// planLeaseConversions plans the lease conversions of a tenant (see the comment at the top).
func planLeaseConversions(ctx context.Context, store *models.Store, t *tenants.Tenant, ledger map[ledgerKey]models.PushLedger,
	_ availability, p *Plan, now time.Time) error {
	lc := t.Push.LeaseConversion.Resolved()
	stages := make([]string, 0, len(lc.Stages))
	for st := range lc.Stages {
		stages = append(stages, st)
	}
	slices.Sort(stages)
	prospects, err := store.ProspectsAtStages(ctx, t.ID, stages)
	if err != nil {
		return err
	}
	overdue := time.Duration(lc.UnconfirmedAfter) * 24 * time.Hour
	kind := models.PushLeaseConversion
	p.skip(kind, SkipNoHitID, 0)
	p.skip(kind, SkipUnconfirmed, 0)
	for _, pr := range prospects {
		hit := HitID(pr.Raw, lc.HitID)
		for _, stage := range pr.Stages {
			if hit == "" {
				p.skip(kind, SkipNoHitID, 1)
				continue
			}
			p.Targets++
			target := conversionTarget(pr.ID, stage)
			d := conversionDesired{HitID: hit, Transaction: TransactionID(pr.ID, stage), Payout: lc.Stages[stage].Payout,
				PostbackCalls: lc.PostbackCalls, ProspectID: pr.ID, Stage: stage}
			desired, hash := hashOf(d)
			row, inLedger := ledger[ledgerKey{kind, target}]
			sent := inLedger && row.IntentAt != nil && row.DesiredHash == hash &&
				(row.State == models.PushPlanned || row.PushedHash != nil && *row.PushedHash == hash)
			if sent {
				switch {
				case row.ConfirmedAt != nil:
					p.Unchanged++
				case now.Sub(*row.IntentAt) > overdue:
					p.skip(kind, SkipUnconfirmed, 1)
					p.Overdue = append(p.Overdue, target)
				default:
					p.skip(kind, SkipAwaitingReport, 1)
				}
				continue
			}
			before := "none"
			if prev, ok := previous[conversionDesired](row, inLedger); ok {
				before = describeConversion(prev)
			}
			p.Changes = append(p.Changes, Change{Kind: kind, Target: target, Before: before,
				After: describeConversion(d), Desired: desired, Hash: hash,
				conversion: &funnelflux.ConversionUpdate{PostbackCalls: d.PostbackCalls,
					Hits: []funnelflux.ConvertedHit{{HitID: d.HitID, Transaction: d.Transaction, Payout: d.Payout}}}})
		}
	}
	return nil
}

func describeConversion(d conversionDesired) string {
	payout := "default payout"
	if d.Payout != nil {
		payout = "payout " + strconv.FormatFloat(*d.Payout, 'f', -1, 64)
	}
	return fmt.Sprintf("conversion %s on hit %s (%s, postbacks %s)", d.Transaction, d.HitID, payout, d.PostbackCalls)
}

// PendingConversion is a lease conversion sent (or possibly sent) that no report has confirmed.
type PendingConversion struct {
	Target      string
	Transaction string
	ProspectID  int64
	Stage       string
	// Since is when it was first attempted.
	Since time.Time
}

// PendingConversions lists the tenant's unconfirmed lease conversions, for the funnelflux job's
// conversion report to confirm.
func PendingConversions(ctx context.Context, store *models.Store, tenant string) ([]PendingConversion, error) {
	rows, err := store.UnconfirmedConversions(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]PendingConversion, 0, len(rows))
	for _, r := range rows {
		var d conversionDesired
		if json.Unmarshal(r.Desired, &d) != nil || d.Transaction == "" {
			continue
		}
		out = append(out, PendingConversion{Target: r.TargetKey, Transaction: d.Transaction, ProspectID: d.ProspectID,
			Stage: d.Stage, Since: r.CreatedAt})
	}
	return out, nil
}
