package funnelfluxfake

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// base62 is FunnelFlux's id alphabet [V].
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// idEpoch is the start of FunnelFlux's id timestamps [V: 2019-07-23T00:00:00Z].
var idEpoch = time.Date(2019, 7, 23, 0, 0, 0, 0, time.UTC)

// AssetID returns a FunnelFlux-format asset id [V: 12 base62 characters, 7 of milliseconds since
// 2019-07-23 (most significant first [I]) and 5 random], made deterministic from at and n.
func AssetID(at time.Time, n int) string {
	ms := at.Sub(idEpoch).Milliseconds()
	if ms < 0 {
		ms = 0
	}
	b := make([]byte, 12)
	for i := 6; i >= 0; i-- {
		b[i] = base62[ms%62]
		ms /= 62
	}
	r := rand.New(rand.NewPCG(uint64(n), 0x66f)) //nolint:gosec // ids for a fake
	for i := 7; i < 12; i++ {
		b[i] = base62[r.IntN(62)]
	}
	return string(b)
}

// HitID returns a hit id in FunnelFlux's format [V: 26 lowercase characters, ULID-like; offer hits,
// which can convert, end in "h"], deterministic from n.
func HitID(n int) string {
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	r := rand.New(rand.NewPCG(uint64(n), 0x417)) //nolint:gosec // ids for a fake
	b := []byte("01")
	for len(b) < 25 {
		b = append(b, alphabet[r.IntN(len(alphabet))])
	}
	return string(append(b, 'h'))
}

// SeedOptions sizes a seeded account.
type SeedOptions struct {
	// Seed makes the data reproducible.
	Seed int64
	// Now is the end of the seeded history (zero = the server's clock).
	Now time.Time
	// Days of history before Now (0 = 14).
	Days int
	// HitsPerDay on average (0 = 40).
	HitsPerDay int
	// Zone is the zone costs are set in, by calendar day (empty = "America/Chicago").
	Zone string
}

// Seeded is what Seed made, for a demo or a test to refer to.
type Seeded struct {
	FunnelGroups, Funnels, TrafficSources []string
	// Hits are every hit id, oldest first; ConvertedHits those with a seeded conversion.
	Hits, ConvertedHits []string
	// FreshHits are hit ids of the last day without a conversion: leads whose lease has not
	// been signed, for a demo's lease conversions.
	FreshHits []string
}

// Seed fills s with a realistic small account: two funnel groups (one in the legacy
// idCampaign spelling), three funnels (one naming its group only by idCampaign), three traffic
// sources, Days of entrances with some conversions, and a cost per day × funnel × traffic source.
func Seed(s *Server, o SeedOptions) Seeded {
	if o.Now.IsZero() {
		o.Now = s.now()
	}
	o.Days = cmpOr(o.Days, 14)
	o.HitsPerDay = cmpOr(o.HitsPerDay, 40)
	if o.Zone == "" {
		o.Zone = "America/Chicago"
	}
	loc, err := time.LoadLocation(o.Zone)
	if err != nil {
		panic(err)
	}
	r := rand.New(rand.NewPCG(uint64(o.Seed), 0x5eed)) //nolint:gosec // seed data
	created := o.Now.AddDate(0, 0, -o.Days-30)
	var out Seeded
	id := func(n int) string { return AssetID(created.Add(time.Duration(n)*time.Minute), int(o.Seed)*1000+n) }

	groups := []FunnelGroup{
		{ID: id(1), Name: "Spring leasing"},
		{ID: id(2), Name: "Evergreen", Legacy: true},
	}
	for _, g := range groups {
		s.AddFunnelGroup(g)
		out.FunnelGroups = append(out.FunnelGroups, g.ID)
	}
	funnels := []Funnel{
		{ID: id(11), Name: "Tour request", GroupID: groups[0].ID},
		{ID: id(12), Name: "Apply now", GroupID: groups[0].ID},
		{ID: id(13), Name: "Waitlist", GroupID: groups[1].ID, LegacyGroup: true},
	}
	for _, f := range funnels {
		s.AddFunnel(f)
		out.Funnels = append(out.Funnels, f.ID)
	}
	sources := []TrafficSource{
		{ID: id(21), Name: "Google Ads", CategoryID: id(31), CategoryName: "Search", CostType: "cpc"},
		{ID: id(22), Name: "Facebook", CategoryID: id(32), CategoryName: "Social", CostType: "cpm"},
		{ID: id(23), Name: "Zillow", CostType: "cpa"},
	}
	for _, t := range sources {
		s.AddTrafficSource(t)
		out.TrafficSources = append(out.TrafficSources, t.ID)
	}

	n := 0
	firstDay := time.Date(o.Now.In(loc).Year(), o.Now.In(loc).Month(), o.Now.In(loc).Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -o.Days)
	for d := 0; d <= o.Days; d++ {
		day := firstDay.AddDate(0, 0, d)
		hits := o.HitsPerDay/2 + r.IntN(o.HitsPerDay+1)
		for i := 0; i < hits; i++ {
			at := day.Add(time.Duration(r.Int64N(int64(24 * time.Hour))))
			if at.After(o.Now) {
				continue
			}
			n++
			h := Hit{ID: HitID(int(o.Seed)*1_000_000 + n), FunnelID: funnels[r.IntN(len(funnels))].ID,
				TrafficSourceID: sources[r.IntN(len(sources))].ID, At: at, DefaultPayout: 25}
			s.AddHit(h)
			out.Hits = append(out.Hits, h.ID)
			switch {
			case r.IntN(12) == 0:
				s.AddConversion(h.ID, "lead-"+h.ID[len(h.ID)-6:], 25, at.Add(3*time.Minute))
				out.ConvertedHits = append(out.ConvertedHits, h.ID)
			case d == o.Days:
				out.FreshHits = append(out.FreshHits, h.ID)
			}
		}
		for _, f := range funnels {
			for _, t := range sources {
				s.SetDayCost(day.Format("2006-01-02"), o.Zone, f.ID, t.ID, float64(10+r.IntN(90))+float64(r.IntN(100))/100)
			}
		}
	}
	return out
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// String describes what was seeded.
func (s Seeded) String() string {
	return fmt.Sprintf("funnel_groups=%d funnels=%d traffic_sources=%d hits=%d conversions=%d",
		len(s.FunnelGroups), len(s.Funnels), len(s.TrafficSources), len(s.Hits), len(s.ConvertedHits))
}
