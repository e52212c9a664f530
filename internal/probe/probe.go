// Package probe checks, read-only, every upstream call a tenant's configuration uses, before the
// tenant is enabled: `syncd probe`. Four of the calls syncd relies on are guesses no public
// document shows, and the first contact with a real service is where a guess turns out wrong;
// the probe makes that diagnosable in a minute instead of in a failed run.
//
// For each list call it reads the first pages with a small page size, then the first two with
// syncd's own, and reports the HTTP status, latency and whether the credential was accepted;
// whether the page size is honoured, ignored or capped and how the list ends; the rate-limit
// headers seen; and the records against what syncd's mappers read (see shape.go): mapped fields
// absent, values of another JSON type (tolerated or not), unknown keys, and whether ids are there
// and unique. Writes are never sent: the probe checks what can be checked without them (see
// writes.go).
//
// Invariants: the probe sends only reads: GETs, and for FunnelFlux two POSTs that read (the
// token check every funnelflux job makes first, and the drilldown report, created by POST; see
// funnelflux.go). It sends them through the same upstream layer and client code as a pull
// (redirect rules, body limits, credential scrubbing, the tenant's rate limit); it keeps no record
// value in its report, only names, kinds and counts (the agents missing from the agents
// table excepted, which the operator has to add); and what --save writes is masked and holds no
// request header (see mask.go, save.go).
//
// The verdict: a call fails when syncd's pull of it would fail or lose records (an HTTP error, a
// body that is not a list, records the mapper cannot read, ids missing or repeated on a page, a
// short page that does not end the list, a page parameter ignored at syncd's page size), or a
// write its job needs cannot work (no company for scores, a card template that does not render,
// no agent of those seen mapped). Anything else worth knowing is a warning or a note. The probe
// is OK, and `syncd probe` exits 0, when nothing fails.
package probe

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/clients/flex"
	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// Config configures a probe. Zero fields take the defaults in parentheses.
type Config struct {
	// Tenant is the tenant to probe; its secrets must be resolved (an enabled tenant).
	Tenant *tenants.Tenant
	// SaveDir, when set, receives every response masked, with a manifest (see save.go).
	SaveDir string
	// PageSize is the small page size of the first pages (5).
	PageSize int
	// MaxPages bounds the small pages read per list (4), besides one more read to see whether a
	// short page ends the list.
	MaxPages int
	// HTTPClient is the HTTP client (nil = the upstream layer's shared one).
	HTTPClient *http.Client
	// Retry bounds retries of one request (at most 3 attempts, 30s).
	Retry upstream.RetryPolicy
	// Timeout bounds one attempt (30s).
	Timeout time.Duration
	// Log receives the upstream layer's retry lines (nil = none).
	Log *zap.Logger
}

// Verdict is how a call or write check came out.
type Verdict string

// Verdicts, from best to worst. Off is a write kind disabled in the tenant's push block.
const (
	OK   Verdict = "ok"
	Off  Verdict = "off"
	Warn Verdict = "warn"
	Fail Verdict = "fail"
)

// Report is a probe's outcome.
type Report struct {
	Tenant string `json:"tenant"`
	// Jobs are the tenant's configured jobs; every call probed is one of theirs.
	Jobs   []tenants.Job `json:"jobs"`
	Calls  []*Call       `json:"calls"`
	Writes []*WriteCheck `json:"writes"`
	// OK is true when no call and no write check failed.
	OK bool `json:"ok"`
	// Failures name each failed call or write check and why, one line each.
	Failures []string `json:"failures,omitempty"`
	// SavedTo is the --save directory, and Saved how many responses were written there.
	SavedTo string `json:"saved_to,omitempty"`
	Saved   int    `json:"saved,omitempty"`
}

// Call is the outcome of one upstream read.
type Call struct {
	API  string `json:"api"`
	Call string `json:"call"`
	// Community is the Funnel community as configured.
	Community string      `json:"community,omitempty"`
	Job       tenants.Job `json:"job"`
	Verdict   Verdict     `json:"verdict"`
	// Problems say why the call failed or warns; Notes are informational.
	Problems []string `json:"problems,omitempty"`
	Notes    []string `json:"notes,omitempty"`
	// Auth is "accepted" (a 2xx answered), "rejected" (401 or 403) or "unknown".
	Auth     string    `json:"auth"`
	Requests []Request `json:"requests"`
	// Paging is how the list pages (nil for a single object).
	Paging *Paging `json:"paging,omitempty"`
	// RateLimitHeaders are the Retry-After, X-RateLimit-* and RateLimit-* headers seen, last
	// value of each.
	RateLimitHeaders map[string]string `json:"rate_limit_headers,omitempty"`
	Shape            *ShapeReport      `json:"shape,omitempty"`
}

// Name is the call as the report names it: "rentengine GET /units",
// "funnel GET /community/{id}/prospects/ [P1234-567]".
func (c *Call) Name() string {
	n := c.API + " " + c.Call
	if c.Community != "" {
		n += " [" + c.Community + "]"
	}
	return n
}

// Request is one HTTP request of a call.
type Request struct {
	// Page and Size are the page asked for and the page size sent (nil and 0 for an object).
	Page *int `json:"page,omitempty"`
	Size int  `json:"size,omitempty"`
	// Status is the answer's HTTP status, 0 when none came.
	Status    int     `json:"status"`
	LatencyMS float64 `json:"latency_ms"`
	Attempts  int     `json:"attempts"`
	// Records is how many records the page held.
	Records int    `json:"records"`
	Error   string `json:"error,omitempty"`
	// File is the saved response, with --save.
	File string `json:"file,omitempty"`
}

// Paging is what the pages showed of a list's paging.
type Paging struct {
	// Param is the page-size parameter ("limit", "per_page"); Small the size of the first pages
	// and SyncdSize the size a pull sends.
	Param     string `json:"param"`
	Small     int    `json:"small"`
	SyncdSize int    `json:"syncd_size"`
	// Limit says whether the small size was honoured, ignored or capped.
	Limit string `json:"limit"`
	// End says how the list ended at the small size.
	End string `json:"end"`
	// AtSyncdSize says how the first pages at syncd's size came out.
	AtSyncdSize string `json:"at_syncd_size"`
}

// Run probes cfg.Tenant's upstream calls. It returns an error only when the probe cannot start
// (a client or the save directory cannot be set up); everything the upstreams answer is in the
// report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	t := cfg.Tenant
	if t == nil {
		return nil, errors.New("probe: no tenant")
	}
	cfg.PageSize = cmp.Or(cfg.PageSize, 5)
	cfg.MaxPages = cmp.Or(cfg.MaxPages, 4)
	cfg.Retry.MaxAttempts = cmp.Or(cfg.Retry.MaxAttempts, 3)
	cfg.Retry.MaxElapsed = cmp.Or(cfg.Retry.MaxElapsed, 30*time.Second)
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	p := &prober{cfg: cfg, t: t, seen: newSightings(), limiters: upstream.NewLimiters()}
	if t.LeaseConversionOn() {
		src := t.Push.LeaseConversion.HitID
		p.seen.hitSource = &src
	}
	if cfg.SaveDir != "" {
		s, err := newSaver(cfg.SaveDir)
		if err != nil {
			return nil, err
		}
		p.save = s
	}
	rep := &Report{Tenant: t.ID, Jobs: t.Jobs(), SavedTo: cfg.SaveDir}
	if t.RentEngine != nil {
		calls, err := p.rentEngine(ctx)
		if err != nil {
			return nil, err
		}
		rep.Calls = append(rep.Calls, calls...)
	}
	if t.Funnel != nil {
		calls, err := p.funnel(ctx)
		if err != nil {
			return nil, err
		}
		rep.Calls = append(rep.Calls, calls...)
	}
	if t.FunnelFlux != nil {
		calls, err := p.funnelFlux(ctx)
		if err != nil {
			return nil, err
		}
		rep.Calls = append(rep.Calls, calls...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.Writes = p.writes()
	if p.save != nil {
		if err := p.save.finish(); err != nil {
			return nil, err
		}
		rep.Saved = len(p.save.names)
	}
	rep.OK = true
	for _, c := range rep.Calls {
		if c.Verdict == Fail {
			rep.OK = false
			rep.Failures = append(rep.Failures, c.Name()+": "+strings.Join(c.Problems, "; "))
		}
	}
	for _, w := range rep.Writes {
		if w.Verdict == Fail {
			rep.OK = false
			rep.Failures = append(rep.Failures, w.API+" "+w.Call+" ("+w.Kind+"): "+strings.Join(w.Problems, "; "))
		}
	}
	return rep, nil
}

// prober holds one probe's state.
type prober struct {
	cfg      Config
	t        *tenants.Tenant
	save     *saver
	seen     *sightings
	limiters *upstream.Limiters
}

func (p *prober) upstreamConfig(api string, rl *tenants.RateLimit) upstream.Config {
	uc := upstream.Config{HTTPClient: p.cfg.HTTPClient, Timeout: p.cfg.Timeout, Retry: p.cfg.Retry,
		UserAgent: "syncd-probe"}
	if rl != nil {
		// The probe runs alone: its own budget, keyed by the tenant (it never shares with a daemon).
		uc.Limiter = p.limiters.Get(p.t.ID, upstream.BucketSpec{Key: api + " " + p.t.ID, API: api, Label: p.t.ID,
			Requests: rl.Requests, Per: rl.Per, Burst: rl.Burst, MinFraction: rl.MinFraction})
	}
	return uc
}

func (p *prober) rentEngine(ctx context.Context) ([]*Call, error) {
	re := p.t.RentEngine
	c, err := rentengine.New(rentengine.Config{BaseURL: re.BaseURL, Token: re.Token.Reveal(), AccountID: re.AccountID,
		Upstream: p.upstreamConfig("rentengine", re.RateLimit)}, p.cfg.Log.Named("rentengine"))
	if err != nil {
		return nil, err
	}
	var calls []*Call
	for _, res := range rentengine.Resources {
		l := list{api: "rentengine", call: "GET /" + string(res), job: tenants.JobRentEngine, resource: string(res),
			param: rentengine.ParamLimit, first: rentengine.FirstPage, syncdSize: rentengine.PageSize, shape: res.Shape(),
			fetch: func(ctx context.Context, n, size int) ([]byte, upstream.Exchange, error) {
				return c.FetchPage(ctx, res, n, size)
			}}
		if res == rentengine.Prospects {
			l.each = p.seen.rentEngineProspect
		}
		call, err := p.list(ctx, l)
		if err != nil {
			return nil, err
		}
		calls = append(calls, call)
	}
	return calls, nil
}

func (p *prober) funnel(ctx context.Context) ([]*Call, error) {
	f := p.t.Funnel
	c, err := funnel.New(funnel.Config{BaseURL: f.BaseURL, APIKey: f.APIKey.Reveal(), Auth: f.Auth, CompanyID: f.CompanyID,
		Upstream: p.upstreamConfig(funnel.API, f.RateLimit)}, p.cfg.Log.Named("funnel"))
	if err != nil {
		return nil, err
	}
	var calls []*Call
	for _, com := range f.Communities {
		detail, canonical, err := p.community(ctx, c, com)
		if err != nil {
			return nil, err
		}
		calls = append(calls, detail)
		for _, res := range funnel.Resources {
			l := list{api: funnel.API, call: res.Op(), community: com, job: tenants.JobFunnel, resource: string(res),
				param: funnel.ParamPerPage, first: funnel.FirstPage, syncdSize: funnel.PageSize, shape: res.Shape(),
				fetch: func(ctx context.Context, n, size int) ([]byte, upstream.Exchange, error) {
					return c.FetchPage(ctx, com, res, n, size)
				}}
			switch res {
			case funnel.Prospects:
				l.each = func(raw json.RawMessage) { p.seen.funnelProspect(com, canonical, raw) }
			case funnel.Renewals:
				l.each = p.seen.funnelRenewal
			case funnel.Appointments:
				l.each = p.seen.funnelAppointment
			}
			call, err := p.list(ctx, l)
			if err != nil {
				return nil, err
			}
			if res == funnel.Prospects && call.Verdict != Fail && detail.Verdict != Fail {
				p.seen.communitiesOK++
			}
			calls = append(calls, call)
		}
	}
	return calls, nil
}

// community probes one community's details. canonical is the id Funnel answered ("" when the
// call failed).
func (p *prober) community(ctx context.Context, c *funnel.Client, com string) (*Call, string, error) {
	call := &Call{API: funnel.API, Call: funnel.OpCommunity, Community: com, Job: tenants.JobFunnel, Verdict: OK}
	body, ex, err := c.FetchCommunity(ctx, com)
	req := p.request(call, nil, 0, ex, err)
	if p.save != nil {
		file, serr := p.save.save("funnel_"+com+"_community", ManifestEntry{API: call.API, Call: call.Call, Community: com}, body, ex, err)
		if serr != nil {
			return nil, "", serr
		}
		req.File = file
	}
	call.Requests = append(call.Requests, req)
	p.finishCall(call)
	if err != nil {
		call.fail(upstreamText(err))
		return call, "", nil
	}
	an, aerr := newAnalyzer(funnel.CommunityShape())
	if aerr != nil {
		return nil, "", aerr
	}
	obj := json.RawMessage(body)
	if _, ok := object(obj); !ok {
		call.fail("the answer is not one JSON object")
		return call, "", nil
	}
	ids := an.page([]json.RawMessage{obj})
	call.Requests[0].Records = 1
	call.Shape = an.report()
	call.judgeShape()
	canonical := ""
	if len(ids) == 1 {
		canonical = ids[0]
		if canonical != com {
			call.note("canonical id " + canonical)
		}
	}
	return call, canonical, nil
}

// list describes one list call.
type list struct {
	api, call, community string
	job                  tenants.Job
	resource             string
	// param names the page-size parameter; first is the first page number; syncdSize the page
	// size a pull sends.
	param     string
	first     int
	syncdSize int
	shape     flex.Shape
	fetch     func(ctx context.Context, n, size int) ([]byte, upstream.Exchange, error)
	// each, when set, sees every record read (for the write checks).
	each func(json.RawMessage)
}

// page is one page read.
type page struct {
	recs    []json.RawMessage
	hasMore *bool
	ids     []string
	hash    uint64
}

var pageSeed = maphash.MakeSeed()

func hashRecords(recs []json.RawMessage) uint64 {
	var h maphash.Hash
	h.SetSeed(pageSeed)
	for _, r := range recs {
		h.Write(r)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// list probes one list call: small pages until the list ends or MaxPages (and one more after a
// short page, to see whether it ended the list), then the first two pages at syncd's page size.
func (p *prober) list(ctx context.Context, l list) (*Call, error) {
	call := &Call{API: l.api, Call: l.call, Community: l.community, Job: l.job, Verdict: OK}
	an, err := newAnalyzer(l.shape)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", call.Name(), err)
	}
	small := p.cfg.PageSize
	pg := &Paging{Param: l.param, Small: small, SyncdSize: l.syncdSize}
	call.Paging = pg
	defer p.finishCall(call)

	// fetch reads page n at size, records it in the call, and reports whether it answered a list.
	fetch := func(n, size int) (*page, bool, error) {
		body, ex, ferr := l.fetch(ctx, n, size)
		nn := n
		req := p.request(call, &nn, size, ex, ferr)
		if p.save != nil {
			base := l.api + "_" + l.resource
			if l.community != "" {
				base = l.api + "_" + l.community + "_" + l.resource
			}
			base += fmt.Sprintf("_page%d", n)
			if size != small {
				base += fmt.Sprintf("_%s%d", l.param, size)
			}
			file, serr := p.save.save(base, ManifestEntry{API: l.api, Call: l.call, Community: l.community, Page: &nn, Size: size},
				body, ex, ferr)
			if serr != nil {
				return nil, false, serr
			}
			req.File = file
		}
		defer func() { call.Requests = append(call.Requests, req) }()
		if ferr != nil {
			call.fail(fmt.Sprintf("page %d (%s=%d): %s", n, l.param, size, upstreamText(ferr)))
			return nil, false, nil
		}
		recs, hasMore, derr := upstream.DecodeList(body)
		if derr != nil {
			req.Error = derr.Error()
			call.fail(fmt.Sprintf("page %d (%s=%d): the answer is not a JSON list: %v", n, l.param, size, derr))
			return nil, false, nil
		}
		req.Records = len(recs)
		pag := &page{recs: recs, hasMore: hasMore, hash: hashRecords(recs), ids: an.page(recs)}
		if l.each != nil {
			for _, r := range recs {
				l.each(r)
			}
		}
		return pag, true, nil
	}

	// Small pages.
	var pages []*page
	seenIDs := map[string]int{} // id → first page it was on
	shortAt := -1               // the index of a short page whose follower says whether it ended the list
	overlap, overlapEx := 0, "" // ids seen on two pages, and the first
	for i := 0; ; i++ {
		if shortAt < 0 && i >= p.cfg.MaxPages {
			pg.End = fmt.Sprintf("not reached in %d pages of %d", p.cfg.MaxPages, small)
			break
		}
		n := l.first + i
		pag, ok, err := fetch(n, small)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		pages = append(pages, pag)
		if i > 0 && len(pag.recs) >= small && pag.hash == pages[i-1].hash {
			pg.End = fmt.Sprintf("page %d repeats page %d: the page parameter is ignored", n, n-1)
			call.warn(pg.End)
			break
		}
		for _, id := range pag.ids {
			at, dup := seenIDs[id]
			switch {
			case !dup:
				seenIDs[id] = n
			case at != n:
				if overlap == 0 {
					overlapEx = fmt.Sprintf("%s %s on pages %d and %d", l.shape.ID, id, at, n)
				}
				overlap++
			}
		}
		if shortAt >= 0 {
			if len(pag.recs) == 0 {
				pg.End = "a short page ends the list (the page after it is empty)"
			} else {
				pg.End = "a short page does NOT end the list"
				call.fail(fmt.Sprintf("page %d held %d records, fewer than the %d asked, yet page %d held %d more: "+
					"syncd stops at a short page, so it would miss records", n-1, len(pages[i-1].recs), small, n, len(pag.recs)))
			}
			break
		}
		if pag.hasMore != nil && !*pag.hasMore {
			pg.End = "has_more=false ends the list"
			break
		}
		if len(pag.recs) == 0 {
			if i == 0 {
				pg.End = "the list is empty"
			} else {
				pg.End = "an empty page ends the list"
			}
			break
		}
		if len(pag.recs) < small {
			shortAt = i
		}
	}
	if overlap > 0 {
		call.warn(fmt.Sprintf("%d record(s) came on two pages (%s): the order is not stable, or the list changed while paging",
			overlap, overlapEx))
	}
	switch {
	case len(pages) == 0:
		pg.Limit = "not checked"
	case len(pages[0].recs) > small:
		pg.Limit = fmt.Sprintf("ignored (asked %d, got %d)", small, len(pages[0].recs))
		call.warn(fmt.Sprintf("%s=%d is ignored: page %d held %d records", l.param, small, l.first, len(pages[0].recs)))
	case len(pages[0].recs) == small:
		pg.Limit = "honoured"
	case len(pages) > 1 && len(pages[1].recs) > 0:
		pg.Limit = fmt.Sprintf("capped at %d", len(pages[0].recs))
	case len(pages[0].recs) == 0:
		pg.Limit = "not checked: the list is empty"
	default:
		pg.Limit = fmt.Sprintf("not checked: the list holds %d records, fewer than %d", len(pages[0].recs), small)
	}
	if len(pages) > 0 && an.records == 0 {
		call.warn("the list is empty, so its records could not be checked against what syncd reads")
	}

	// syncd's page size: does a pull, which stops at a short page, read the whole list?
	if call.Verdict != Fail && len(pages) > 0 && len(pages[0].recs) > 0 {
		if err := p.atSyncdSize(l, call, fetch, len(seenIDs)); err != nil {
			return nil, err
		}
	}
	if len(pages) > 0 {
		call.Shape = an.report()
		call.judgeShape()
	}
	return call, nil
}

// atSyncdSize reads the first two pages at syncd's page size and says whether a pull would read
// the list whole. distinct is how many different ids the small pages showed.
func (p *prober) atSyncdSize(l list, call *Call, fetch func(n, size int) (*page, bool, error), distinct int) error {
	pg, size := call.Paging, l.syncdSize
	p0, ok, err := fetch(l.first, size)
	if err != nil || !ok {
		return err
	}
	n0 := len(p0.recs)
	if n0 < size && distinct > n0 {
		pg.AtSyncdSize = fmt.Sprintf("capped at %d", n0)
		call.fail(fmt.Sprintf("%s=%d answered %d records, but the small pages showed %d: syncd stops at a short page, so it would read only %d",
			l.param, size, n0, distinct, n0))
		return nil
	}
	if p0.hasMore != nil && !*p0.hasMore {
		pg.AtSyncdSize = fmt.Sprintf("%d records, has_more=false", n0)
		return nil
	}
	p1, ok, err := fetch(l.first+1, size)
	if err != nil || !ok {
		return err
	}
	n1 := len(p1.recs)
	switch {
	case n1 > 0 && p1.hash == p0.hash && n0 >= size:
		pg.AtSyncdSize = "the page parameter is ignored"
		call.fail(fmt.Sprintf("page %d at %s=%d repeats page %d: syncd's pull would stop with \"page parameter ignored\"",
			l.first+1, l.param, size, l.first))
	case n1 > 0 && p1.hash == p0.hash:
		pg.AtSyncdSize = fmt.Sprintf("%d records on one page; the page parameter is ignored", n0)
		call.warn("the page parameter is ignored; syncd reads the list whole only while it fits one page")
	case n0 < size && n1 > 0:
		pg.AtSyncdSize = fmt.Sprintf("capped at %d", n0)
		call.fail(fmt.Sprintf("%s=%d answered %d records and the next page %d more: syncd stops at a short page, so it would read only %d",
			l.param, size, n0, n1, n0))
	case n0 > size:
		pg.AtSyncdSize = fmt.Sprintf("ignored (asked %d, got %d)", size, n0)
	case n0 == size:
		pg.AtSyncdSize = "honoured"
	default:
		pg.AtSyncdSize = fmt.Sprintf("the whole list (%d records) on one short page", n0)
	}
	return nil
}

// request records one exchange.
func (p *prober) request(call *Call, n *int, size int, ex upstream.Exchange, err error) Request {
	r := Request{Page: n, Size: size, Status: ex.Status, LatencyMS: ms(ex.Latency), Attempts: ex.Attempts}
	if err != nil {
		r.Error = upstreamText(err)
	}
	for k, v := range ex.Header {
		if rateLimitHeader(k) {
			if call.RateLimitHeaders == nil {
				call.RateLimitHeaders = map[string]string{}
			}
			call.RateLimitHeaders[k] = strings.Join(v, ", ")
		}
	}
	return r
}

// finishCall derives the call's auth from its requests.
func (p *prober) finishCall(call *Call) {
	call.Auth = "unknown"
	for _, r := range call.Requests {
		switch {
		case r.Status >= 200 && r.Status <= 299:
			call.Auth = "accepted"
		case r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden:
			call.Auth = "rejected"
			return
		}
	}
}

// upstreamText is an error as the report shows it: the upstream layer's own text (scrubbed of
// credentials, with a short body excerpt), without the client's wrapping.
func upstreamText(err error) string {
	var ue *upstream.Error
	if errors.As(err, &ue) {
		s := fmt.Sprintf("%d %s", ue.Status, http.StatusText(ue.Status))
		if ue.Status == 0 && ue.Err != nil {
			s = ue.Err.Error()
		}
		if msg := cmp.Or(ue.Message, ue.Body); msg != "" && ue.Status != 0 {
			if ue.Code != "" {
				s += " " + ue.Code
			}
			s += ": " + cut(strings.Join(strings.Fields(msg), " "), 160)
		}
		if errors.Is(err, upstream.ErrCredentialsRejected) {
			s += " (the credential was rejected)"
		}
		return s
	}
	return err.Error()
}

// judgeShape turns the shape report into problems.
func (c *Call) judgeShape() {
	s := c.Shape
	if s == nil {
		return
	}
	if s.Unreadable > 0 {
		// Name the fields that explain it; the decoder's own errors when none does.
		var why []string
		for _, d := range s.Types {
			if !d.Tolerated {
				why = append(why, d.String())
			}
		}
		if len(why) == 0 {
			why = s.DecodeErrors
		}
		c.fail(fmt.Sprintf("%d of %d records cannot be read by syncd's mapper (they would be bad records): %s",
			s.Unreadable, s.Records, strings.Join(why, "; ")))
	}
	if s.IDsMissing > 0 {
		c.fail(fmt.Sprintf("%d of %d records have no %s", s.IDsMissing, s.Records, s.IDField))
	}
	if len(s.DuplicateIDs) > 0 {
		c.fail(fmt.Sprintf("%s repeated on one page: %s", s.IDField, strings.Join(first(s.DuplicateIDs, 5), ", ")))
	}
}

func (c *Call) fail(msg string) {
	c.Verdict = Fail
	c.Problems = append(c.Problems, msg)
}

func (c *Call) warn(msg string) {
	if c.Verdict == OK {
		c.Verdict = Warn
	}
	if !slices.Contains(c.Problems, msg) {
		c.Problems = append(c.Problems, msg)
	}
}

func (c *Call) note(msg string) { c.Notes = append(c.Notes, msg) }

// cut shortens s to at most n runes.
func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func first[T any](s []T, n int) []T { return s[:min(n, len(s))] }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
