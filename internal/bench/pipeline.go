package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/mirror"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// Go benchmarks of the pull's hot path. `go test -bench . ./internal/bench` runs them (for
// profiling and benchstat comparisons); the harness runs them too, with testing.Benchmark, and
// reports them as supporting figures. They measure one goroutine on an otherwise idle process,
// so they are steadier than the end-to-end scenarios.

// Resources are the pulled RentEngine resources, in pull order.
var Resources = []rentengine.Resource{rentengine.Units, rentengine.Prospects, rentengine.LeasingEvents}

// Pages returns the first n 100-record pages of res from a seeded fake, as the fake serves them.
func Pages(res rentengine.Resource, n int) [][]byte {
	fake := rentenginefake.NewUnstarted(rentenginefake.Options{Token: "t"})
	rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: 1, Units: 2000, Prospects: 2000, EventsPerProspect: 3})
	var (
		out  [][]byte
		page []byte
		k    int
	)
	for _, raw := range fake.All(rentenginefake.Resource(res)) {
		if k == 0 {
			page = append(page[:0:0], '[')
		} else {
			page = append(page, ',')
		}
		page = append(page, raw...)
		if k++; k == 100 {
			out = append(out, append(page, ']'))
			k = 0
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// DecodePage benchmarks the client-side CPU of a pull's page before the database: split the page
// into records, then per record its typed columns (the id among them) and content hash, as the
// pull does. It reports ns/record.
func DecodePage(b *testing.B, res rentengine.Resource) {
	ps := Pages(res, 20)
	size := 0
	for _, p := range ps {
		size += len(p)
	}
	b.SetBytes(int64(size / len(ps)))
	b.ReportAllocs()
	recs := 0
	for i := 0; b.Loop(); i++ {
		raws, _, err := upstream.DecodeList(ps[i%len(ps)])
		if err != nil {
			b.Fatal(err)
		}
		for _, raw := range raws {
			if _, err := mirror.RentEngineRow(res, raw); err != nil {
				b.Fatal(err)
			}
		}
		recs += len(raws)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(recs), "ns/record")
}

// UpsertMode selects what UpsertPage benchmarks.
type UpsertMode string

// Upsert modes.
const (
	UpsertInsert    UpsertMode = "insert"    // UpsertPage with new ids (reads stored hashes, finds none)
	UpsertNew       UpsertMode = "new"       // UpsertNewPage, as a first sync writes
	UpsertUnchanged UpsertMode = "unchanged" // UpsertPage of stored, unchanged rows, as a re-sync
)

var upsertRuns int

// UpsertPage benchmarks writing 100-row pages of leasing events into Postgres with store (a
// migrated database, reused across calls) and reports ns/row (wall time: client and database in
// turn, one connection).
func UpsertPage(b *testing.B, store *models.Store, mode UpsertMode) {
	ctx := context.Background()
	var rows [][]models.RentEngineLeasingEvent
	for _, p := range Pages(rentengine.LeasingEvents, 50) {
		raws, _, err := upstream.DecodeList(p)
		if err != nil {
			b.Fatal(err)
		}
		var page []models.RentEngineLeasingEvent
		for _, raw := range raws {
			r, err := mirror.RentEngineRow(rentengine.LeasingEvents, raw)
			if err != nil {
				b.Fatal(err)
			}
			page = append(page, *r.(*models.RentEngineLeasingEvent))
		}
		rows = append(rows, page)
	}
	now := time.Now().UTC()
	origin := models.Origin{RunID: "bench-upsert"}
	upsertRuns++
	run := upsertRuns
	tenant := func(i int) string {
		if mode == UpsertUnchanged {
			return fmt.Sprintf("same%d", run)
		}
		// A new tenant every len(rows) pages keeps every row new.
		return fmt.Sprintf("%s%d-%d", mode, run, i/len(rows))
	}
	if mode == UpsertUnchanged {
		for _, page := range rows {
			if _, err := models.UpsertPage[int64, models.RentEngineLeasingEvent](ctx, store, tenant(0), origin, page, now); err != nil {
				b.Fatal(err)
			}
		}
	}
	n := 0
	for i := 0; b.Loop(); i++ {
		page := rows[i%len(rows)]
		var (
			pc  models.PageCounts
			err error
		)
		if mode == UpsertNew {
			pc, err = models.UpsertNewPage[int64, models.RentEngineLeasingEvent](ctx, store, tenant(i), origin, page, now)
		} else {
			pc, err = models.UpsertPage[int64, models.RentEngineLeasingEvent](ctx, store, tenant(i), origin, page, now)
		}
		if err != nil {
			b.Fatal(err)
		}
		want := pc.Inserted
		if mode == UpsertUnchanged {
			want = pc.Unchanged
		}
		if want != len(page) {
			b.Fatalf("%s: page counted %+v", mode, pc)
		}
		n += len(page)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/row")
}

// PipelineResult is the Go benchmarks' outcome, per resource (ns/record) and upsert mode
// (ns/row).
type PipelineResult struct {
	Decode map[rentengine.Resource]float64
	Upsert map[UpsertMode]float64
}

func (h *harness) pipeline(ctx context.Context) (*PipelineResult, error) {
	res := &PipelineResult{Decode: map[rentengine.Resource]float64{}, Upsert: map[UpsertMode]float64{}}
	for _, r := range Resources {
		br := testing.Benchmark(func(b *testing.B) { DecodePage(b, r) })
		if br.N == 0 {
			return res, fmt.Errorf("decode benchmark %s failed", r)
		}
		res.Decode[r] = br.Extra["ns/record"]
		h.logf("decode %s: %.0f ns/record", r, res.Decode[r])
	}
	dsn, drop, err := h.newDB(ctx)
	if err != nil {
		return res, err
	}
	defer drop()
	store, err := openStore(ctx, dsn, 0, h.cfg.Log)
	if err != nil {
		return res, err
	}
	defer store.Close()
	for _, m := range []UpsertMode{UpsertInsert, UpsertNew, UpsertUnchanged} {
		br := testing.Benchmark(func(b *testing.B) { UpsertPage(b, store, m) })
		if br.N == 0 {
			return res, fmt.Errorf("upsert benchmark %s failed", m)
		}
		res.Upsert[m] = br.Extra["ns/row"]
		h.logf("upsert %s: %.0f ns/row", m, res.Upsert[m])
	}
	return res, nil
}
