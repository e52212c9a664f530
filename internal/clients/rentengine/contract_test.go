package rentengine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// The account filter goes only where it is documented: /units takes accountId; /prospects and
// /leasing_events document none, and a strict server rejects unknown parameters.
func TestAccountFilterOnlyOnUnits(t *testing.T) {
	const account = "3f6c2a9e-5b7d-4e51-9a0c-2d8e4f7b1c35"
	fake := rentenginefake.New(rentenginefake.Options{Token: "good"})
	t.Cleanup(fake.Close)
	c, err := rentengine.New(rentengine.Config{BaseURL: fake.BaseURL(), Token: "good", AccountID: account,
		Upstream: upstream.Config{Retry: upstream.RetryPolicy{MaxAttempts: 1}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range rentengine.Resources {
		if err := c.List(context.Background(), res, func(upstream.Page) error { return nil }); err != nil {
			t.Errorf("list %s: %v", res, err)
		}
	}
	for _, r := range fake.Requests() {
		has := strings.Contains(r.RawQuery, "accountId="+account)
		if want := strings.HasSuffix(r.Path, "/units"); has != want {
			t.Errorf("%s?%s: account filter sent = %v, want %v", r.Path, r.RawQuery, has, want)
		}
		if strings.Contains(r.RawQuery, "account_id") {
			t.Errorf("%s?%s: undocumented account_id sent", r.Path, r.RawQuery)
		}
	}
}
