// Package metrics defines syncd's Prometheus metrics and implements the observer interfaces of
// the upstream layer, the sync runner and the scheduler. Every metric lives on the registry given
// to New, never on the global default, so tests can build as many as they like.
package metrics

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/retention"
)

// Metrics holds the collectors.
type Metrics struct {
	Registry *prometheus.Registry

	runs         *prometheus.CounterVec
	runDuration  *prometheus.HistogramVec
	rows         *prometheus.CounterVec
	lastSuccess  *prometheus.GaugeVec
	heldDeletes  *prometheus.GaugeVec
	available    *prometheus.GaugeVec
	badRecords   *prometheus.CounterVec
	quarantined  *prometheus.CounterVec
	requests     *prometheus.CounterVec
	requestTime  *prometheus.HistogramVec
	retries      *prometheus.CounterVec
	rateWait     *prometheus.CounterVec
	rateEff      *prometheus.GaugeVec
	skipped      *prometheus.CounterVec
	startDelay   prometheus.Histogram
	pushes       *prometheus.CounterVec
	pushSkipped  *prometheus.GaugeVec
	reloads      *prometheus.CounterVec
	webhooks     *prometheus.CounterVec
	tenantsGauge prometheus.Gauge

	retentionRuns   *prometheus.CounterVec
	retentionRows   prometheus.Counter
	retentionTook   prometheus.Histogram
	retentionLastOK prometheus.Gauge

	interval     *prometheus.GaugeVec
	failStreak   *prometheus.GaugeVec
	credRejected *prometheus.GaugeVec
	pushFailures *prometheus.CounterVec
	ready        prometheus.GaugeFunc
	// readyCheck answers syncd_ready at scrape time (nil: not serving yet, 0).
	readyCheck atomic.Pointer[func() bool]

	// mu guards the label sets of the gauges replaced as a whole.
	mu        sync.Mutex
	intervals map[[2]string]bool
	streaks   map[[2]string]bool

	// collectors are syncd's own, registered by New (MetricNames describes them).
	collectors []prometheus.Collector
}

// New registers syncd's metrics, plus Go runtime and process collectors, on a fresh registry.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_runs_total", Help: "Job runs by tenant, job and outcome (succeeded, failed, held, partial).",
		}, []string{"tenant", "job", "outcome"}),
		runDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "syncd_run_duration_seconds", Help: "Duration of job runs.",
			Buckets: []float64{0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 1800, 3600},
		}, []string{"tenant", "job"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_rows_total", Help: "Mirror rows by tenant, job and action (fetched, inserted, updated, unchanged, deleted).",
		}, []string{"tenant", "job", "action"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_last_success_timestamp_seconds", Help: "Unix time of the last successful run per tenant and job.",
		}, []string{"tenant", "job"}),
		heldDeletes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_held_deletes", Help: "Rows the latest run of a tenant's job would have tombstoned but the mass-delete guard held, per resource (absent when not held). Release with syncd sync --allow-deletes.",
		}, []string{"tenant", "job", "resource"}),
		available: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_resource_available", Help: "Whether the latest run of a tenant's pull job could list a resource (1) or found it unavailable upstream (0: the list answered 404, 405, 410 or a body that is not a JSON list; its rows were left as they were). api is the pull job's upstream (rentengine, funnel).",
		}, []string{"tenant", "api", "resource"}),
		badRecords: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_bad_records_total", Help: "Upstream records that could not be decoded or stored.",
		}, []string{"tenant", "job"}),
		quarantined: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_quarantined_records_total", Help: "Upstream records put in bad_records (by a pull or a webhook) because the mirror cannot store them as received, by tenant and mirror table.",
		}, []string{"tenant", "table"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_upstream_requests_total", Help: "Upstream HTTP attempts by API, operation and status code (0 = network error).",
		}, []string{"api", "op", "code"}),
		requestTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "syncd_upstream_request_duration_seconds", Help: "Upstream HTTP attempt duration.",
			Buckets: prometheus.DefBuckets,
		}, []string{"api"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_upstream_retries_total", Help: "Upstream retries by API and reason.",
		}, []string{"api", "reason"}),
		rateWait: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_rate_limit_wait_seconds_total", Help: "Seconds spent waiting on client-side rate limiters.",
		}, []string{"api"}),
		rateEff: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_rate_effective",
			Help: "Requests per second this process allows itself on an upstream credential: the configured rate, times the adaptive factor (lowered by 429s), times this process's share of the budget (1/n of n processes using it). Sum over replicas for the credential's total. credential is the config's name for it, or the sorted ids of the tenants that use it.",
		}, []string{"api", "credential"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_skipped_runs_total", Help: "Ticks not run, by reason: overrun (still running here), other_replica (running on another replica), tick_taken (another replica already ran this tick), lock_error, claim_error; for push: pulls_unfinished (the same tick's pulls of its tenant did not finish within its run timeout), waiting_for_first_pulls (a first push before every upstream had a complete pull).",
		}, []string{"tenant", "job", "reason"}),
		startDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "syncd_run_start_delay_seconds", Help: "How late runs started against schedule plus planned jitter.",
			Buckets: []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30},
		}),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_pushes_total", Help: "Pushes by tenant, kind and outcome: pushed, failed, unverified (a failure: answered 2xx without the documented answer, so the write may or may not have landed), unmatched.",
		}, []string{"tenant", "kind", "outcome"}),
		pushSkipped: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_push_skipped", Help: "Targets the latest push run of a tenant left alone, by kind and reason (customer_score: unlinked, ambiguous, no_status_score, client_deleted).",
		}, []string{"tenant", "kind", "reason"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_webhooks_total", Help: "RentEngine webhook deliveries by tenant, table and outcome (inserted, updated, unchanged, deleted, stale, ignored, malformed, bad_record, quarantined, unauthorized, too_large, unreadable, error).",
		}, []string{"tenant", "table", "outcome"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_config_reloads_total", Help: "Config reloads by outcome (applied, rejected).",
		}, []string{"outcome"}),
		tenantsGauge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "syncd_tenants", Help: "Enabled tenants in the running config.",
		}),
		retentionRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_history_retention_runs_total", Help: "Runs of the daily job that deletes record_changes rows older than history.keep, by outcome (succeeded, failed, skipped: another replica held its lock).",
		}, []string{"outcome"}),
		retentionRows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "syncd_history_pruned_rows_total", Help: "record_changes rows deleted by the history retention job.",
		}),
		retentionTook: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "syncd_history_retention_duration_seconds", Help: "Duration of history retention runs.",
			Buckets: []float64{0.01, 0.1, 1, 10, 60, 300, 1800, 3600},
		}),
		retentionLastOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "syncd_history_retention_last_success_timestamp_seconds", Help: "Unix time of the end of the last successful history retention run of this process.",
		}),
	}
	m.interval = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "syncd_job_interval_seconds", Help: "Longest time between two scheduled ticks of a tenant's job, from its schedule and time zone (an @every interval; for a cron expression the longest gap over the coming year, so a business-hours schedule reports its night). Absent for jobs that are not scheduled. Alert on last success older than a multiple of it.",
	}, []string{"tenant", "job"})
	m.failStreak = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "syncd_job_consecutive_failures", Help: "Runs of a tenant's scheduled job that failed (or were abandoned) in a row, newest first, as sync_runs records them across every replica (counted up to 10); 0 after a run that did not fail. Refreshed every 30s.",
	}, []string{"tenant", "job"})
	m.credRejected = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "syncd_credentials_rejected", Help: "Whether the latest run of a tenant's job stopped because an upstream answered 401 or 403 to its credential (1) or not (0). No retry fixes it: replace the credential. Refreshed from sync_runs every 30s, so every replica agrees.",
	}, []string{"tenant", "job"})
	m.pushFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "syncd_push_failures_total", Help: "Failed pushes (outcome failed or unverified) by tenant, kind and reason: the upstream error kind (auth, rate_limited, invalid, not_found, transient, permanent, decode, unverified, unknown).",
	}, []string{"tenant", "kind", "reason"})
	m.ready = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "syncd_ready", Help: "Whether the daemon is ready (1) or not (0), by the check /readyz makes at scrape time: not shutting down, database reachable, schema current.",
	}, func() float64 {
		if f := m.readyCheck.Load(); f != nil && (*f)() {
			return 1
		}
		return 0
	})
	m.collectors = []prometheus.Collector{m.runs, m.runDuration, m.rows, m.lastSuccess, m.heldDeletes, m.available, m.badRecords, m.quarantined, m.requests, m.requestTime,
		m.retries, m.rateWait, m.rateEff, m.skipped, m.startDelay, m.pushes, m.pushSkipped, m.reloads, m.webhooks, m.tenantsGauge,
		m.retentionRuns, m.retentionRows, m.retentionTook, m.retentionLastOK,
		m.interval, m.failStreak, m.credRejected, m.pushFailures, m.ready,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})}
	r.MustRegister(m.collectors...)
	return m
}

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// MetricNames lists the names of every metric New registers, sorted (histograms by their base
// name, without _bucket, _sum and _count). Unlike a Gather it includes vectors with no series
// yet; the deploy tests check the alert rules and the dashboard against it.
func (m *Metrics) MetricNames() []string {
	ch := make(chan *prometheus.Desc)
	go func() {
		for _, c := range m.collectors {
			c.Describe(ch)
		}
		close(ch)
	}()
	var names []string
	for d := range ch {
		if sub := fqName.FindStringSubmatch(d.String()); sub != nil {
			names = append(names, sub[1])
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// SetReadiness makes syncd_ready answer with ready() at each scrape (the daemon passes the check
// /readyz makes).
func (m *Metrics) SetReadiness(ready func() bool) { m.readyCheck.Store(&ready) }

// SetJobIntervals replaces syncd_job_interval_seconds with intervals ({tenant, job} → time
// between ticks): series of jobs no longer scheduled disappear.
func (m *Metrics) SetJobIntervals(intervals map[[2]string]time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.intervals {
		if _, ok := intervals[k]; !ok {
			m.interval.DeleteLabelValues(k[0], k[1])
		}
	}
	m.intervals = map[[2]string]bool{}
	for k, d := range intervals {
		m.interval.WithLabelValues(k[0], k[1]).Set(d.Seconds())
		m.intervals[k] = true
	}
}

// SetFailureStreaks replaces syncd_job_consecutive_failures with streaks ({tenant, job} → failed
// runs in a row): series of jobs left out disappear.
func (m *Metrics) SetFailureStreaks(streaks map[[2]string]int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.streaks {
		if _, ok := streaks[k]; !ok {
			m.failStreak.DeleteLabelValues(k[0], k[1])
		}
	}
	m.streaks = map[[2]string]bool{}
	for k, n := range streaks {
		m.failStreak.WithLabelValues(k[0], k[1]).Set(float64(n))
		m.streaks[k] = true
	}
}

// SetCredentialsRejected sets syncd_credentials_rejected from a job's latest run. The runner
// records a run stopped by a 401 or 403 with an error that starts with "credentials rejected:"
// (upstream.ErrCredentialsRejected, said first); the daemon seeds it from sync_runs at start.
func (m *Metrics) SetCredentialsRejected(run *models.SyncRun) {
	v := 0.0
	if run.Status == models.RunFailed && run.Error != nil &&
		strings.HasPrefix(*run.Error, upstream.ErrCredentialsRejected.Error()+":") {
		v = 1
	}
	m.credRejected.WithLabelValues(run.TenantID, run.Job).Set(v)
}

// HistoryPruned implements retention.Observer.
func (m *Metrics) HistoryPruned(outcome string, rows int64, took time.Duration) {
	m.retentionRuns.WithLabelValues(outcome).Inc()
	m.retentionRows.Add(float64(rows))
	if outcome == retention.Skipped {
		return
	}
	m.retentionTook.Observe(took.Seconds())
	if outcome == retention.Succeeded {
		m.retentionLastOK.SetToCurrentTime()
	}
}

// RegisterDB adds the connection-pool statistics (go_sql_*{db_name=…}) of a database pool: the
// mirror's (models.Store.PoolCollector), and the lock pool's, whose open connections are the
// locks held (daemon.Locker.PoolCollector).
func (m *Metrics) RegisterDB(pool prometheus.Collector) {
	m.Registry.MustRegister(pool)
}

// RunFinished implements sync.RunObserver.
func (m *Metrics) RunFinished(run *models.SyncRun, took time.Duration) {
	outcome := run.Status
	m.runs.WithLabelValues(run.TenantID, run.Job, outcome).Inc()
	m.runDuration.WithLabelValues(run.TenantID, run.Job).Observe(took.Seconds())
	for action, n := range map[string]int64{"fetched": run.Fetched, "inserted": run.Inserted,
		"updated": run.Updated, "unchanged": run.Unchanged, "deleted": run.Deleted} {
		m.rows.WithLabelValues(run.TenantID, run.Job, action).Add(float64(n))
	}
	if run.BadRecords > 0 {
		m.badRecords.WithLabelValues(run.TenantID, run.Job).Add(float64(run.BadRecords))
	}
	if run.Status == models.RunSucceeded && run.FinishedAt != nil {
		m.SetLastSuccess(run.TenantID, run.Job, *run.FinishedAt)
	}
	m.SetHeldDeletes(run.TenantID, run.Job, run.HeldDeletes())
	m.SetResourceAvailability(run)
	m.SetCredentialsRejected(run)
}

// SetResourceAvailability sets syncd_resource_available for each resource a pull run pulled or
// tried to pull: 0 for those it found unavailable upstream, 1 for the others (a resource that
// failed for another reason, such as a 500, is there; the run's outcome says it failed). The
// api label is the pull job's upstream, which the job is named after. Resources the run never
// reached (it stopped at a rejected credential) keep the value of the run that last reached
// them. The daemon seeds it from each job's latest run at start, so a restart does not hide an
// unavailable resource.
func (m *Metrics) SetResourceAvailability(run *models.SyncRun) {
	unavailable := run.Unavailable()
	for _, resource := range run.PulledResources() {
		v := 1.0
		if _, ok := unavailable[resource]; ok {
			v = 0
		}
		m.available.WithLabelValues(run.TenantID, run.Job, resource).Set(v)
	}
}

// SetHeldDeletes replaces the held-deletes gauges of a tenant's job with those of its latest run
// (nil: nothing held, so a released or recovered job's series disappear). The daemon seeds it
// from sync_runs at start, so a restart does not hide a held job.
func (m *Metrics) SetHeldDeletes(tenant, job string, held map[string]int64) {
	m.heldDeletes.DeletePartialMatch(prometheus.Labels{"tenant": tenant, "job": job})
	for resource, n := range held {
		m.heldDeletes.WithLabelValues(tenant, job, resource).Set(float64(n))
	}
}

// SetLastSuccess sets the last success time of a tenant's job. The daemon seeds it from
// sync_runs before its first run, so a restart does not blank it; with several replicas each
// reports the runs it saw, so alert on max by (tenant, job).
func (m *Metrics) SetLastSuccess(tenant, job string, at time.Time) {
	m.lastSuccess.WithLabelValues(tenant, job).Set(float64(at.Unix()))
}

// ForgetTenant removes the gauges of a tenant dropped from the config, so a removed tenant does
// not look like one whose syncs stopped. Counters stay: they are cumulative history.
func (m *Metrics) ForgetTenant(tenant string) {
	m.lastSuccess.DeletePartialMatch(prometheus.Labels{"tenant": tenant})
	m.heldDeletes.DeletePartialMatch(prometheus.Labels{"tenant": tenant})
	m.available.DeletePartialMatch(prometheus.Labels{"tenant": tenant})
	m.pushSkipped.DeletePartialMatch(prometheus.Labels{"tenant": tenant})
	m.credRejected.DeletePartialMatch(prometheus.Labels{"tenant": tenant})
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, g := range []struct {
		vec  *prometheus.GaugeVec
		keys map[[2]string]bool
	}{{m.interval, m.intervals}, {m.failStreak, m.streaks}} {
		g.vec.DeletePartialMatch(prometheus.Labels{"tenant": tenant})
		for k := range g.keys {
			if k[0] == tenant {
				delete(g.keys, k)
			}
		}
	}
}

// ObserveRequest implements upstream.Observer.
func (m *Metrics) ObserveRequest(api, op string, status int, d time.Duration) {
	m.requests.WithLabelValues(api, op, strconv.Itoa(status)).Inc()
	m.requestTime.WithLabelValues(api).Observe(d.Seconds())
}

// ObserveRetry implements upstream.Observer.
func (m *Metrics) ObserveRetry(api, _ string, kind upstream.Kind) {
	m.retries.WithLabelValues(api, kind.String()).Inc()
}

// ObserveRateWait implements upstream.Observer.
func (m *Metrics) ObserveRateWait(api string, d time.Duration) {
	m.rateWait.WithLabelValues(api).Add(d.Seconds())
}

// SetRateEffective implements upstream.RateObserver.
func (m *Metrics) SetRateEffective(api, credential string, perSecond float64) {
	m.rateEff.WithLabelValues(api, credential).Set(perSecond)
}

// Skipped implements scheduler.Observer.
func (m *Metrics) Skipped(tenant, job, reason string) {
	m.skipped.WithLabelValues(tenant, job, reason).Inc()
}

// StartDelay implements scheduler.Observer.
func (m *Metrics) StartDelay(_, _ string, d time.Duration) { m.startDelay.Observe(d.Seconds()) }

// Push counts one push outcome.
func (m *Metrics) Push(tenant, kind, outcome string) {
	m.pushes.WithLabelValues(tenant, kind, outcome).Inc()
}

// PushFailed counts one failed push by the upstream error kind (upstream.Kind's name); it
// implements sync.PushFailureObserver.
func (m *Metrics) PushFailed(tenant, kind, reason string) {
	m.pushFailures.WithLabelValues(tenant, kind, reason).Inc()
}

// PushSkipped replaces a tenant's skip gauges with its latest push run's counts (kind → reason →
// count), so a kind or reason that run did not report disappears; it implements
// sync.PushSkipObserver.
func (m *Metrics) PushSkipped(tenant string, skips map[string]map[string]int) {
	m.pushSkipped.DeletePartialMatch(prometheus.Labels{"tenant": tenant})
	for kind, byReason := range skips {
		for reason, n := range byReason {
			m.pushSkipped.WithLabelValues(tenant, kind, reason).Set(float64(n))
		}
	}
}

// Webhook counts one webhook delivery.
func (m *Metrics) Webhook(tenant, table, outcome string) {
	m.webhooks.WithLabelValues(tenant, table, outcome).Inc()
}

// Quarantined counts records put in bad_records; it implements sync.QuarantineObserver.
func (m *Metrics) Quarantined(tenant, table string, n int) {
	m.quarantined.WithLabelValues(tenant, table).Add(float64(n))
}

// Reload counts a config reload.
func (m *Metrics) Reload(applied bool) {
	o := "rejected"
	if applied {
		o = "applied"
	}
	m.reloads.WithLabelValues(o).Inc()
}

// SetTenants sets the number of enabled tenants.
func (m *Metrics) SetTenants(n int) { m.tenantsGauge.Set(float64(n)) }
