package rentenginefake

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/contract"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

// A prospect's status is the type of its latest status-bearing event: notes, assignments and
// blocks leave it as it was.
func TestLogNoteAfterShowingScheduledKeepsStatus(t *testing.T) {
	b := setup(t)
	p := b.s.Insert(Prospects, map[string]any{"name": "Ann", "status": "New"})
	at := b.clock.Now()
	for i, typ := range []string{EventShowingScheduled, EventLogNote, EventBlocklistProspect, EventUnblockProspect,
		EventAssignToUser, EventReassignShowing} {
		b.s.AddEvent(p, typ, at.Add(time.Duration(i)*time.Minute))
		got, _ := b.s.Get(Prospects, p)
		if got["status"] != EventShowingScheduled {
			t.Errorf("after %q: status %v, want %q", typ, got["status"], EventShowingScheduled)
		}
	}
}

// The fake and the client agree on which types change a status, unknown types included.
func TestActionEventTypesMatchTheClient(t *testing.T) {
	types := slices.Concat(contract.EventTypes, contract.ExtraEventTypes, []string{"Some Future Type"})
	for _, typ := range types {
		if isActionEventType(typ) == contract.StatusEvent(typ) {
			t.Errorf("%q: fake action = %v, client status = %v", typ, isActionEventType(typ), contract.StatusEvent(typ))
		}
	}
	for _, typ := range append(slices.Clone(happyPath), sideExits...) {
		if !contract.KnownEventType(typ) {
			t.Errorf("the seed generates %q, which is no RentEngine type", typ)
		}
	}
}

// One token can reach several accounts: seeding twice with two account ids gives units in both,
// prospects and events referencing units of both, and /units?accountId= returns one account's.
func TestSeedSeveralAccounts(t *testing.T) {
	const other = "0a0b0c0d-1111-4222-8333-444455556666"
	b := setup(t)
	Seed(b.s, SeedOptions{Seed: 1, Units: 30, Prospects: 60, EventsPerProspect: 2})
	Seed(b.s, SeedOptions{Seed: 2, Units: 20, Prospects: 40, EventsPerProspect: 2, AccountID: other})

	account := map[int64]string{}
	for _, u := range b.s.Records(Units) {
		id, _ := fakeapi.Int64Of(u["id"])
		account[id], _ = u["account_id"].(string)
	}
	for _, acct := range []string{DefaultAccountID, other} {
		var got []int64
		for page := 0; ; page++ {
			recs := list(t, b.get(t, fmt.Sprintf("/units?limit=7&page_number=%d&accountId=%s", page, acct)))
			got = append(got, idsOf(t, recs)...)
			if len(recs) < 7 {
				break
			}
		}
		var want []int64
		for id, a := range account {
			if a == acct {
				want = append(want, id)
			}
		}
		slices.Sort(want)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("accountId=%s: units %v, want %v", acct, got, want)
		}
	}
	refs := map[string]map[Resource]int{}
	for res, field := range map[Resource]string{Prospects: "unit_of_interest", LeasingEvents: "unit"} {
		for _, r := range b.s.Records(res) {
			if id, ok := fakeapi.Int64Of(r[field]); ok {
				if refs[account[id]] == nil {
					refs[account[id]] = map[Resource]int{}
				}
				refs[account[id]][res]++
			}
		}
	}
	for _, acct := range []string{DefaultAccountID, other} {
		if refs[acct][Prospects] == 0 || refs[acct][LeasingEvents] == 0 {
			t.Errorf("account %s: %v references, want prospects and events", acct, refs[acct])
		}
	}
}
