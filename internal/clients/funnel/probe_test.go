package funnel_test

import (
	"context"
	"testing"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
)

// FetchPage and FetchCommunity ask exactly what List and GetCommunity ask, and return the body as
// the API sent it with the exchange.
func TestFetchIsWhatThePullAsks(t *testing.T) {
	fake := funnelfake.New(funnelfake.Options{APIKey: "key"})
	t.Cleanup(fake.Close)
	funnelfake.Seed(fake, funnelfake.SeedOptions{Seed: 1, Communities: 1, ProspectsPerCommunity: 3,
		RenewalsPerCommunity: 2, AppointmentsPerCommunity: 2})
	com := fake.Communities()[0].Forms()[1] // the syndication form: escaped like any id
	c, err := funnel.New(funnel.Config{BaseURL: fake.BaseURL(), APIKey: "key",
		Upstream: upstream.Config{Retry: upstream.RetryPolicy{MaxAttempts: 1}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	same := func(what string, pull, fetch func() error) {
		t.Helper()
		fake.ResetRequests()
		if err := pull(); err != nil {
			t.Fatal(err)
		}
		a := fake.Requests()[0]
		fake.ResetRequests()
		if err := fetch(); err != nil {
			t.Fatal(err)
		}
		b := fake.Requests()[0]
		if a.Method != b.Method || a.Path != b.Path || a.RawQuery != b.RawQuery {
			t.Errorf("%s: fetched %s %s?%s, pulled %s %s?%s", what, b.Method, b.Path, b.RawQuery, a.Method, a.Path, a.RawQuery)
		}
	}
	same("community", func() error { _, _, err := c.GetCommunity(ctx, com); return err }, func() error {
		body, ex, err := c.FetchCommunity(ctx, com)
		if err == nil && (ex.Status != 200 || len(body) == 0 || body[0] != '{') {
			t.Errorf("community: exchange %+v body %.20q", ex, body)
		}
		return err
	})
	for _, res := range funnel.Resources {
		same(string(res), func() error {
			return c.List(ctx, com, res, func(upstream.Page) error { return nil })
		}, func() error {
			body, ex, err := c.FetchPage(ctx, com, res, funnel.FirstPage, funnel.PageSize)
			if err == nil && (ex.Status != 200 || len(body) == 0 || body[0] != '{') {
				t.Errorf("%s: exchange %+v body %.20q", res, ex, body)
			}
			return err
		})
	}
}
