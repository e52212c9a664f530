package models_test

import (
	"context"
	"testing"

	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// The mirror's connections plan every statement for its parameters (see withCustomPlans).
func TestPostgresConnectionsUseCustomPlans(t *testing.T) {
	s := dbtest.Postgres(t)
	var mode string
	if err := dbtest.DB(s).WithContext(context.Background()).Raw("SHOW plan_cache_mode").Scan(&mode).Error; err != nil {
		t.Fatal(err)
	}
	if mode != "force_custom_plan" {
		t.Errorf("plan_cache_mode = %q, want force_custom_plan", mode)
	}
}
