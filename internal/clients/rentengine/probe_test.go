package rentengine_test

import (
	"context"
	"slices"
	"testing"

	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// FetchPage asks exactly what List asks for the same page (path, paging, account filter), and
// returns the body as the API sent it with the exchange.
func TestFetchPageIsListsRequest(t *testing.T) {
	fake := rentenginefake.New(rentenginefake.Options{Token: "good"})
	t.Cleanup(fake.Close)
	rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: 1, Units: 3, Prospects: 3, EventsPerProspect: 1})
	c, err := rentengine.New(rentengine.Config{BaseURL: fake.BaseURL(), Token: "good", AccountID: rentenginefake.DefaultAccountID,
		Upstream: upstream.Config{Retry: upstream.RetryPolicy{MaxAttempts: 1}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range rentengine.Resources {
		fake.ResetRequests()
		if err := c.List(context.Background(), res, func(upstream.Page) error { return nil }); err != nil {
			t.Fatal(err)
		}
		listed := fake.Requests()[0]
		fake.ResetRequests()
		body, ex, err := c.FetchPage(context.Background(), res, rentengine.FirstPage, rentengine.PageSize)
		if err != nil {
			t.Fatal(err)
		}
		fetched := fake.Requests()[0]
		if fetched.Method != listed.Method || fetched.Path != listed.Path || fetched.RawQuery != listed.RawQuery {
			t.Errorf("%s: FetchPage asked %s %s?%s, List %s %s?%s", res, fetched.Method, fetched.Path, fetched.RawQuery,
				listed.Method, listed.Path, listed.RawQuery)
		}
		if ex.Status != 200 || ex.Attempts != 1 || len(body) == 0 || body[0] != '[' {
			t.Errorf("%s: exchange %+v, body %.20q", res, ex, body)
		}
	}
	// A failure still reports the exchange.
	fake.Disable(rentenginefake.EndpointLeasingEvents)
	_, ex, err := c.FetchPage(context.Background(), rentengine.LeasingEvents, 0, 5)
	if err == nil || ex.Status != 404 || !slices.Contains(ex.Header.Values("Content-Type"), "application/json; charset=utf-8") {
		t.Errorf("disabled endpoint: err %v, exchange %+v", err, ex)
	}
}
