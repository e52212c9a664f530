package rentenginefake

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// SeedOptions sizes the generated data.
type SeedOptions struct {
	// Seed makes the data reproducible (with a fixed Options.Now, byte for byte).
	Seed int64
	// Units and Prospects are how many records to add.
	Units, Prospects int
	// EventsPerProspect is the average number of leasing events per prospect (0: none).
	EventsPerProspect int
	// AccountID is the units' account_id (default DefaultAccountID).
	AccountID string
}

// Seed adds realistic records to s, continuing each resource's id sequence. The data carries the
// documented quirks: numbers as strings, address as an object for most units and as an integer
// id for about 5%, nulls, an unknown extra field on some units, emails with upper case and
// surrounding spaces, phones in four formats, about 10% of people appearing as 2-3 prospects
// (same name and phone digits, different unit of interest), unit_of_interest as an integer, a
// numeric string or null, event types including "Contacted, Awaiting Information", Assign to
// User events with assignedToUserIds, Log Notes, and prospect as a string on a few events. Each prospect's
// status is the type of its latest non-action event ("New" without one).
//
// Records are written as JSON bytes directly into large shared buffers, without maps, so a
// million rows take a few seconds. Seed holds the write lock throughout.
func Seed(s *Server, o SeedOptions) {
	if o.AccountID == "" {
		o.AccountID = DefaultAccountID
	}
	seed := uint64(o.Seed)
	g := &seeder{
		rng: rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d)),
		now: s.now().UTC(),
		o:   o,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	units := g.units(s.tables[Units])
	if len(units) == 0 {
		s.tables[Units].compact()
		units = s.tables[Units].ids
	}
	g.prospects(s.tables[Prospects], s.tables[LeasingEvents], units)
}

// seeder carries the generator state. Everything it writes is ASCII without quotes or
// backslashes (see seeddata.go), which is why strings need no escaping.
type seeder struct {
	rng   *rand.Rand
	now   time.Time
	o     SeedOptions
	arena []byte
	w     jsonWriter
}

// arenaChunk is the size of the shared buffers records are written into. A record is a
// sub-slice with its capacity clipped, so nothing can append into a neighbour.
const arenaChunk = 4 << 20

// begin starts a record in the arena.
func (g *seeder) begin() {
	if cap(g.arena)-len(g.arena) < 8<<10 {
		g.arena = make([]byte, 0, arenaChunk)
	}
	g.w = jsonWriter{b: g.arena}
}

// end finishes the record and returns its bytes.
func (g *seeder) end() []byte {
	start := len(g.arena)
	g.arena = g.w.b
	return g.arena[start:len(g.arena):len(g.arena)]
}

// nextID continues a sequence, sometimes skipping ids as a sequence shared by many accounts does.
func (g *seeder) nextID(prev int64) int64 {
	if g.rng.IntN(10) == 0 {
		return prev + 2 + int64(g.rng.IntN(3))
	}
	return prev + 1
}

func (g *seeder) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *seeder) pickWeighted(list []weighted) string {
	total := 0
	for _, w := range list {
		total += w.weight
	}
	n := g.rng.IntN(total)
	for _, w := range list {
		if n < w.weight {
			return w.value
		}
		n -= w.weight
	}
	return list[len(list)-1].value
}

func (g *seeder) chance(percent int) bool { return g.rng.IntN(100) < percent }

// spread returns the i-th of n times spread evenly over [from, to) with jitter, so that ids and
// created_at rise together as they do upstream.
func (g *seeder) spread(i, n int, from, to time.Time) time.Time {
	step := to.Sub(from) / time.Duration(max(n, 1))
	return from.Add(step*time.Duration(i) + time.Duration(g.rng.Int64N(int64(max(step, time.Microsecond)))))
}

// units writes o.Units units and returns their ids.
func (g *seeder) units(t *table) []int64 {
	n := g.o.Units
	if n == 0 {
		return nil
	}
	if len(t.recs) == 0 {
		t.recs = make(map[int64]entry, n)
	}
	ids := make([]int64, 0, n)
	id := t.maxID
	from, to := g.now.AddDate(-3, 0, 0), g.now.Add(-24*time.Hour)
	for i := range n {
		id = g.nextID(id)
		created := g.spread(i, n, from, to)
		updated := created.Add(time.Duration(g.rng.Int64N(int64(g.now.Sub(created)))))
		status := g.pickWeighted(unitStatuses)
		g.writeUnit(id, created, updated, status)
		t.put(id, entry{raw: g.end(), m: meta{account: g.o.AccountID, status: status}})
		ids = append(ids, id)
	}
	return ids
}

func (g *seeder) writeUnit(id int64, created, updated time.Time, status string) {
	g.begin()
	w := &g.w
	w.open()
	w.int("id", id)
	w.time("created_at", created)
	w.time("updated_at", updated)
	w.str("account_id", g.o.AccountID)
	if g.chance(5) {
		// Documented form: the id of an address record.
		w.int("address", 100000+id*7%900000)
	} else {
		c := cities[g.rng.IntN(len(cities))]
		num := strconv.Itoa(100 + g.rng.IntN(9900))
		street := g.pick(streetNames)
		zip := c.zipPrefix + twoDigits(g.rng.IntN(100))
		unit := ""
		if g.chance(30) {
			unit = strconv.Itoa(1 + g.rng.IntN(40))
		}
		formatted := num + " " + street
		if unit != "" {
			formatted += ", Unit " + unit
		}
		formatted += ", " + c.name + ", " + c.state + " " + zip
		w.key("address")
		w.open()
		w.str("formatted_address", formatted)
		w.str("street_number", num)
		w.str("street_name", street)
		if unit != "" {
			w.str("unit", unit)
		} else {
			w.null("unit")
		}
		w.str("city", c.name)
		w.str("state", c.state)
		w.str("zip_code", zip)
		// Chosen: coordinates as {"lat","lng"}; the live shape was not recorded.
		w.key("coordinates")
		w.open()
		w.float("lat", c.lat+(g.rng.Float64()-0.5)*0.2)
		w.float("lng", c.lng+(g.rng.Float64()-0.5)*0.2)
		w.close()
		w.close()
	}
	ptype := g.pickWeighted(propertyTypes)
	w.str("property_type", ptype)
	beds := 1 + g.rng.IntN(5)
	if ptype == "ROOM" {
		beds = 1
	}
	w.str("bedrooms", strconv.Itoa(beds))
	baths := []string{"1", "1.5", "2", "2.5", "3", "3.5"}[min(beds-1+g.rng.IntN(2), 5)]
	w.str("bathrooms", baths)
	sqft := 450 + beds*350 + g.rng.IntN(400)
	if g.chance(3) {
		w.null("sqft")
	} else {
		w.str("sqft", strconv.Itoa(sqft))
	}
	w.bool("furnished", g.chance(8))
	w.str("renovated", []string{"No", "Yes", "No"}[g.rng.IntN(3)])
	w.str("num_parking_spots", strconv.Itoa(g.rng.IntN(3)))
	w.str("laundry", g.pick(laundryTypes))
	if g.chance(40) {
		w.str("highlighted_amenities", "None")
	} else {
		w.raw("highlighted_amenities", `["Pool","Fenced Yard"]`)
	}
	rent := 900 + beds*300 + g.rng.IntN(60)*25
	w.str("target_rental_rate", strconv.Itoa(rent))
	w.bool("is_occupied", status == "Leased" || g.chance(20))
	if g.chance(30) {
		w.null("earliest_move_in_date")
	} else {
		w.str("earliest_move_in_date", updated.AddDate(0, 0, g.rng.IntN(60)).Format(time.DateOnly))
	}
	switch g.rng.IntN(3) {
	case 0:
		w.null("allow_cooperating_brokers")
	default:
		w.bool("allow_cooperating_brokers", g.chance(50))
	}
	w.raw("desired_lease_duration_months", []string{"[12]", "[6,12]", "[12,24]"}[g.rng.IntN(3)])
	if g.chance(20) {
		w.null("pets_allowed")
	} else {
		w.str("pets_allowed", g.pick(petsAllowed))
	}
	w.str("status", status)
	if g.chance(10) {
		w.null("year_built")
	} else {
		w.int("year_built", int64(1950+g.rng.IntN(74)))
	}
	w.str("showing_method", g.pick(showingMethods))
	if g.chance(20) {
		w.str("extracted_from", "appfolio-"+strconv.FormatInt(id*13, 10))
	} else {
		w.null("extracted_from")
	}
	if g.chance(3) {
		// A field this client does not know about, as new API versions add them.
		w.raw("listing_quality_score", strconv.Itoa(g.rng.IntN(100)))
	}
	w.close()
}

// prospects writes o.Prospects prospects and their leasing events.
func (g *seeder) prospects(pt, et *table, units []int64) {
	n := g.o.Prospects
	if n == 0 {
		return
	}
	if len(pt.recs) == 0 {
		pt.recs = make(map[int64]entry, n)
	}
	if len(et.recs) == 0 {
		et.recs = make(map[int64]entry, n*g.o.EventsPerProspect)
	}
	from, to := g.now.AddDate(-1, 0, 0), g.now.Add(-time.Hour)
	pid, eid := pt.maxID, et.maxID
	// person numbers continue across Seed calls so phone numbers stay unique per person.
	person := int(pt.maxID)
	var events []seedEvent
	for made := 0; made < n; person++ {
		first, last := g.pick(firstNames), g.pick(lastNames)
		name := first + " " + last
		digits := personPhone(person)
		copies := 1
		if g.chance(10) {
			copies = 2 + g.rng.IntN(2)
		}
		email := ""
		if !g.chance(5) {
			email = lower(first) + "." + lower(last) + strconv.Itoa(person%1000) + "@" + g.pick(emailDomains)
		}
		// A person's prospects are created minutes apart: one inquiry per unit they look at.
		personAt := g.spread(made, n, from, to)
		for c := 0; c < copies && made < n; c++ {
			pid = g.nextID(pid)
			created := personAt.Add(time.Duration(c) * time.Duration(1+g.rng.IntN(20)) * time.Minute)
			made++
			phone := formatPhone(digits, g.rng.IntN(4))
			if copies == 1 && g.chance(3) {
				phone = ""
			}
			unit, unitAsString := int64(0), false
			if len(units) > 0 && !g.chance(7) {
				unit, unitAsString = units[g.rng.IntN(len(units))], g.chance(9)
			}
			events = g.planEvents(events[:0], created)
			status, updated := EventNew, created
			for _, e := range events {
				if !isActionEventType(e.eventType) {
					status, updated = e.eventType, e.at
				}
			}
			g.writeProspect(pid, created, updated, name, g.messyEmail(email, first, last), phone, status, unit, unitAsString)
			pt.put(pid, entry{raw: g.end(), m: meta{phone: phoneKey(phone), created: created.UnixMicro()}})
			for _, e := range events {
				eid = g.nextID(eid)
				g.writeEvent(eid, pid, unit, e)
				et.put(eid, entry{raw: g.end()})
			}
		}
	}
}

type seedEvent struct {
	eventType string
	at        time.Time
}

// planEvents draws a prospect's history: New first, then progress along the happy path with
// occasional side exits, interleaved with actions. Times rise from created to now.
func (g *seeder) planEvents(out []seedEvent, created time.Time) []seedEvent {
	avg := g.o.EventsPerProspect
	if avg <= 0 {
		return out
	}
	k := g.rng.IntN(2*avg + 1)
	at := created
	stage, exited := 0, false
	for i := range k {
		at = at.Add(time.Duration(g.rng.Int64N(int64(g.now.Sub(at))/int64(k-i+1) + 1)))
		var typ string
		switch {
		case i == 0:
			typ = EventNew
		case g.chance(15):
			switch n := g.rng.IntN(10); {
			case n < 2:
				typ = EventReassignShowing
			case n < 4:
				typ = EventLogNote
			default:
				typ = EventAssignToUser
			}
		case exited:
			typ = EventStillDeciding
		case g.chance(12):
			typ, exited = g.pick(sideExits), true
		default:
			stage = min(stage+1+g.rng.IntN(5)/4, len(happyPath)-1) // sometimes skips a step
			typ = happyPath[stage]
		}
		out = append(out, seedEvent{eventType: typ, at: at})
	}
	return out
}

func (g *seeder) writeProspect(id int64, created, updated time.Time, name, email, phone, status string, unit int64, unitAsString bool) {
	g.begin()
	w := &g.w
	w.open()
	w.int("id", id)
	w.time("created_at", created)
	w.time("updated_at", updated)
	w.str("name", name)
	w.strOrNull("email", email)
	w.strOrNull("phone", phone)
	w.str("status", status)
	w.str("source", g.pickWeighted(prospectSources))
	switch {
	case unit == 0:
		w.null("unit_of_interest")
	case unitAsString:
		w.str("unit_of_interest", strconv.FormatInt(unit, 10))
	default:
		w.int("unit_of_interest", unit)
	}
	if g.chance(60) {
		w.null("notes")
	} else {
		w.str("notes", g.pick(prospectNotes))
	}
	w.close()
}

func (g *seeder) writeEvent(id, prospect, unit int64, e seedEvent) {
	g.begin()
	w := &g.w
	w.open()
	w.int("id", id)
	w.time("created_at", e.at)
	if g.chance(60) {
		w.null("notes")
	} else {
		w.str("notes", g.pick(eventNotes))
	}
	if g.chance(3) {
		w.str("prospect", strconv.FormatInt(prospect, 10))
	} else {
		w.int("prospect", prospect)
	}
	if e.eventType == EventShowingScheduled {
		w.time("planned_date_time", e.at.Add(time.Duration(24+g.rng.IntN(96))*time.Hour).Truncate(30*time.Minute))
	} else {
		w.null("planned_date_time")
	}
	if g.chance(20) {
		w.null("source")
	} else {
		w.str("source", g.pick(eventSources))
	}
	w.str("event_type", e.eventType)
	if g.chance(20) {
		w.time("next_follow_up", e.at.Add(48*time.Hour))
	} else {
		w.null("next_follow_up")
	}
	// Only actions are ever marked deleted, so statuses stay derivable from the events.
	w.bool("deleted", isActionEventType(e.eventType) && g.chance(5))
	w.str("created_by", g.pick(userIDs))
	w.key("context")
	w.open()
	if e.eventType == EventAssignToUser {
		w.key("assignedToUserIds")
		w.b = append(w.b, `["`...)
		w.b = append(w.b, g.pick(userIDs)...)
		w.b = append(w.b, `"]`...)
		w.bool("applyActionInBulk", g.chance(30))
	}
	w.close()
	if unit == 0 {
		w.null("unit")
	} else {
		w.int("unit", unit)
	}
	w.close()
}

// personPhone returns ten digits unique per person for the first eight million people: the area
// code cycles with the person number and the local part is a permutation of it.
func personPhone(person int) string {
	local := 2000000 + (person*7919)%8000000
	return areaCodes[person%len(areaCodes)] + strconv.Itoa(local)
}

// formatPhone writes ten digits in one of the formats seen upstream.
func formatPhone(d string, style int) string {
	switch style {
	case 0:
		return "(" + d[:3] + ") " + d[3:6] + "-" + d[6:]
	case 1:
		return d[:3] + "-" + d[3:6] + "-" + d[6:]
	case 2:
		return "+1" + d
	default:
		return d
	}
}

// messyEmail sometimes returns the address with capitals and surrounding spaces, as typed.
func (g *seeder) messyEmail(email, first, last string) string {
	if email == "" || !g.chance(10) {
		return email
	}
	at := 0
	for i := range email {
		if email[i] == '@' {
			at = i
		}
	}
	domain := email[at+1:]
	return " " + first + "." + last + email[len(first)+len(last)+1:at] + "@" + upperFirst(domain) + " "
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func twoDigits(n int) string {
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

// jsonWriter appends one JSON object's members. It writes strings verbatim: callers pass only
// ASCII without quotes, backslashes or control characters.
type jsonWriter struct {
	b     []byte
	first bool
}

func (w *jsonWriter) open() { w.b = append(w.b, '{'); w.first = true }

// close ends an object; the enclosing object, if any, now has a member.
func (w *jsonWriter) close() { w.b = append(w.b, '}'); w.first = false }

func (w *jsonWriter) key(k string) {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *jsonWriter) str(k, v string) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = append(w.b, v...)
	w.b = append(w.b, '"')
}

func (w *jsonWriter) strOrNull(k, v string) {
	if v == "" {
		w.null(k)
		return
	}
	w.str(k, v)
}

func (w *jsonWriter) int(k string, v int64) { w.key(k); w.b = strconv.AppendInt(w.b, v, 10) }

func (w *jsonWriter) float(k string, v float64) {
	w.key(k)
	w.b = strconv.AppendFloat(w.b, v, 'f', 6, 64)
}

func (w *jsonWriter) bool(k string, v bool) { w.key(k); w.b = strconv.AppendBool(w.b, v) }

func (w *jsonWriter) null(k string) { w.key(k); w.b = append(w.b, "null"...) }

func (w *jsonWriter) raw(k, v string) { w.key(k); w.b = append(w.b, v...) }

func (w *jsonWriter) time(k string, t time.Time) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = t.UTC().AppendFormat(w.b, timeLayout)
	w.b = append(w.b, '"')
}
