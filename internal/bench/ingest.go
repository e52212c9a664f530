package bench

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	gosync "sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/mirror"
	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/mirrortest"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// IngestConfig sizes the ingest scenario.
type IngestConfig struct {
	// Tenants each get their own fake RentEngine with Units, Prospects and about Events leasing
	// events (the fake draws each prospect's event count at random around the average).
	Tenants                  int
	Units, Prospects, Events int
	// Concurrency is how many tenant jobs run at once (0 = the daemon's default
	// limits.max_concurrent_jobs); PoolSize the Postgres pool (0 = database.max_open_conns'
	// default). The reference uses the same concurrency and pool size.
	Concurrency, PoolSize int
	// Reps is how many times both sides are measured (each on fresh databases).
	Reps int
}

// IngestRep is one repetition: reference and syncd on fresh databases, then the re-sync.
type IngestRep struct {
	Order string // which side ran first
	Rows  int64

	Floor, Sync, Resync time.Duration
	// FloorRate and SyncRate are rows per second; Ratio is SyncRate / FloorRate.
	FloorRate, SyncRate, Ratio float64
	// FirstWrites and ResyncWrites are n_tup_ins + n_tup_upd on the mirror tables during the
	// first sync and during the unchanged re-sync.
	FirstWrites, ResyncWrites int64
	// ResyncUnchanged is the re-sync's unchanged count (every row).
	ResyncUnchanged int64
	// History: rows appended to record_changes by the first sync (FirstHistory, one insert per
	// row) and by the unchanged re-sync (ResyncHistory, none); then Changed records are changed
	// upstream (updated, deleted, inserted), a third sync counts ChangedCounted of them (its
	// runs' inserted + updated + deleted) and appends ChangedHistory rows.
	FirstHistory, ResyncHistory             int64
	Changed, ChangedCounted, ChangedHistory int64
	// ResyncRatio is Resync / Sync.
	ResyncRatio float64
	// CPU used by each phase.
	FloorCPU, SyncCPU, ResyncCPU CPU
	Load                         string // 1-minute load average after the repetition
}

// IngestResult is the ingest scenario's outcome.
type IngestResult struct {
	Config                IngestConfig
	Units, Prospects      int64
	Events                int64
	Reps                  []IngestRep
	MirrorChecked         int // tenants whose mirror was compared with the fake, row by row
	LoadBefore, LoadAfter string
}

// Median figures across repetitions.
func (r *IngestResult) Median() IngestRep {
	pick := func(f func(IngestRep) float64) float64 {
		v := make([]float64, len(r.Reps))
		for i, rep := range r.Reps {
			v[i] = f(rep)
		}
		return median(v)
	}
	dur := func(f func(IngestRep) time.Duration) time.Duration {
		return time.Duration(pick(func(r IngestRep) float64 { return float64(f(r)) }))
	}
	m := IngestRep{
		Floor:       dur(func(r IngestRep) time.Duration { return r.Floor }),
		Sync:        dur(func(r IngestRep) time.Duration { return r.Sync }),
		Resync:      dur(func(r IngestRep) time.Duration { return r.Resync }),
		FloorRate:   pick(func(r IngestRep) float64 { return r.FloorRate }),
		SyncRate:    pick(func(r IngestRep) float64 { return r.SyncRate }),
		Ratio:       pick(func(r IngestRep) float64 { return r.Ratio }),
		ResyncRatio: pick(func(r IngestRep) float64 { return r.ResyncRatio }),
	}
	for _, rep := range r.Reps {
		m.Rows = rep.Rows
		m.ResyncWrites = max(m.ResyncWrites, rep.ResyncWrites) // worst case, not the median
		m.FirstWrites = rep.FirstWrites
		m.ResyncUnchanged = rep.ResyncUnchanged
		// History: sums over the repetitions, so that one that recorded a change twice or not
		// at all shows.
		m.FirstHistory += rep.FirstHistory
		m.ResyncHistory += rep.ResyncHistory
		m.Changed += rep.Changed
		m.ChangedCounted += rep.ChangedCounted
		m.ChangedHistory += rep.ChangedHistory
	}
	return m
}

// tenantFake is one tenant of a scenario with its own fake upstream.
type tenantFake struct {
	tenant *tenants.Tenant
	fake   *rentenginefake.Server
}

// seedRentEngine adds units, prospects and about events leasing events. The fake's seeder takes
// an integer average of events per prospect, so a fractional average (50k events for 20k
// prospects) is reached by seeding part of the prospects with the next integer up.
func seedRentEngine(s *rentenginefake.Server, seed int64, units, prospects, events int) {
	if prospects <= 0 {
		rentenginefake.Seed(s, rentenginefake.SeedOptions{Seed: seed, Units: units})
		return
	}
	lo := events / prospects
	hi := events - lo*prospects // prospects seeded with lo+1 events on average
	if hi > 0 {
		rentenginefake.Seed(s, rentenginefake.SeedOptions{Seed: seed, Units: units, Prospects: hi, EventsPerProspect: lo + 1})
		units = 0
	}
	if rest := prospects - hi; rest > 0 || units > 0 {
		rentenginefake.Seed(s, rentenginefake.SeedOptions{Seed: seed + 7919, Units: units, Prospects: rest, EventsPerProspect: lo})
	}
}

func (h *harness) ingest(ctx context.Context) (*IngestResult, error) {
	cfg := h.cfg.Ingest
	cfg.Concurrency = cmp.Or(cfg.Concurrency, tenants.DefaultMaxConcurrentJobs)
	cfg.PoolSize = cmp.Or(cfg.PoolSize, tenants.DefaultMaxOpenConns)
	cfg.Reps = max(cfg.Reps, 1)
	res := &IngestResult{Config: cfg, LoadBefore: loadAvg()}

	h.logf("seeding %d fake RentEngines (%d units, %d prospects, ~%d events each)", cfg.Tenants, cfg.Units, cfg.Prospects, cfg.Events)
	fakes := make([]*tenantFake, cfg.Tenants)
	for i := range fakes {
		token := fmt.Sprintf("bench-ingest-%02d", i)
		f := rentenginefake.NewUnstarted(rentenginefake.Options{Token: token})
		seedRentEngine(f, int64(1000+i), cfg.Units, cfg.Prospects, cfg.Events)
		if err := f.Start(); err != nil {
			return nil, err
		}
		defer f.Close()
		fakes[i] = &tenantFake{fake: f, tenant: &tenants.Tenant{
			ID: fmt.Sprintf("tenant%02d", i), RunTimeout: time.Hour,
			// No rate limit: the scenario measures the pipeline, not the upstream's allowance.
			RentEngine: &tenants.RentEngine{BaseURL: f.BaseURL(), Token: tenants.NewSecret(token)},
		}}
		res.Units += int64(f.Count(rentenginefake.Units))
		res.Prospects += int64(f.Count(rentenginefake.Prospects))
		res.Events += int64(f.Count(rentenginefake.LeasingEvents))
	}
	total := res.Units + res.Prospects + res.Events
	h.logf("seeded %d rows (%d units, %d prospects, %d events)", total, res.Units, res.Prospects, res.Events)

	for rep := range cfg.Reps {
		r := IngestRep{Rows: total}
		floorFirst := rep%2 == 0
		r.Order = "syncd first"
		if floorFirst {
			r.Order = "reference first"
		}
		runFloor := func() error {
			d, cpu, err := h.floor(ctx, fakes, cfg, total)
			r.Floor, r.FloorCPU = d, cpu
			return err
		}
		runSync := func() error {
			check := 0
			if rep == 0 {
				check = 1
				if h.cfg.Mode == "smoke" {
					check = len(fakes)
				}
			}
			return h.syncSide(ctx, fakes, cfg, total, check, rep, &r, res)
		}
		steps := []func() error{runSync, runFloor}
		if floorFirst {
			steps = []func() error{runFloor, runSync}
		}
		for _, step := range steps {
			runtime.GC()
			if err := step(); err != nil {
				return res, err
			}
		}
		r.FloorRate = float64(total) / r.Floor.Seconds()
		r.SyncRate = float64(total) / r.Sync.Seconds()
		r.Ratio = r.SyncRate / r.FloorRate
		r.ResyncRatio = r.Resync.Seconds() / r.Sync.Seconds()
		r.Load = loadAvg()
		h.logf("rep %d (%s): reference %.0f rows/s, syncd %.0f rows/s, ratio %.2f; re-sync %s (%.2f of first), %d rows rewritten; load %s",
			rep+1, r.Order, r.FloorRate, r.SyncRate, r.Ratio, r.Resync.Round(time.Millisecond), r.ResyncRatio, r.ResyncWrites, r.Load)
		h.logf("CPU: reference harness %s postgres %s; syncd harness %s postgres %s; re-sync harness %s postgres %s",
			r.FloorCPU.Harness.Round(time.Second/10), r.FloorCPU.Postgres.Round(time.Second/10),
			r.SyncCPU.Harness.Round(time.Second/10), r.SyncCPU.Postgres.Round(time.Second/10),
			r.ResyncCPU.Harness.Round(time.Second/10), r.ResyncCPU.Postgres.Round(time.Second/10))
		res.Reps = append(res.Reps, r)
	}
	res.LoadAfter = loadAvg()
	return res, nil
}

// syncSide runs the daemon's pull for every tenant into a fresh mirror, then the unchanged
// re-sync, and reads the write counters around both.
func (h *harness) syncSide(ctx context.Context, fakes []*tenantFake, cfg IngestConfig, total int64, check, rep int, r *IngestRep, res *IngestResult) error {
	dsn, drop, err := h.newDB(ctx)
	if err != nil {
		return err
	}
	defer drop()
	base, err := tupleWrites(ctx, dsn) // migrations write nothing to the mirror tables, but be exact
	if err != nil {
		return err
	}

	store, err := openStore(ctx, dsn, cfg.PoolSize, h.cfg.Log)
	if err != nil {
		return err
	}
	h.logf("syncd: %d tenants, %d at a time, pool %d", len(fakes), cfg.Concurrency, cfg.PoolSize)
	meter := startCPU(dsn)
	d, runs, err := h.syncAll(ctx, store, fakes, cfg.Concurrency)
	r.SyncCPU = meter.stop()
	if err != nil {
		store.Close()
		return err
	}
	r.Sync = d
	var inserted int64
	for _, run := range runs {
		inserted += run.Inserted
	}
	if inserted != total {
		store.Close()
		return fmt.Errorf("first sync inserted %d rows, want %d", inserted, total)
	}
	for _, f := range fakes[:check] {
		diffs, err := mirrortest.RentEngineDiff(ctx, store, f.tenant.ID, f.fake)
		if err != nil {
			store.Close()
			return err
		}
		if len(diffs) > 0 {
			store.Close()
			return fmt.Errorf("tenant %s: the mirror differs from the fake in %d rows, first: %s", f.tenant.ID, len(diffs), diffs[0])
		}
		res.MirrorChecked = max(res.MirrorChecked, check)
	}
	store.Close()
	first, err := tupleWrites(ctx, dsn)
	if err != nil {
		return err
	}
	r.FirstWrites = first - base
	if r.FirstHistory, err = historyRows(ctx, dsn); err != nil {
		return err
	}
	// Autovacuum would have visited the freshly loaded tables in the quarter hour between two
	// scheduled runs; do it now so that it does not run during the measured re-sync instead.
	if err := vacuumAnalyze(ctx, dsn); err != nil {
		return err
	}

	store, err = openStore(ctx, dsn, cfg.PoolSize, h.cfg.Log)
	if err != nil {
		return err
	}
	meter = startCPU(dsn)
	d, runs, err = h.syncAll(ctx, store, fakes, cfg.Concurrency)
	r.ResyncCPU = meter.stop()
	store.Close()
	if err != nil {
		return err
	}
	r.Resync = d
	r.ResyncUnchanged = 0
	for _, run := range runs {
		r.ResyncUnchanged += run.Unchanged
		if run.Inserted+run.Updated+run.Deleted != 0 {
			return fmt.Errorf("tenant %s: unchanged re-sync counted %d inserted, %d updated, %d deleted",
				run.TenantID, run.Inserted, run.Updated, run.Deleted)
		}
	}
	after, err := tupleWrites(ctx, dsn)
	if err != nil {
		return err
	}
	r.ResyncWrites = after - first
	resynced, err := historyRows(ctx, dsn)
	if err != nil {
		return err
	}
	r.ResyncHistory = resynced - r.FirstHistory
	return h.changedSync(ctx, dsn, fakes, cfg, rep, r, resynced)
}

// changedSync changes records in every tenant's fake (rent of 1% of the units, status of 1% of
// the prospects, and 0.1% of the units deleted and as many new ones inserted, so the next
// repetition pulls as many rows; values differ per repetition rep), syncs every tenant again,
// untimed, and counts what the runs changed and the rows they appended to record_changes
// (before: the rows it held before).
func (h *harness) changedSync(ctx context.Context, dsn string, fakes []*tenantFake, cfg IngestConfig, rep int, r *IngestRep, before int64) error {
	for _, f := range fakes {
		units, prospects := f.fake.IDs(rentenginefake.Units), f.fake.IDs(rentenginefake.Prospects)
		nu, np, nd := max(1, len(units)/100), max(1, len(prospects)/100), max(1, len(units)/1000)
		kept := units[:len(units)-nd] // the last nd are deleted below
		// Evenly spaced, so the picks are distinct; shifted by rep, so each repetition edits others.
		step := len(kept) / nu
		for i := range nu {
			id := kept[i*step+rep%step]
			if err := f.fake.Update(rentenginefake.Units, id, map[string]any{"target_rental_rate": fmt.Sprintf("%d.%02d", 1000+i, rep%100)}); err != nil {
				return err
			}
		}
		step = len(prospects) / np
		for i := range np {
			id := prospects[i*step+rep%step]
			if err := f.fake.Update(rentenginefake.Prospects, id, map[string]any{"status": fmt.Sprintf("Benchmark status %d", rep)}); err != nil {
				return err
			}
		}
		for i := range nd {
			if err := f.fake.Delete(rentenginefake.Units, units[len(units)-1-i]); err != nil {
				return err
			}
			f.fake.Insert(rentenginefake.Units, map[string]any{"status": "Available", "target_rental_rate": "1500"})
		}
		r.Changed += int64(nu + np + 2*nd)
	}
	store, err := openStore(ctx, dsn, cfg.PoolSize, h.cfg.Log)
	if err != nil {
		return err
	}
	_, runs, err := h.syncAll(ctx, store, fakes, cfg.Concurrency)
	store.Close()
	if err != nil {
		return err
	}
	for _, run := range runs {
		r.ChangedCounted += run.Inserted + run.Updated + run.Deleted
	}
	after, err := historyRows(ctx, dsn)
	if err != nil {
		return err
	}
	r.ChangedHistory = after - before
	return nil
}

// historyRows counts the rows of record_changes.
func historyRows(ctx context.Context, dsn string) (int64, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+models.RecordChange{}.TableName()).Scan(&n); err != nil {
		return 0, fmt.Errorf("count record_changes: %w", err)
	}
	return n, nil
}

// syncAll runs the rentengine job of every tenant through one Runner, at most concurrency at a
// time, as the daemon's scheduler does with limits.max_concurrent_jobs, and returns the wall time.
func (h *harness) syncAll(ctx context.Context, store *models.Store, fakes []*tenantFake, concurrency int) (time.Duration, []*models.SyncRun, error) {
	runner := syncer.NewRunner(syncer.Config{Store: store, Limiters: upstream.NewLimiters(), Host: "bench"}, h.cfg.Log)
	jobs := make(chan *tenantFake)
	var (
		mu   gosync.Mutex
		runs []*models.SyncRun
		errs []error
		wg   gosync.WaitGroup
	)
	start := time.Now()
	for range min(concurrency, len(fakes)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				run, err := runner.Run(ctx, f.tenant, tenants.JobRentEngine)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					runs = append(runs, run)
				}
				mu.Unlock()
			}
		}()
	}
	for _, f := range fakes {
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	return time.Since(start), runs, errors.Join(errs...)
}

func vacuumAnalyze(ctx context.Context, dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, t := range append(slices.Clip(mirrorTables), models.RecordChange{}.TableName()) {
		if _, err := db.ExecContext(ctx, "VACUUM ANALYZE "+t); err != nil {
			return fmt.Errorf("vacuum %s: %w", t, err)
		}
	}
	return nil
}

// --- the write floor ---

// copyTable is one table's rows for one tenant, ready for CopyFrom.
type copyTable struct {
	table string
	cols  []string
	rows  [][]any
}

var (
	unitCols = []string{"tenant_id", "id", "account_id", "status", "property_type", "address_id", "formatted_address",
		"unit_number", "city", "state", "zip_code", "bedrooms", "bathrooms", "sqft", "rent", "is_occupied",
		"created_at", "updated_at", "raw", "content_hash", "first_seen_at", "synced_at", "deleted_at"}
	prospectCols = []string{"tenant_id", "id", "name", "email", "phone", "status", "source", "unit_id",
		"email_normalized", "phone_e164", "created_at", "updated_at", "raw", "content_hash", "first_seen_at",
		"synced_at", "deleted_at"}
	eventCols = []string{"tenant_id", "id", "prospect_id", "unit_id", "event_type", "source", "created_by",
		"assigned_user_id", "deleted", "created_at", "planned_at", "raw", "content_hash", "first_seen_at",
		"synced_at", "deleted_at"}
)

// floorRows builds, outside the timed part, exactly the rows a pull stores for a tenant: the
// same decoding (mirror.RentEngineRow), raw JSON and content hash.
func floorRows(f *tenantFake, now time.Time) ([]copyTable, error) {
	tenant := f.tenant.ID
	var out []copyTable
	for _, res := range []rentengine.Resource{rentengine.Units, rentengine.Prospects, rentengine.LeasingEvents} {
		ct := copyTable{table: "rentengine_" + string(res)}
		for _, raw := range f.fake.All(rentenginefake.Resource(res)) {
			row, err := mirror.RentEngineRow(res, raw)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", res, err)
			}
			switch r := row.(type) {
			case *models.RentEngineUnit:
				ct.cols = unitCols
				ct.rows = append(ct.rows, []any{tenant, r.ID, r.AccountID, r.Status, r.PropertyType, r.AddressID,
					r.FormattedAddress, r.UnitNumber, r.City, r.State, r.ZipCode, r.Bedrooms, r.Bathrooms, r.Sqft,
					r.Rent, r.IsOccupied, r.SourceCreatedAt, r.SourceUpdatedAt, json.RawMessage(r.Raw),
					r.ContentHash, now, now, nil})
			case *models.RentEngineProspect:
				ct.cols = prospectCols
				ct.rows = append(ct.rows, []any{tenant, r.ID, r.Name, r.Email, r.Phone, r.Status, r.Source, r.UnitID,
					r.EmailNormalized, r.PhoneE164, r.SourceCreatedAt, r.SourceUpdatedAt, json.RawMessage(r.Raw),
					r.ContentHash, now, now, nil})
			case *models.RentEngineLeasingEvent:
				ct.cols = eventCols
				ct.rows = append(ct.rows, []any{tenant, r.ID, r.ProspectID, r.UnitID, r.EventType, r.Source, r.CreatedBy,
					r.AssignedUserID, r.Deleted, r.SourceCreatedAt, r.PlannedAt, json.RawMessage(r.Raw),
					r.ContentHash, now, now, nil})
			}
		}
		out = append(out, ct)
	}
	return out, nil
}

// floor writes every tenant's rows with CopyFrom into a freshly migrated database (the same
// migrations, so identical tables and indexes), one COPY per tenant and table, with the same
// concurrency and pool size as the syncd side, and returns the wall time of the writes.
func (h *harness) floor(ctx context.Context, fakes []*tenantFake, cfg IngestConfig, total int64) (time.Duration, CPU, error) {
	dsn, drop, err := h.newDB(ctx)
	if err != nil {
		return 0, CPU{}, err
	}
	defer drop()
	st, err := openStore(ctx, dsn, 2, h.cfg.Log)
	if err != nil {
		return 0, CPU{}, err
	}
	st.Close()

	now := time.Now().UTC()
	work := make([][]copyTable, len(fakes))
	for i, f := range fakes {
		if work[i], err = floorRows(f, now); err != nil {
			return 0, CPU{}, err
		}
	}
	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return 0, CPU{}, err
	}
	pcfg.MaxConns = int32(cfg.PoolSize)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return 0, CPU{}, err
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		return 0, CPU{}, err
	}
	runtime.GC() // the rows just built are garbage-free; do not let their build's garbage be collected on the clock

	h.logf("reference: CopyFrom of %d rows, %d tenants at a time, pool %d", total, cfg.Concurrency, cfg.PoolSize)
	jobs := make(chan []copyTable)
	var (
		mu     gosync.Mutex
		copied int64
		errs   []error
		wg     gosync.WaitGroup
	)
	meter := startCPU(dsn)
	start := time.Now()
	for range min(cfg.Concurrency, len(fakes)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for tables := range jobs {
				for _, ct := range tables {
					n, err := pool.CopyFrom(ctx, pgx.Identifier{ct.table}, ct.cols, pgx.CopyFromRows(ct.rows))
					mu.Lock()
					copied += n
					if err != nil {
						errs = append(errs, fmt.Errorf("copy into %s: %w", ct.table, err))
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, w := range work {
		jobs <- w
	}
	close(jobs)
	wg.Wait()
	took := time.Since(start)
	cpu := meter.stop()
	if err := errors.Join(errs...); err != nil {
		return 0, cpu, err
	}
	if copied != total {
		return 0, cpu, fmt.Errorf("reference copied %d rows, want %d", copied, total)
	}
	return took, cpu, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
