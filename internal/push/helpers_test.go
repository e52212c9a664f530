package push_test

import (
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

// The tests in this package (package push_test) drive the push as the daemon runs it: the fakes
// serve RentEngine and Funnel, internal/sync's Runner pulls both into a per-test mirror
// (internal/testing/dbtest) and then runs the push job, so planning, the ledger, execution and
// its verification are seen end to end. The tests of single functions are in package push.

// fastRetry keeps a failing call from holding a test up: a few attempts, milliseconds apart.
var fastRetry = upstream.RetryPolicy{Base: time.Millisecond, Cap: 5 * time.Millisecond, MaxElapsed: 2 * time.Second, MaxAttempts: 3}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
