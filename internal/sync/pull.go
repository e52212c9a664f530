package sync

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/mirror"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// resource describes one pulled collection: how to stream it from the upstream and how to turn a
// raw record into a mirror row. It is generic over the row type; pullers of different types sit
// side by side behind the puller interface.
type resource[K models.Key, T any, P interface {
	*T
	models.Row[K]
}] struct {
	name  string // "units"
	table string // "rentengine_units"
	list  func(ctx context.Context, fn func(upstream.Page) error) error
	// key extracts only the id, so that a record that fails full decoding is still known to exist.
	key func(raw json.RawMessage) (K, error)
	// build decodes a record into a row; the engine sets Raw and ContentHash (mirror.SetRaw).
	build func(raw json.RawMessage) (T, error)
	// keyedByBuild says that build fails whenever key does and that a built row's Key() is what
	// key returns, so the engine takes the id from the built row and calls key only for a record
	// that build rejects: decoding every record twice was a tenth of a pull's CPU.
	keyedByBuild bool
	// keep, when set, says whether a built row belongs in the tenant's mirror (the RentEngine
	// account filter). A row it rejects is counted as filtered, is not written, and is not seen:
	// a copy stored earlier is tombstoned by a complete pass, like any record no longer listed.
	keep func(ctx context.Context, row *T) (bool, error)
}

// puller is a resource with its types erased.
type puller interface {
	resourceName() string
	pull(ctx context.Context, rc *runContext) (Counts, error)
}

func (r resource[K, T, P]) resourceName() string { return r.name }

// pull runs one complete pass over the resource, upserting page by page, then tombstones the
// tenant's rows that the pass did not return.
//
// Bounds: a pass reads at most rc.bounds.maxPages pages; past that it fails, and a failed pass
// tombstones nothing. A pass that would tombstone too many rows at once (see pullBounds.holds)
// tombstones none of them and reports the would-be count in Counts.HeldDeletes instead; the run
// is then recorded as held until an operator allows the deletions or raises the limit.
//
// Page drift: the upstreams page by offset, so a record deleted upstream during the pass shifts
// later records back by one and the record at the page boundary is skipped. A skipped record is
// indistinguishable from a deleted one, so whenever a pass leaves tombstone candidates the
// resource is listed once more and only rows missing from both passes are tombstoned. Deletions
// are rare upstream, so the second pass is rare too; records skipped only by the second pass were
// seen by the first, and records inserted during a pass are picked up by the next run.
func (r resource[K, T, P]) pull(ctx context.Context, rc *runContext) (Counts, error) {
	var c Counts
	log := rc.log.With(zap.String("table", r.table))

	// A first sync starts with no row of the tenant in the table: its pages need no read of
	// stored hashes (see models.UpsertNewPage).
	has, err := models.HasRows[T, P](ctx, rc.store, rc.tenant)
	if err != nil {
		return c, err
	}
	upsert := models.UpsertPage[K, T, P]
	if !has {
		upsert = models.UpsertNewPage[K, T, P]
	}

	// report is false on the verifying pass: its bad records were already counted and logged.
	pass := func(seen seenSet[K], report bool) (complete bool, err error) {
		complete = true
		pages := 0
		err = r.list(ctx, func(p upstream.Page) error {
			// Checked before the page is stored: an upstream that never stops sending full
			// pages gets no further than the limit.
			if pages++; pages > rc.bounds.maxPages {
				return fmt.Errorf("%w: more than %d pages in one pass (max_pages); stopped before storing page %d",
					ErrTooManyPages, rc.bounds.maxPages, p.Number)
			}
			c.Pages++
			rows := make([]T, 0, len(p.Records))
			for _, raw := range p.Records {
				c.Fetched++
				var (
					row      T
					buildErr error
					k        K
					err      error
				)
				if r.keyedByBuild {
					if row, buildErr = r.build(raw); buildErr == nil {
						k = P(&row).Key()
					} else {
						k, err = r.key(raw)
					}
				} else {
					k, err = r.key(raw)
				}
				if err != nil {
					// Without an id this record cannot be protected from tombstoning, so the
					// pass is not allowed to tombstone anything.
					complete = false
					if !report {
						continue
					}
					c.BadRecords++
					log.Warn("bad upstream record: no usable id; skipped, and tombstoning is off for this pass",
						zap.Int("page", p.Number), zap.Error(err), zap.String("raw", excerpt(raw)))
					continue
				}
				if !r.keyedByBuild {
					row, buildErr = r.build(raw)
				}
				if buildErr == nil && r.keep != nil {
					ok, err := r.keep(ctx, &row)
					if err != nil {
						return fmt.Errorf("filter page %d of %s: %w", p.Number, r.name, err)
					}
					if !ok {
						if report {
							c.Filtered++
						}
						continue
					}
				}
				seen.add(k)
				if why := models.Unstorable(raw); why != "" {
					if err := rc.quarantine(ctx, r.table, k, raw, why, p.Number, report, &c); err != nil {
						return fmt.Errorf("store page %d of %s: %w", p.Number, r.name, err)
					}
					continue
				}
				if err := buildErr; err != nil {
					if !report {
						continue
					}
					c.BadRecords++
					log.Warn("bad upstream record: skipped, stored row kept", zap.Any("id", k),
						zap.Int("page", p.Number), zap.Error(err), zap.String("raw", excerpt(raw)))
					continue
				}
				mirror.SetRaw(P(&row).Sys(), raw)
				rows = append(rows, row)
			}
			pc, err := storePage[K, T, P](ctx, rc, r.table, upsert, rows, p.Number, report, &c)
			if err != nil {
				return fmt.Errorf("store page %d of %s: %w", p.Number, r.name, err)
			}
			c.Inserted += int64(pc.Inserted)
			c.Updated += int64(pc.Updated)
			c.Unchanged += int64(pc.Unchanged)
			return nil
		})
		return complete, err
	}

	c.Passes = 1
	first := newSeen[K]()
	complete, err := pass(first, true)
	if err != nil {
		return c, err
	}
	if !complete {
		c.Notes = append(c.Notes, "records without id: nothing tombstoned")
		return c, nil
	}
	var (
		missing []K
		live    int64
	)
	if has {
		missing, live, err = models.MissingKeys[K, T, P](ctx, rc.store, rc.tenant, first.has)
		if err != nil {
			return c, err
		}
	}
	// Otherwise the table held none of the tenant's rows when the pass began, so every row it
	// holds now was written by this pass, whose records were all seen: none can be missing, and
	// reading every id back (a first sync's largest query) would only confirm it.
	first = nil
	if len(missing) == 0 {
		return c, nil
	}
	// Some rows were not returned: deleted upstream, or skipped by page drift. Look again.
	c.Passes = 2
	upsert = models.UpsertPage[K, T, P] // the first pass wrote rows
	second := newSeen[K]()
	complete, err = pass(second, false)
	if err != nil {
		return c, err
	}
	if !complete {
		c.Notes = append(c.Notes, "records without id: nothing tombstoned")
		return c, nil
	}
	gone := missing[:0]
	for _, k := range missing {
		if !second.has(k) {
			gone = append(gone, k)
		}
	}
	if rc.bounds.holds(int64(len(gone)), live) {
		if !rc.bounds.allowDeletes {
			c.HeldDeletes = int64(len(gone))
			c.Notes = append(c.Notes, fmt.Sprintf("mass-delete guard: %d of %d live rows would be tombstoned "+
				"(max_delete_fraction %g, min_delete_guard %d); nothing tombstoned", len(gone), live,
				rc.bounds.maxDeleteFraction, rc.bounds.minDeleteGuard))
			log.Error("mass-delete guard: pass held, nothing tombstoned; release with --allow-deletes if the deletions are real",
				zap.String("resource", r.name), zap.Int("would_tombstone", len(gone)), zap.Int64("live", live),
				zap.Float64("max_delete_fraction", rc.bounds.maxDeleteFraction), zap.Int64("min_delete_guard", rc.bounds.minDeleteGuard))
			return c, nil
		}
		log.Warn("mass-delete guard lifted for this run (--allow-deletes): tombstoning",
			zap.String("resource", r.name), zap.Int("tombstoning", len(gone)), zap.Int64("live", live))
		c.Notes = append(c.Notes, fmt.Sprintf("mass-delete guard lifted (--allow-deletes): %d of %d live rows tombstoned", len(gone), live))
	}
	n, err := models.Tombstone[K, T, P](ctx, rc.store, rc.tenant, rc.origin(), gone, rc.now())
	if err != nil {
		return c, err
	}
	c.Deleted += n
	return c, nil
}

func excerpt(raw []byte) string {
	const n = 300
	if len(raw) > n {
		return string(raw[:n]) + "…"
	}
	return string(raw)
}

// seenSet remembers the keys one pass returned, compactly: a million integer ids take a few
// hundred kilobytes in a roaring bitmap, so memory does not grow with the dataset the way a map
// would.
type seenSet[K models.Key] interface {
	add(K)
	has(K) bool
}

type intSeen struct{ bm *roaring64.Bitmap }

func (s intSeen) add(k int64)      { s.bm.Add(uint64(k)) }
func (s intSeen) has(k int64) bool { return s.bm.Contains(uint64(k)) }

type strSeen map[string]struct{}

func (s strSeen) add(k string)      { s[k] = struct{}{} }
func (s strSeen) has(k string) bool { _, ok := s[k]; return ok }

func newSeen[K models.Key]() seenSet[K] {
	var zero K
	switch any(zero).(type) {
	case int64:
		return any(intSeen{bm: roaring64.New()}).(seenSet[K])
	case string:
		return any(strSeen{}).(seenSet[K])
	}
	panic(fmt.Sprintf("no seen set for key type %T", zero))
}

// ErrTooManyPages ends a pass that read more than max_pages pages.
var ErrTooManyPages = errors.New("too many pages")

// pullBounds are what one run's passes may do (from the tenant's config and the run's options).
type pullBounds struct {
	maxPages          int
	maxDeleteFraction float64
	minDeleteGuard    int64
	// allowDeletes lifts the mass-delete guard for this run only (syncd sync --allow-deletes).
	allowDeletes bool
}

func boundsFor(t *tenants.Tenant, opts RunOptions) pullBounds {
	return pullBounds{
		maxPages:          cmp.Or(t.MaxPages, tenants.DefaultMaxPages),
		maxDeleteFraction: cmp.Or(t.MaxDeleteFraction, tenants.DefaultMaxDeleteFraction),
		minDeleteGuard:    int64(cmp.Or(t.MinDeleteGuard, tenants.DefaultMinDeleteGuard)),
		allowDeletes:      opts.AllowDeletes,
	}
}

// holds reports whether tombstoning n of live rows trips the mass-delete guard: more than
// minDeleteGuard rows and more than maxDeleteFraction of the live rows. Deletions upstream come a
// few at a time; an upstream that answers an empty or cut-short list looks like all of them at
// once, and tombstoning on its word would empty the tenant's mirror.
func (b pullBounds) holds(n, live int64) bool {
	return n > b.minDeleteGuard && float64(n) > b.maxDeleteFraction*float64(live)
}

// Counts are one resource's (or a whole run's) figures.
type Counts struct {
	Pages      int64 `json:"pages"`
	Fetched    int64 `json:"fetched"`
	Inserted   int64 `json:"inserted"`
	Updated    int64 `json:"updated"`
	Unchanged  int64 `json:"unchanged"`
	Deleted    int64 `json:"deleted"`
	BadRecords int64 `json:"bad_records"`
	// HeldDeletes is how many rows the pass would have tombstoned when the mass-delete guard
	// held it (it then tombstoned none).
	HeldDeletes int64    `json:"held_deletes,omitempty"`
	Passes      int      `json:"passes,omitempty"`
	Notes       []string `json:"notes,omitempty"`

	// Quarantined counts the bad records put in bad_records (see quarantine.go).
	Quarantined int64 `json:"quarantined,omitempty"`

	// Filtered counts records left out because they belong to another account than the
	// tenant's (see rentEngineResources); they are fetched, not bad.
	Filtered int64 `json:"filtered,omitempty"`
}

func (c *Counts) add(o Counts) {
	c.Pages += o.Pages
	c.Fetched += o.Fetched
	c.Inserted += o.Inserted
	c.Updated += o.Updated
	c.Unchanged += o.Unchanged
	c.Deleted += o.Deleted
	c.BadRecords += o.BadRecords
	c.HeldDeletes += o.HeldDeletes
	c.Quarantined += o.Quarantined
	c.Filtered += o.Filtered
}
