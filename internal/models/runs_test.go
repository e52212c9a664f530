package models_test

import (
	"context"
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/dbtest"
	"github.com/syncd-dev/syncd/internal/models"
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
		if err := store.DB().Where("run_id = ?", "nul").First(&got).Error; err != nil {
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
