package faultsuite_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

func TestBadRecords(t *testing.T) {
	cases := []struct {
		name string
		// corrupt breaks records upstream and returns the ids expected to stay live with their old
		// content, and whether the pass can still tombstone.
		corrupt        func(t *testing.T, f *rentenginefake.Server, units []int64) (kept []int64)
		bad            int64
		tombstoneAllow bool
	}{
		{"a field of the wrong type", func(t *testing.T, f *rentenginefake.Server, units []int64) []int64 {
			must(t, f.Update(rentenginefake.Units, units[4], map[string]any{"bedrooms": map[string]any{"count": 3}}))
			return []int64{units[4]}
		}, 1, true},
		{"a record without an id", func(t *testing.T, f *rentenginefake.Server, units []int64) []int64 {
			must(t, f.Corrupt(rentenginefake.Units, units[6], []byte(`{"status":"Available","bedrooms":"2"}`)))
			return []int64{units[6]}
		}, 1, false},
		{"text Postgres cannot store", func(t *testing.T, f *rentenginefake.Server, units []int64) []int64 {
			// Quarantined in bad_records on both databases; the pass still tombstones.
			for i, bad := range []string{`a\u0000b`, `\ud800`, "caf\xe9"} {
				raw, _ := f.Raw(rentenginefake.Units, units[i+1])
				must(t, f.Corrupt(rentenginefake.Units, units[i+1], append([]byte(`{"notes":"`+bad+`",`), raw[1:]...)))
			}
			return []int64{units[1], units[2], units[3]}
		}, 3, true},
		{"both, on the same page", func(t *testing.T, f *rentenginefake.Server, units []int64) []int64 {
			must(t, f.Update(rentenginefake.Units, units[4], map[string]any{"created_at": "not a time"}))
			must(t, f.Corrupt(rentenginefake.Units, units[6], []byte(`{"id":"abc","status":"Leased"}`)))
			return []int64{units[4], units[6]}
		}, 2, false},
	}
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				fake := rentenginefake.New(rentenginefake.Options{Token: "tok"})
				defer fake.Close()
				rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: 9, Units: 120, Prospects: 5, EventsPerProspect: 1})
				tenant := strings.ReplaceAll(tc.name, " ", "-")[:12]
				te := &tenants.Tenant{ID: tenant, RunTimeout: time.Minute,
					RentEngine: &tenants.RentEngine{BaseURL: fake.BaseURL(), Token: tenants.NewSecret("tok")}}
				core, logs := observer.New(zapcore.WarnLevel)
				runner := syncer.NewRunner(syncer.Config{Store: store, Retry: suiteRetry}, zap.New(core))
				ctx := context.Background()
				if _, err := runner.Run(ctx, te, tenants.JobRentEngine); err != nil {
					t.Fatal(err)
				}
				units := fake.IDs(rentenginefake.Units)
				kept := tc.corrupt(t, fake, units)
				// Same first page: a good change that must still land, and a deletion.
				must(t, fake.Update(rentenginefake.Units, units[5], map[string]any{"status": "Withdrawn"}))
				must(t, fake.Delete(rentenginefake.Units, units[7]))

				run, err := runner.Run(ctx, te, tenants.JobRentEngine)
				if err != nil {
					t.Fatalf("bad records must not fail the run: %v", err)
				}
				if run.BadRecords != tc.bad {
					t.Errorf("bad_records = %d, want %d", run.BadRecords, tc.bad)
				}
				var status string
				must(t, dbtest.DB(store).Table("rentengine_units").Select("status").Where("tenant_id = ? AND id = ?", tenant, units[5]).Row().Scan(&status))
				if status != "Withdrawn" {
					t.Errorf("the good record on the same page did not land: status %q", status)
				}
				for _, id := range kept {
					var deleted *time.Time
					must(t, dbtest.DB(store).Table("rentengine_units").Select("deleted_at").Where("tenant_id = ? AND id = ?", tenant, id).Row().Scan(&deleted))
					if deleted != nil {
						t.Errorf("unit %d: a bad record tombstoned its stored row", id)
					}
				}
				var deleted *time.Time
				must(t, dbtest.DB(store).Table("rentengine_units").Select("deleted_at").Where("tenant_id = ? AND id = ?", tenant, units[7]).Row().Scan(&deleted))
				if (deleted != nil) != tc.tombstoneAllow {
					t.Errorf("deleted unit tombstoned = %v, want %v", deleted != nil, tc.tombstoneAllow)
				}
				bad := logs.FilterMessageSnippet("bad upstream record").All()
				if int64(len(bad)) != tc.bad {
					t.Fatalf("%d bad-record log lines, want %d", len(bad), tc.bad)
				}
				for _, e := range bad {
					f := e.ContextMap()
					if f["tenant"] != tenant || f["table"] != "rentengine_units" || f["raw"] == "" || f["run_id"] == "" {
						t.Errorf("bad-record log line lacks tenant/table/raw/run_id: %v", f)
					}
				}
			})
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
