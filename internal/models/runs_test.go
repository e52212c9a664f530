package models_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// An outcome whose error and details carry a NUL (escaped in JSON as \u0000, which jsonb
// rejects) and invalid UTF-8 is still recorded, with U+FFFD in their place; a literal
// backslash-u0000 in the text is kept.
func TestFinishRunStoresAnyErrorText(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		ctx := context.Background()
		run := models.SyncRun{RunID: "nul", TenantID: "acme", Job: "rentengine", StartedAt: time.Now().UTC()}
		if err := store.StartRun(ctx, &run, nil); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		msg := "upstream said: a\x00b \xff\xfe c"
		run.Status, run.FinishedAt, run.Error = models.RunFailed, &now, &msg
		run.Details = models.JSON(`{"note":"x\u0000y","literal":"\\u0000","also":"\\\u0000"}`)
		if err := store.FinishRun(ctx, &run); err != nil {
			t.Fatalf("FinishRun: %v", err)
		}
		var got models.SyncRun
		if err := dbtest.DB(store).Where("run_id = ?", "nul").First(&got).Error; err != nil {
			t.Fatal(err)
		}
		if got.Status != models.RunFailed || got.Error == nil || *got.Error != "upstream said: a\uFFFDb \uFFFD c" {
			t.Errorf("stored status %s error %q", got.Status, deref(got.Error))
		}
		var details map[string]string
		if err := json.Unmarshal(got.Details, &details); err != nil {
			t.Fatalf("details %s: %v", got.Details, err)
		}
		want := map[string]string{"note": "x\uFFFDy", "literal": `\u0000`, "also": `\` + "\uFFFD"}
		if !maps.Equal(details, want) {
			t.Errorf("details %q, want %q", details, want)
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// RecentRuns reads a job's finished runs newest first, leaving out running and abandoned ones;
// Unavailable and PulledResources read their details.
func TestRecentRuns(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		ctx := context.Background()
		at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		add := func(id, job, status, details string) {
			run := models.SyncRun{RunID: id, TenantID: "acme", Job: job, StartedAt: at}
			if err := store.StartRun(ctx, &run, func(*models.SyncRun) bool { return false }); err != nil {
				t.Fatal(err)
			}
			if status == models.RunRunning {
				return
			}
			run.Status, run.FinishedAt, run.Details = status, &at, models.JSON(details)
			if err := store.FinishRun(ctx, &run); err != nil {
				t.Fatal(err)
			}
		}
		add("r1", "rentengine", models.RunSucceeded, `{"resources":{"units":{}}}`)
		add("r2", "funnel", models.RunSucceeded, `{}`)
		add("r3", "rentengine", models.RunPartial, `{"resources":{"units":{},"leasing_events":{}},`+
			`"unavailable":{"leasing_events":"GET /leasing_events: 404 Not Found"},"kept_current_by_webhooks":["leasing_events"]}`)
		add("r4", "rentengine", models.RunAbandoned, `{}`)
		add("r5", "rentengine", models.RunRunning, ``)
		runs, err := store.RecentRuns(ctx, "acme", "rentengine", 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range runs {
			ids = append(ids, r.RunID)
		}
		if !slices.Equal(ids, []string{"r3", "r1"}) {
			t.Fatalf("recent runs %v, want [r3 r1]", ids)
		}
		want := map[string]models.Unavailable{"leasing_events": {Reason: "GET /leasing_events: 404 Not Found", KeptCurrentByWebhooks: true}}
		if got := runs[0].Unavailable(); !maps.Equal(got, want) {
			t.Errorf("Unavailable() = %v, want %v", got, want)
		}
		if got := runs[0].PulledResources(); !slices.Equal(got, []string{"leasing_events", "units"}) {
			t.Errorf("PulledResources() = %v", got)
		}
		if runs[1].Unavailable() != nil {
			t.Errorf("a succeeded run has unavailable resources: %v", runs[1].Unavailable())
		}
	})
}
