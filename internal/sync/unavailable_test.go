package sync_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/syncd-dev/syncd/internal/metrics"
	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/mirrortest"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// proxy puts a server in front of a fake that answers the requests intercept claims itself and
// passes every other one through. It returns the base URL to configure instead of the fake's.
func proxy(t *testing.T, baseURL string, intercept func(w http.ResponseWriter, r *http.Request) bool) string {
	t.Helper()
	u, err := url.Parse(baseURL)
	must(t, err)
	pass := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !intercept(w, r) {
			pass.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + u.Path
}

// htmlPage answers like a proxy or a single-page app would on a route the API does not have.
func htmlPage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "<!doctype html><html><body><div id=app></div></body></html>")
}

// warningsAbout returns the log entries at warn or above that mention resource, in the message or
// in any field.
func warningsAbout(logs *observer.ObservedLogs, resource string) []observer.LoggedEntry {
	var out []observer.LoggedEntry
	for _, e := range logs.All() {
		if e.Level < zapcore.WarnLevel {
			continue
		}
		text := e.Message
		for _, f := range e.Context {
			text += fmt.Sprintf(" %s=%v%s%v", f.Key, f.String, f.Interface, f.Integer)
		}
		if strings.Contains(text, resource) {
			out = append(out, e)
		}
	}
	return out
}

// gauge reads syncd_resource_available for one series (ok false when absent).
func gauge(t *testing.T, m *metrics.Metrics, tenant, api, resource string) (float64, bool) {
	t.Helper()
	fams, err := m.Registry.Gather()
	must(t, err)
	for _, f := range fams {
		if f.GetName() != "syncd_resource_available" {
			continue
		}
		for _, s := range f.GetMetric() {
			if labelsAre(s.GetLabel(), map[string]string{"tenant": tenant, "api": api, "resource": resource}) {
				return s.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

func labelsAre(ls []*dto.LabelPair, want map[string]string) bool {
	if len(ls) != len(want) {
		return false
	}
	for _, l := range ls {
		if want[l.GetName()] != l.GetValue() {
			return false
		}
	}
	return true
}

// With GET /leasing_events answering as a route RentEngine does not have (404, 405 or 410, or an
// HTML page with 200), units and prospects still mirror exactly, tombstones included; the events
// stored earlier are neither rewritten nor tombstoned; the run is partial with the reason; the
// gauge names the resource; one warning per run; and the next run with the endpoint back
// converges completely.
func TestLeasingEventsUnavailable(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		ways := []struct {
			name string
			// off switches the endpoint off and returns the base URL to use and what to switch
			// back on.
			off    func(t *testing.T, fake *rentenginefake.Server) (baseURL string, on func())
			reason string
		}{
			{"404", func(t *testing.T, fake *rentenginefake.Server) (string, func()) {
				fake.Disable(rentenginefake.EndpointLeasingEvents)
				return fake.BaseURL(), func() { fake.Enable(rentenginefake.EndpointLeasingEvents) }
			}, "GET /leasing_events: 404 Not Found"},
			{"405", func(t *testing.T, fake *rentenginefake.Server) (string, func()) {
				fake.DisableWith(rentenginefake.EndpointLeasingEvents, http.StatusMethodNotAllowed)
				return fake.BaseURL(), func() { fake.Enable(rentenginefake.EndpointLeasingEvents) }
			}, "GET /leasing_events: 405 Method Not Allowed"},
			{"410", func(t *testing.T, fake *rentenginefake.Server) (string, func()) {
				fake.DisableWith(rentenginefake.EndpointLeasingEvents, http.StatusGone)
				return fake.BaseURL(), func() { fake.Enable(rentenginefake.EndpointLeasingEvents) }
			}, "GET /leasing_events: 410 Gone"},
			{"HTML with 200", func(t *testing.T, fake *rentenginefake.Server) (string, func()) {
				on := false
				u := proxy(t, fake.BaseURL(), func(w http.ResponseWriter, r *http.Request) bool {
					if on || !strings.HasSuffix(r.URL.Path, "/leasing_events") {
						return false
					}
					htmlPage(w)
					return true
				})
				return u, func() { on = true }
			}, "GET /leasing_events: 200 answered a body that is not a JSON list"},
		}
		for i, way := range ways {
			t.Run(way.name, func(t *testing.T) {
				tenant := fmt.Sprintf("le%d", i)
				fake := rentenginefake.New(rentenginefake.Options{Token: "tok"})
				t.Cleanup(fake.Close)
				rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: int64(20 + i), Units: 60, Prospects: 150, EventsPerProspect: 2})
				core, logs := observer.New(zap.InfoLevel)
				m := metrics.New()
				runner := syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry, Runs: m}, zap.New(core))
				te := reTenant(tenant, fake.BaseURL(), "tok")
				_, err := runner.Run(context.Background(), te, tenants.JobRentEngine)
				must(t, err)

				// Upstream changes while the events endpoint is off: a unit deleted, a
				// prospect added and one changed; an event changed and one deleted, which the
				// mirror must not learn of yet.
				units, prospects, events := fake.IDs(rentenginefake.Units), fake.IDs(rentenginefake.Prospects),
					fake.IDs(rentenginefake.LeasingEvents)
				must(t, fake.Delete(rentenginefake.Units, units[4]))
				fake.Insert(rentenginefake.Prospects, map[string]any{"name": "New Person", "email": "new@example.com"})
				must(t, fake.Update(rentenginefake.Prospects, prospects[7], map[string]any{"email": "changed@example.com"}))
				must(t, fake.Update(rentenginefake.LeasingEvents, events[3], map[string]any{"notes": "edited upstream"}))
				must(t, fake.Delete(rentenginefake.LeasingEvents, events[5]))
				base, on := way.off(t, fake)
				te.RentEngine.BaseURL = base
				before := rowVersions(t, store, tenant)

				for attempt := 1; attempt <= 2; attempt++ {
					logs.TakeAll()
					run, err := runner.Run(context.Background(), te, tenants.JobRentEngine)
					var pe *syncer.PartialError
					if !errors.As(err, &pe) || pe.Unavailable["leasing_events"] != way.reason || len(pe.Unavailable) != 1 {
						t.Fatalf("run %d: err = %v, want a PartialError naming leasing_events: %s", attempt, err, way.reason)
					}
					if run.Status != models.RunPartial || run.Error == nil || !strings.Contains(*run.Error, "leasing_events") {
						t.Fatalf("run %d: status %q error %v", attempt, run.Status, run.Error)
					}
					var stored models.SyncRun
					must(t, dbtest.DB(store).Where("run_id = ?", run.RunID).First(&stored).Error)
					if u := stored.Unavailable(); stored.Status != models.RunPartial || len(u) != 1 || u["leasing_events"].Reason != way.reason ||
						u["leasing_events"].KeptCurrentByWebhooks {
						t.Errorf("run %d: stored status %q unavailable %+v (details %s)", attempt, stored.Status, u, stored.Details)
					}
					diffs, err := mirrortest.RentEngineDiffOf(context.Background(), store, tenant, fake,
						rentenginefake.Units, rentenginefake.Prospects)
					must(t, err)
					for _, d := range diffs {
						t.Errorf("run %d: %s", attempt, d)
					}
					assertTombstoned(t, store, "rentengine_units", tenant, units[4])
					// The events stored before are exactly as they were: not rewritten, not
					// tombstoned.
					after := rowVersions(t, store, tenant)
					for k, v := range before {
						if strings.HasPrefix(k, "rentengine_leasing_events/") && after[k] != v {
							t.Errorf("run %d: %s was rewritten", attempt, k)
						}
					}
					if n := countWhere(t, store, "rentengine_leasing_events", tenant, "deleted_at IS NOT NULL"); n != 0 {
						t.Errorf("run %d: %d leasing events tombstoned", attempt, n)
					}
					if w := warningsAbout(logs, "leasing_events"); len(w) != 1 {
						t.Errorf("run %d: %d warnings about leasing_events, want exactly 1: %+v", attempt, len(w), w)
					}
					for res, want := range map[string]float64{"units": 1, "prospects": 1, "leasing_events": 0} {
						if v, ok := gauge(t, m, tenant, "rentengine", res); !ok || v != want {
							t.Errorf("run %d: syncd_resource_available{%s} = %v (present %v), want %v", attempt, res, v, ok, want)
						}
					}
				}

				// Back on: the next run lists events again and converges, tombstone included.
				on()
				run, err := runner.Run(context.Background(), te, tenants.JobRentEngine)
				must(t, err)
				if run.Status != models.RunSucceeded || run.Unavailable() != nil {
					t.Errorf("run after the endpoint came back: %s, details %s", run.Status, run.Details)
				}
				assertMirrorEqualsFake(t, store, tenant, fake)
				assertTombstoned(t, store, "rentengine_leasing_events", tenant, events[5])
				if v, ok := gauge(t, m, tenant, "rentengine", "leasing_events"); !ok || v != 1 {
					t.Errorf("syncd_resource_available{leasing_events} = %v after it came back, want 1", v)
				}
			})
		}
	})
}

func countWhere(t *testing.T, store *models.Store, table, tenant, cond string) int64 {
	t.Helper()
	var n int64
	must(t, dbtest.DB(store).Table(table).Where("tenant_id = ?", tenant).Where(cond).Count(&n).Error)
	return n
}

// Precedence: failed > held > partial. An unavailable resource next to a genuine failure or a
// held pass is still recorded in details, but the outcome is the stronger one.
func TestUnavailableOutcomePrecedence(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		cases := []struct {
			name  string
			setup func(b *reBundle)
			want  string
		}{
			{"prospects fail beyond the retries", func(b *reBundle) {
				b.fake.Faults().Script(func(r *http.Request) bool {
					return strings.HasSuffix(r.URL.Path, "/prospects")
				}, fakeapi.FaultServerError, -1)
			}, models.RunFailed},
			{"every unit deleted upstream: held", func(b *reBundle) {
				for _, id := range b.fake.IDs(rentenginefake.Units) {
					must(t, b.fake.Delete(rentenginefake.Units, id))
				}
			}, models.RunHeld},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				b := newREBundle(t, store, fmt.Sprintf("pr%d", i), int64(30+i))
				b.sync(t)
				tc.setup(b)
				b.fake.Disable(rentenginefake.EndpointLeasingEvents)
				run, err := b.runner.Run(context.Background(), b.tenant, tenants.JobRentEngine)
				if err == nil || errors.As(err, new(*syncer.PartialError)) {
					t.Fatalf("err = %v, want the %s outcome's error", err, tc.want)
				}
				if run.Status != tc.want {
					t.Errorf("status %q, want %q", run.Status, tc.want)
				}
				if u := run.Unavailable(); len(u) != 1 || u["leasing_events"].Reason != "GET /leasing_events: 404 Not Found" {
					t.Errorf("details.unavailable = %+v, want leasing_events (details %s)", u, run.Details)
				}
			})
		}
	})
}

// Once a page of a resource arrived in the run, the endpoint exists: a 404 or an HTML page later
// in the list (paging past the end, a proxy's error page) fails the run, and tombstones nothing.
func TestUnavailableOnlyBeforeTheFirstPage(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		for i, answer := range []func(w http.ResponseWriter){
			func(w http.ResponseWriter) { http.Error(w, "not found", http.StatusNotFound) },
			htmlPage,
		} {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				b := newREBundle(t, store, fmt.Sprintf("pg%d", i), int64(40+i))
				b.sync(t)
				must(t, b.fake.Delete(rentenginefake.Prospects, b.fake.IDs(rentenginefake.Prospects)[2]))
				b.tenant.RentEngine.BaseURL = proxy(t, b.fake.BaseURL(), func(w http.ResponseWriter, r *http.Request) bool {
					if strings.HasSuffix(r.URL.Path, "/prospects") && r.URL.Query().Get("page_number") == "2" {
						answer(w)
						return true
					}
					return false
				})
				run, err := b.runner.Run(context.Background(), b.tenant, tenants.JobRentEngine)
				if err == nil || run.Status != models.RunFailed || run.Unavailable() != nil {
					t.Fatalf("run %v, err %v, details %s: want failed with nothing unavailable", run.Status, err, run.Details)
				}
				if n := countWhere(t, store, "rentengine_prospects", b.tenant.ID, "deleted_at IS NOT NULL"); n != 0 {
					t.Errorf("%d prospects tombstoned by a failed pass", n)
				}
			})
		}
	})
}

// With the tenant's RentEngine webhooks on, an unavailable resource is kept current by them: the
// run is still partial, and says so.
func TestUnavailableKeptCurrentByWebhooks(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		b := newREBundle(t, store, "hooked", 50)
		b.tenant.RentEngine.Webhook = &tenants.RentEngineWebhook{Header: "X-API-Key", APIKey: tenants.NewSecret("hook")}
		b.fake.Disable(rentenginefake.EndpointLeasingEvents)
		run, err := b.runner.Run(context.Background(), b.tenant, tenants.JobRentEngine)
		if !errors.As(err, new(*syncer.PartialError)) || run.Status != models.RunPartial {
			t.Fatalf("run %v, err %v: want partial", run.Status, err)
		}
		if u := run.Unavailable(); !u["leasing_events"].KeptCurrentByWebhooks {
			t.Errorf("unavailable %+v, want leasing_events kept current by webhooks (details %s)", u, run.Details)
		}
	})
}
