package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/funnelflux"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// FunnelFlux's calls. Two of them are POSTs that read: the token check (/auth/validate, which
// renews an expired access token, as every funnelflux job does first) and the drilldown report,
// which FunnelFlux creates by POST. The conversion update, the one write, is never sent.
//
// Every path, field and grouping name of the report is a guess (internal/clients/funnelflux/
// contract.go), so the probe reads one page of each report syncd pulls and decodes it as the
// pull does, and asks for the list of report attributes, which names the real groupings.

// funnelFlux probes the tenant's FunnelFlux calls.
func (p *prober) funnelFlux(ctx context.Context) ([]*Call, error) {
	f := p.t.FunnelFlux
	c, err := funnelflux.New(funnelflux.Config{BaseURL: f.BaseURL, AccessToken: f.AccessToken.Reveal(),
		RefreshToken: f.RefreshToken.Reveal(), Upstream: p.upstreamConfig(ffAPI, f.RateLimit)},
		p.cfg.Log.Named(ffAPI))
	if err != nil {
		return nil, err
	}
	var calls []*Call
	token, err := p.ffValidate(ctx, c)
	if err != nil {
		return nil, err
	}
	calls = append(calls, token)
	p.seen.funnelFluxAuth = token.Verdict != Fail
	for _, a := range funnelflux.Assets {
		call, err := p.ffAsset(ctx, c, a)
		if err != nil {
			return nil, err
		}
		calls = append(calls, call)
	}
	attrs, err := p.ffAttributes(ctx, c)
	if err != nil {
		return nil, err
	}
	calls = append(calls, attrs)
	zone := "UTC"
	if p.t.Location != nil {
		zone = p.t.Location.String()
	}
	days := max(f.ReportDays, 1)
	last := time.Now().In(locationOr(p.t.Location))
	r := funnelflux.ReportRange{First: last.AddDate(0, 0, -(days - 1)).Format(funnelflux.DateLayout),
		Last: last.Format(funnelflux.DateLayout), TimeZone: zone}
	for _, rep := range []ffReport{
		{name: "daily stats", file: "daily_stats", fetch: c.FetchDailyStatsPage, check: funnelflux.CheckDailyStatsPage},
		{name: "conversions", file: "conversions", fetch: c.FetchConversionsPage, check: funnelflux.CheckConversionsPage},
	} {
		call, err := p.ffReport(ctx, r, rep)
		if err != nil {
			return nil, err
		}
		calls = append(calls, call)
	}
	return calls, nil
}

// ffAPI names FunnelFlux in the report.
const ffAPI = "funnelflux"

func locationOr(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// ffSave saves one answer with --save and records its file in req.
func (p *prober) ffSave(base, call string, body []byte, ex upstream.Exchange, callErr error, req *Request) error {
	if p.save == nil {
		return nil
	}
	file, err := p.save.save(ffAPI+"_"+base, ManifestEntry{API: ffAPI, Call: call}, body, ex, callErr)
	if err != nil {
		return err
	}
	req.File = file
	return nil
}

// ffValidate checks the tokens: the access token is accepted, or renewed with the refresh token.
func (p *prober) ffValidate(ctx context.Context, c *funnelflux.Client) (*Call, error) {
	call := &Call{API: ffAPI, Call: funnelflux.OpValidate, Job: tenants.JobFunnelFlux, Verdict: OK}
	body, ex, err := c.ValidateExchange(ctx)
	req := p.request(call, nil, 0, ex, err)
	if serr := p.ffSave("validate", call.Call, body, ex, err, &req); serr != nil {
		return nil, serr
	}
	call.Requests = append(call.Requests, req)
	p.finishCall(call)
	switch {
	case errors.Is(err, funnelflux.ErrReauthRequired):
		call.fail("re-authorisation needed: the access token was refused and renewing it failed; " +
			"generate new tokens under Settings > API Access (" + upstreamText(err) + ")")
		return call, nil
	case err != nil:
		call.fail(upstreamText(err))
		return call, nil
	}
	ts := c.Tokens()
	if ts.Renewals() > 0 {
		call.note("the configured access token had expired; the refresh token renewed it (syncd keeps renewed tokens in memory only)")
	}
	if exp := ts.ExpiresAt(); !exp.IsZero() {
		left := time.Until(exp).Round(time.Minute)
		call.note(fmt.Sprintf("the access token expires at %s (in %s)", exp.UTC().Format(time.RFC3339), left))
		if left <= 0 {
			call.warn("the answer's expires_at is in the past: its unit (seconds or milliseconds) may be misread")
		}
	} else {
		call.warn("the answer gave no tokens.expires_at")
	}
	return call, nil
}

// ffAsset reads one asset list (not paged) and checks its records against the mapper.
func (p *prober) ffAsset(ctx context.Context, c *funnelflux.Client, a funnelflux.Asset) (*Call, error) {
	call := &Call{API: ffAPI, Call: a.Op(), Job: tenants.JobFunnelFlux, Verdict: OK}
	an, err := newAnalyzer(a.Shape())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", call.Name(), err)
	}
	body, ex, ferr := c.FetchAsset(ctx, a)
	req := p.request(call, nil, 0, ex, ferr)
	if serr := p.ffSave(string(a), call.Call, body, ex, ferr, &req); serr != nil {
		return nil, serr
	}
	defer func() { call.Requests = append(call.Requests, req); p.finishCall(call) }()
	if ferr != nil {
		call.fail(upstreamText(ferr))
		return call, nil
	}
	recs, hasMore, derr := upstream.DecodeList(body)
	if derr != nil {
		req.Error = derr.Error()
		call.fail("the answer is not a JSON list: " + derr.Error())
		return call, nil
	}
	req.Records = len(recs)
	if hasMore != nil && *hasMore {
		call.fail("the answer says more pages follow: syncd reads these lists as one page, so it would miss records")
	}
	an.page(recs)
	if len(recs) == 0 {
		call.warn("the list is empty, so its records could not be checked against what syncd reads")
	}
	call.Shape = an.report()
	call.judgeShape()
	if a == funnelflux.FunnelGroups || a == funnelflux.Funnels {
		legacy := 0
		for _, raw := range recs {
			if obj, ok := object(raw); ok {
				if _, has := obj["idFunnelGroup"]; !has {
					if _, old := obj["idCampaign"]; old {
						legacy++
					}
				}
			}
		}
		if legacy > 0 {
			call.note(fmt.Sprintf("%d record(s) name the funnel group only by the legacy idCampaign", legacy))
		}
	}
	return call, nil
}

// ffAttributes asks for the report attributes and says which of the groupings syncd sends are
// not named in the answer.
func (p *prober) ffAttributes(ctx context.Context, c *funnelflux.Client) (*Call, error) {
	call := &Call{API: ffAPI, Call: funnelflux.OpAttributes, Job: tenants.JobFunnelFlux, Verdict: OK}
	body, ex, err := c.FetchAttributes(ctx)
	req := p.request(call, nil, 0, ex, err)
	if serr := p.ffSave("attributes", call.Call, body, ex, err, &req); serr != nil {
		return nil, serr
	}
	call.Requests = append(call.Requests, req)
	p.finishCall(call)
	if err != nil {
		// syncd does not need this call: its failure only loses the check of the names.
		call.warn("the attribute list is not where syncd guessed (" + upstreamText(err) + "); " +
			"the report's grouping names cannot be checked against it")
		return call, nil
	}
	if !json.Valid(body) {
		call.warn("the attribute list is not JSON")
		return call, nil
	}
	var missing []string
	for _, g := range []string{funnelflux.GroupDate, funnelflux.GroupFunnel, funnelflux.GroupTrafficSource,
		funnelflux.GroupHitID, funnelflux.GroupConversionTx} {
		if !bytes.Contains(body, []byte(`"`+g+`"`)) {
			missing = append(missing, g)
		}
	}
	if len(missing) > 0 {
		call.warn(fmt.Sprintf("groupings syncd sends are not among the listed attributes: %q (see contract.go)", missing))
	} else {
		call.note("every grouping syncd sends is among the listed attributes")
	}
	return call, nil
}

// ffReport describes one report syncd pulls.
type ffReport struct {
	name, file string
	fetch      func(ctx context.Context, r funnelflux.ReportRange, length int) ([]byte, upstream.Exchange, error)
	check      func(body []byte, zone string) (rows, total int, err error)
}

// ffReport reads the first page of a report with the small page size, decodes it as the pull
// does, and says whether paging.length was honoured.
func (p *prober) ffReport(ctx context.Context, r funnelflux.ReportRange, rep ffReport) (*Call, error) {
	call := &Call{API: ffAPI, Call: funnelflux.OpDrilldown + " (" + rep.name + ")", Job: tenants.JobFunnelFlux, Verdict: OK}
	small := p.cfg.PageSize
	body, ex, err := rep.fetch(ctx, r, small)
	zero := 0
	req := p.request(call, &zero, small, ex, err)
	if serr := p.ffSave(rep.file+"_page0", call.Call, body, ex, err, &req); serr != nil {
		return nil, serr
	}
	defer func() { call.Requests = append(call.Requests, req); p.finishCall(call) }()
	if err != nil {
		call.fail(upstreamText(err))
		return call, nil
	}
	rows, total, derr := rep.check(body, r.TimeZone)
	req.Records = rows
	if derr != nil {
		req.Error = derr.Error()
		call.fail("syncd cannot read the report: " + valueFree(derr.Error()))
		return call, nil
	}
	pg := &Paging{Param: funnelflux.ReqPaging + "." + funnelflux.ReqPagingLength, Small: small, SyncdSize: funnelflux.ReportPageSize,
		End: fmt.Sprintf("%s=%d", funnelflux.RespRowsTotal, total)}
	call.Paging = pg
	switch {
	case rows > small:
		pg.Limit = fmt.Sprintf("ignored (asked %d, got %d)", small, rows)
		call.warn(pg.Limit + ": syncd still reads to rowsTotal, by the rows each page holds")
	case rows == min(small, total):
		pg.Limit = "honoured"
	default:
		pg.Limit = fmt.Sprintf("capped at %d", rows)
		if rows == 0 {
			call.fail(fmt.Sprintf("no rows although %s=%d: syncd's pull would stop with an error", funnelflux.RespRowsTotal, total))
		}
	}
	call.note(fmt.Sprintf("%s %s..%s in %s: %d row(s) in all", rep.name, r.First, r.Last, r.TimeZone, total))
	if total == 0 {
		call.warn("the report is empty over the window, so its rows could not be checked against what syncd reads")
	}
	return call, nil
}
