package push

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/models"
)

// The calls a push makes, declared here where they are used; the funnel and rentengine clients
// implement them.
type (
	ScoreSender interface {
		PostCustomerScore(ctx context.Context, s funnel.CustomerScore) (funnel.CustomerScoreResult, error)
	}
	RenewalSender interface {
		SetRenewalStatus(ctx context.Context, community string, renterID, unitID int64, card funnel.RenewalCard) (int64, error)
	}
	Assigner interface {
		AssignToUser(ctx context.Context, a rentengine.Assignment) ([]rentengine.LeasingEvent, error)
	}
)

var (
	_ ScoreSender   = (*funnel.Client)(nil)
	_ RenewalSender = (*funnel.Client)(nil)
	_ Assigner      = (*rentengine.Client)(nil)
)

// Hooks let tests stop a push at its most delicate points (a crash between intent and outcome).
type Hooks struct {
	// AfterIntent runs once the intent is written, before the call.
	AfterIntent func(ctx context.Context, c Change)
	// AfterCall runs once the call returned, before its outcome is written.
	AfterCall func(ctx context.Context, c Change, err error)
}

// Env is what Execute needs.
type Env struct {
	Store    *models.Store
	Tenant   string
	RunID    string
	Log      *zap.Logger
	Now      func() time.Time
	Scores   ScoreSender
	Renewals RenewalSender
	Assign   Assigner
	// Conversions sends lease conversions (nil when the tenant has no FunnelFlux).
	Conversions ConversionSender
	Hooks       *Hooks
	// Observe is told each attempt's outcome ("pushed", "failed", "unverified", "unmatched") per
	// kind. An unverified push is a failure (see models.PushUnverified).
	Observe func(kind, outcome string)
	// Failed is told the reason of each failed or unverified attempt per kind: the upstream
	// error kind's name (upstream.Kind: auth, rate_limited, invalid, ..., unverified).
	Failed func(kind, reason string)
}

// Result counts outcomes per kind.
type Result struct {
	Pushed    map[string]int `json:"pushed"`
	Failed    map[string]int `json:"failed"`
	Unmatched map[string]int `json:"unmatched"`
	// Unverified counts, among Failed, the pushes answered 2xx without the documented answer.
	Unverified map[string]int `json:"unverified,omitempty"`
	// Confirmed counts earlier attempts with an unknown outcome that the mirror showed landed.
	Confirmed int `json:"confirmed,omitempty"`
}

// Failures is the number of failed pushes.
func (r Result) Failures() int {
	n := 0
	for _, v := range r.Failed {
		n += v
	}
	return n
}

// Execute applies a plan: for each change, intent, call, outcome. A failed push does not stop the
// others, except one whose credential was rejected: every further call would be refused too, so
// Execute stops there, leaving the remaining changes unsent and their ledger rows as they were,
// and returns an error that is upstream.ErrCredentialsRejected. Otherwise the returned error
// reports the run's context ending or the ledger becoming unwritable.
func Execute(ctx context.Context, env Env, plan *Plan) (Result, error) {
	res := Result{Pushed: map[string]int{}, Failed: map[string]int{}, Unmatched: map[string]int{}}
	now := env.Now
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	if err := persistMoves(ctx, env, plan, now()); err != nil {
		return res, err
	}
	for _, k := range plan.confirmed {
		if err := env.Store.ConfirmPushed(ctx, env.Tenant, k.kind, k.target, now()); err != nil {
			return res, err
		}
		res.Confirmed++
	}
	for i, c := range plan.Changes {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		outcome, callErr, err := execOne(ctx, env, c, now)
		if err != nil {
			return res, err
		}
		switch outcome {
		case models.PushPushed:
			res.Pushed[c.Kind]++
		case models.PushUnmatched:
			res.Unmatched[c.Kind]++
		case models.PushUnverified:
			res.Failed[c.Kind]++
			if res.Unverified == nil {
				res.Unverified = map[string]int{}
			}
			res.Unverified[c.Kind]++
		default:
			res.Failed[c.Kind]++
		}
		if env.Observe != nil {
			env.Observe(c.Kind, outcome)
		}
		if env.Failed != nil && (outcome == models.PushFailed || outcome == models.PushUnverified) {
			env.Failed(c.Kind, FailureReason(callErr))
		}
		if outcome == models.PushFailed && errors.Is(callErr, upstream.ErrCredentialsRejected) {
			return res, fmt.Errorf("stopped after %d of %d pushes, the rest not sent: %w", i+1, len(plan.Changes), callErr)
		}
	}
	return res, nil
}

// FailureReason names why a push failed, for metrics: the upstream error kind of the call's
// error (upstream.Kind's name), "unknown" when it carries none.
func FailureReason(callErr error) string {
	return upstream.KindOf(callErr).String()
}

// execOne pushes one change and records its outcome. It returns the attempt's outcome (pushed,
// failed, unverified or unmatched), the call's failure (already recorded) and a failure to
// record.
//
// An unverified answer (a 2xx that is not the documented answer, upstream.KindUnverified) is a
// failure whose write may have landed. The ledger records it as failed, like any failure after
// the request was sent, so the same rules decide what happens next: a score or card is sent
// again by the next run, an assignment only once a later RentEngine pull still does not show it.
// Nothing is repeated within the run: the upstream layer never retries such an answer.
func execOne(ctx context.Context, env Env, c Change, now func() time.Time) (string, error, error) {
	log := env.Log.With(zap.String("kind", c.Kind), zap.String("target", c.Target))
	if err := writeIntent(ctx, env, c, c.Target, now()); err != nil {
		return "", nil, err
	}
	if env.Hooks != nil && env.Hooks.AfterIntent != nil {
		env.Hooks.AfterIntent(ctx, c)
	}

	var (
		sent     any
		response any
		callErr  error
	)
	switch {
	case c.score != nil:
		s := *c.score
		s.SubmittedAt = now()
		sent = map[string]any{"score_name": s.Name, "score_value": s.Value, "maximum_score": s.Maximum,
			"submitted_at": s.SubmittedAt.Format(funnel.ScoreTimeLayout), "email": s.Email, "phone": s.Phone}
		response, callErr = env.Scores.PostCustomerScore(ctx, s)
	case c.assign != nil:
		sent = c.assign
		response, callErr = env.Assign.AssignToUser(ctx, *c.assign)
	case c.conversion != nil:
		if env.Conversions == nil {
			return "", nil, fmt.Errorf("push %s %s: no FunnelFlux client", c.Kind, c.Target)
		}
		sent = c.conversion
		callErr = env.Conversions.UpdateConversions(ctx, *c.conversion)
		// The update is only queued upstream; the funnelflux job's report confirms it.
		response = map[string]bool{"queued": true}
	case c.renewal != nil:
		sent = c.renewal.card
		var id int64
		id, callErr = env.Renewals.SetRenewalStatus(ctx, c.renewal.community, c.renewal.renter, c.renewal.unitID, c.renewal.card)
		response = map[string]int64{"renewal_status_id": id}
	default:
		return "", nil, fmt.Errorf("push %s %s: change has no call", c.Kind, c.Target)
	}
	if env.Hooks != nil && env.Hooks.AfterCall != nil {
		env.Hooks.AfterCall(ctx, c, callErr)
	}

	// outcome is the ledger's state; attempt is push_attempts' outcome, which tells an
	// unverified answer apart from other failures.
	outcome, attempt := models.PushPushed, ""
	var status *int
	var ue *upstream.Error
	if errors.As(callErr, &ue) && ue.Status != 0 {
		s := ue.Status
		status = &s
	}
	switch {
	case callErr == nil:
		s := 200
		status = &s
	case funnel.IsRenterNotFound(callErr) || funnel.IsLeaseNotFound(callErr):
		outcome = models.PushUnmatched
		log.Info("push target not found upstream; recorded as unmatched", zap.Error(callErr))
	case upstream.KindOf(callErr) == upstream.KindUnverified:
		outcome, attempt = models.PushFailed, models.PushUnverified
		response = map[string]string{"content_type": ue.ContentType, "body": ue.Body}
		log.Warn("push answered without the documented answer, so it may or may not have been applied; recorded as failed",
			zap.Error(callErr))
	default:
		outcome = models.PushFailed
		log.Warn("push failed", zap.Error(callErr))
	}
	attempt = cmp.Or(attempt, outcome)
	// The outcome is written even when the run's context has just ended: the call is over, and
	// the ledger must say how it went.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	at := now()
	o := models.PushOutcome{State: outcome, Covers: c.covers, Desired: models.JSON(c.Desired), DesiredHash: c.Hash, At: at,
		Attempt: models.PushAttempt{TenantID: env.Tenant, Kind: c.Kind, TargetKey: c.Target, RunID: env.RunID,
			AttemptedAt: at, StatusCode: status, Outcome: attempt, Payload: mustJSON(sent)}}
	if callErr != nil {
		msg := callErr.Error()
		o.LastError, o.Attempt.Error = msg, &msg
	}
	if callErr == nil || attempt == models.PushUnverified {
		o.Attempt.Response = mustJSON(response)
	}
	if err := env.Store.RecordPushOutcome(wctx, o); err != nil {
		return "", nil, err
	}
	return attempt, callErr, nil
}

// writeIntent records, before the call, that syncd is about to push this payload.
func writeIntent(ctx context.Context, env Env, c Change, target string, at time.Time) error {
	return env.Store.RecordPushIntent(ctx, models.PushIntent{Tenant: env.Tenant, Kind: c.Kind, Target: target,
		Desired: models.JSON(c.Desired), DesiredHash: c.Hash, At: at})
}

func mustJSON(v any) models.JSON {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return models.JSON(b)
}
