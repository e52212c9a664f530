package funnelflux

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

// ConvertedHit is one conversion to add or update: within one hit, each transaction id is a
// separate conversion [V], and the same (hit, transaction) sent again updates it rather than
// adding another [I: "add new or update existing conversions"]. syncd derives Transaction from
// the prospect and the stage, so that a re-send is idempotent.
type ConvertedHit struct {
	// HitID is the FunnelFlux hit id, captured by the lead form (required).
	HitID string
	// Transaction is the transaction id.
	Transaction string
	// Payout is the conversion's revenue (nil = the offer's default payout; PayoutUnconvert
	// removes the conversion).
	Payout *float64
}

// ConversionUpdate is one PUT of conversions.
type ConversionUpdate struct {
	Hits []ConvertedHit
	// PostbackCalls says whether the traffic source's postbacks fire: PostbackNone,
	// PostbackOnlyOnce or PostbackAll ("" = PostbackNone, the API's default).
	PostbackCalls string
}

// UpdateConversions submits conversions. FunnelFlux only queues them: a success means "queued
// for processing", and they show in the Conversions report once applied, some time later.
//
// The answer has no body [V]. A 2xx with an empty body, or with a JSON object (a status
// message), is taken as queued; any other 2xx (an HTML page, text, a JSON array or scalar) fails
// the call with an upstream.Error of KindUnverified: the update may or may not have been queued.
// PUT is idempotent, so the upstream layer retries it on a network error or 5xx.
func (c *Client) UpdateConversions(ctx context.Context, u ConversionUpdate) error {
	if len(u.Hits) == 0 {
		return errors.New("funnelflux conversions: no hits")
	}
	pc := u.PostbackCalls
	if pc == "" {
		pc = PostbackNone
	}
	if !slices.Contains([]string{PostbackNone, PostbackOnlyOnce, PostbackAll}, pc) {
		return fmt.Errorf("funnelflux conversions: postbackCalls %q is not one of %s, %s, %s", pc,
			PostbackNone, PostbackOnlyOnce, PostbackAll)
	}
	hits := make([]map[string]any, 0, len(u.Hits))
	for i, h := range u.Hits {
		if strings.TrimSpace(h.HitID) == "" {
			return fmt.Errorf("funnelflux conversions: hit %d has no id", i)
		}
		m := map[string]any{ReqHitID: h.HitID, ReqTransaction: h.Transaction}
		if h.Payout != nil {
			m[ReqPayout] = *h.Payout
		}
		hits = append(hits, m)
	}
	body := map[string]any{ReqConvertedHits: hits, ReqPostbackCalls: pc}
	req := upstream.Request{Method: http.MethodPut, Path: PathConversions, Op: OpConversions, Body: body}
	if err := c.do(ctx, req, upstream.VerifyFunc(checkQueuedAnswer)); err != nil {
		return fmt.Errorf("funnelflux conversions (%d hits): %w", len(u.Hits), err)
	}
	return nil
}

// checkQueuedAnswer accepts the answer to a conversion update: no body [V], or a JSON object
// without an "error" [I: a status message some deployments may send].
func checkQueuedAnswer(a upstream.Answer) error {
	body := bytes.TrimSpace(a.Body)
	if len(body) == 0 {
		return nil
	}
	if err := upstream.CheckJSONBody(body); err != nil {
		return err
	}
	var obj map[string]json.RawMessage
	if body[0] != '{' || json.Unmarshal(body, &obj) != nil {
		return errors.New("not the documented answer: neither empty nor a JSON object")
	}
	// An error document under a 2xx (a proxy's, or an upstream's that says it refused) is not
	// "queued".
	if e, ok := obj[ErrFieldError]; ok && !bytes.Equal(bytes.TrimSpace(e), []byte("null")) &&
		!bytes.Equal(bytes.TrimSpace(e), []byte(`""`)) && !bytes.Equal(bytes.TrimSpace(e), []byte("false")) {
		return errors.New("not the documented answer: the body is an error document")
	}
	return nil
}
