// Package statuspage serves the read-only status page on the daemon's listen address: / (every
// tenant × job, the push ledger, the credentials) and /tenants/{id} (one tenant's runs, push
// failures, identity links and config). It renders what internal/statusview returns, the same
// values `syncd status` prints, with html/template and embedded CSS: no JavaScript, no external
// assets, a meta refresh every 30 s.
package statuspage

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/statusview"
	"github.com/syncd-dev/syncd/internal/tenants"
)

//go:embed assets
var assets embed.FS

// Config configures the handler.
type Config struct {
	Store *models.Store
	// Config returns the running config; it is read on every request, so a reload changes what
	// the page shows and how it is protected.
	Config func() *tenants.Config
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Handler serves the pages.
type Handler struct {
	cfg                        Config
	log                        *zap.Logger
	overview, tenant, notFound *template.Template
	css                        template.CSS
	// csp allows the one inline stylesheet, by its hash, and nothing else.
	csp string
}

// New parses the embedded templates; they are part of the binary, so a parse error is a bug and
// panics at startup rather than on the first request.
func New(cfg Config, log *zap.Logger) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	css, err := assets.ReadFile("assets/status.css")
	if err != nil {
		panic(fmt.Sprintf("statuspage: read embedded CSS: %v", err))
	}
	parse := func(page string) *template.Template {
		return template.Must(template.New("").Funcs(funcs).ParseFS(assets, "assets/layout.html", "assets/"+page))
	}
	sum := sha256.Sum256(css)
	csp := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; img-src data:; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	return &Handler{cfg: cfg, log: log, overview: parse("overview.html"), tenant: parse("tenant.html"),
		notFound: parse("notfound.html"), css: template.CSS(css), csp: csp}
}

// Register adds the pages to mux, behind the config's status_page.auth when it is set.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("GET /{$}", h.auth(http.HandlerFunc(h.serveOverview)))
	mux.Handle("GET /tenants/{id}", h.auth(http.HandlerFunc(h.serveTenant)))
}

// page is what the layout needs, plus the page's own data.
type page struct {
	Title string
	Now   time.Time
	CSS   template.CSS
}

type jobsTable struct {
	ID, Caption string
	ShowTenant  bool
	Now         time.Time
	Jobs        []statusview.Job
}

// ledgerTable pivots ledger counts: one row per tenant and kind, one column per state.
type ledgerTable struct {
	ID, Caption string
	ShowTenant  bool
	States      []string
	Rows        []ledgerRow
	Cols        int
}

type ledgerRow struct {
	Tenant, Kind string
	Counts       []int64
}

// ledgerStates are the ledger states in the order the table shows them.
var ledgerStates = []string{models.PushPlanned, models.PushPushed, models.PushFailed, models.PushUnmatched}

func newLedgerTable(id, caption string, showTenant bool, counts []models.LedgerCount) ledgerTable {
	t := ledgerTable{ID: id, Caption: caption, ShowTenant: showTenant, States: slices.Clone(ledgerStates)}
	for _, c := range counts {
		if !slices.Contains(t.States, c.State) {
			t.States = append(t.States, c.State) // a state this code does not know still shows
		}
	}
	idx := map[[2]string]int{}
	for _, c := range counts {
		k := [2]string{c.TenantID, c.Kind}
		i, ok := idx[k]
		if !ok {
			i = len(t.Rows)
			idx[k] = i
			t.Rows = append(t.Rows, ledgerRow{Tenant: c.TenantID, Kind: c.Kind, Counts: make([]int64, len(t.States))})
		}
		t.Rows[i].Counts[slices.Index(t.States, c.State)] += c.Count
	}
	t.Cols = len(t.States) + 1
	if showTenant {
		t.Cols++
	}
	return t
}

func (h *Handler) serveOverview(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now().UTC()
	v, err := statusview.BuildOverview(r.Context(), h.cfg.Store, h.cfg.Config(), now)
	if err != nil {
		h.fail(w, r, "read the overview", err)
		return
	}
	data := struct {
		page
		JobsTable   jobsTable
		LedgerTable ledgerTable
		Summary     []outcomeCount
		Credentials []statusview.Credential
	}{
		page:        page{Title: "Status", Now: now, CSS: h.css},
		JobsTable:   jobsTable{ID: "jobs", Caption: "Tenants × jobs", ShowTenant: true, Now: now, Jobs: v.Jobs},
		LedgerTable: newLedgerTable("ledger", "Push targets by tenant, kind and state", true, v.Ledger),
		Summary:     summarize(v.Jobs),
		Credentials: v.Credentials,
	}
	h.render(w, r, http.StatusOK, h.overview, data)
}

// outcomeCount is how many jobs last ended one way.
type outcomeCount struct {
	Label, Class string
	Count        int
}

// summaryOrder lists the outcomes worst first; one no job has is left out.
var summaryOrder = []string{models.RunFailed, models.RunAbandoned, models.RunHeld, models.RunPartial, models.RunRunning,
	models.RunSucceeded, "never ran"}

func summarize(jobs []statusview.Job) []outcomeCount {
	n := map[string]int{}
	for _, j := range jobs {
		if j.LastRun == nil {
			n["never ran"]++
		} else {
			n[j.LastRun.Status]++
		}
	}
	var out []outcomeCount
	for _, o := range summaryOrder {
		if n[o] > 0 {
			class := o
			if o == "never ran" {
				class = "never"
			}
			out = append(out, outcomeCount{Label: o, Class: class, Count: n[o]})
		}
	}
	return out
}

func (h *Handler) serveTenant(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now().UTC()
	id := r.PathValue("id")
	v, err := statusview.BuildTenant(r.Context(), h.cfg.Store, h.cfg.Config(), id, now)
	if err != nil {
		h.fail(w, r, "read tenant "+id, err, zap.String("tenant", id))
		return
	}
	if v == nil {
		h.render(w, r, http.StatusNotFound, h.notFound, struct {
			page
			ID string
		}{page{Title: "No such tenant", Now: now, CSS: h.css}, id})
		return
	}
	data := struct {
		page
		T                      *statusview.Tenant
		JobsTable              jobsTable
		LedgerTable            ledgerTable
		RunLimit, FailureLimit int
	}{
		page:         page{Title: "Tenant " + id, Now: now, CSS: h.css},
		T:            v,
		JobsTable:    jobsTable{ID: "jobs", Caption: "Jobs of " + id, Now: now, Jobs: v.Jobs},
		LedgerTable:  newLedgerTable("ledger", "Push targets by kind and state", false, v.Ledger),
		RunLimit:     statusview.TenantRunLimit,
		FailureLimit: statusview.PushFailureLimit,
	}
	h.render(w, r, http.StatusOK, h.tenant, data)
}

// render executes the page into a buffer first, so that a template error never leaves half a
// page behind a 200.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, code int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		h.fail(w, r, "render the page", err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// Nothing on the page loads from anywhere, and it runs no script.
	w.Header().Set("Content-Security-Policy", h.csp)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// fail logs what went wrong and answers 500 with a fixed text: a database error can name the
// user, host and database.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, what string, err error, fields ...zap.Field) {
	if r.Context().Err() == nil {
		h.log.Error("status page: "+what, append(fields, zap.String("path", r.URL.Path), zap.Error(err))...)
	}
	http.Error(w, "status page unavailable: could not "+what+" (see the daemon's log)", http.StatusInternalServerError)
}

// auth enforces status_page.auth of the running config.
func (h *Handler) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cfg := h.cfg.Config()
		a := cfg.StatusPage.Auth
		if a == nil || Authorized(a, r) {
			next.ServeHTTP(w, r)
			return
		}
		if a.Basic != nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="syncd status", charset="UTF-8"`)
		} else {
			w.Header().Set("WWW-Authenticate", `Bearer realm="syncd status"`)
		}
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	})
}

// Authorized reports whether r carries the credentials a asks for. Comparisons are in constant
// time over SHA-256 digests, so neither the content nor the length of a secret leaks.
func Authorized(a *tenants.StatusPageAuth, r *http.Request) bool {
	if a.Basic != nil {
		user, pass, ok := r.BasicAuth()
		if !ok || a.Basic.Password.IsZero() {
			return false
		}
		u := equal(user, a.Basic.User)
		p := equal(pass, a.Basic.Password.Reveal())
		return u && p
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || a.BearerToken.IsZero() {
		return false
	}
	return equal(strings.TrimSpace(token), a.BearerToken.Reveal())
}

func equal(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
