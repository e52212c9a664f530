package funnelfake

import (
	"encoding/json"
	"iter"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Contact is a person to create as a Funnel client, so that tests and the demo can make Funnel
// clients that are the same people as RentEngine prospects. Email and Phone are stored exactly as
// given (messy formatting included), as the primary person's email and phone_1.
type Contact struct {
	Name  string // "First Last"; split at the first space
	Email string
	Phone string
}

// SeedOptions sizes the generated data.
type SeedOptions struct {
	// Seed makes the data reproducible (with a fixed Options.Now, byte for byte).
	Seed int64
	// Communities is how many communities to add. With 0, records go into the existing
	// communities, and one is added if there is none.
	Communities int
	// ProspectsPerCommunity, RenewalsPerCommunity and AppointmentsPerCommunity size each added
	// (or, with Communities 0, each existing) community. Renewals and appointments refer to the
	// community's clients, so they need ProspectsPerCommunity > 0 or Contacts.
	ProspectsPerCommunity    int
	RenewalsPerCommunity     int
	AppointmentsPerCommunity int
	// Contacts become additional clients, spread over the communities round robin. With more
	// than one community, every tenth contact (the first included) also gets a second guest card
	// in the next community, as a person who inquired at two communities does upstream; a
	// RentEngine prospect of that person then matches two clients (an ambiguous identity link).
	Contacts []Contact
}

// Seed adds realistic records to s, continuing each id sequence. The data carries the quirks a
// client must tolerate: ids as strings on some records (funnel_renter_id, community id,
// funnel_unit_id), funnel_community_id as a string or null, nulls everywhere a field is
// nullable, unknown fields, money as a decimal string or a number, an unknown renewal status,
// move_in_date as a date or a naive date-time, households of 1-3 people (co-applicants, minors
// without e-mail, is_primary present on only some records), e-mails with capitals and
// surrounding spaces, phones in five formats (one of them a JSON number), agents as an array, a
// comma-separated string or null, and "Unassigned" appointment agents. Generated people never
// share an e-mail or a phone with each other, with Contacts, or with the RentEngine fake's
// generated people, so every cross-system match in a test or the demo is a deliberate one.
func Seed(s *Server, o SeedOptions) {
	seed := uint64(o.Seed)
	g := &seeder{rng: rand.New(rand.NewPCG(seed, seed^0x6a09e667f3bcc909)), now: s.now().UTC()}
	s.mu.Lock()
	defer s.mu.Unlock()

	var targets []*community
	for range o.Communities {
		targets = append(targets, g.community(s))
	}
	if len(targets) == 0 {
		for _, ids := range s.communitiesLocked() {
			targets = append(targets, s.communities[ids])
		}
		if len(targets) == 0 && (o.ProspectsPerCommunity > 0 || len(o.Contacts) > 0) {
			targets = append(targets, g.community(s))
		}
	}
	if len(targets) == 0 {
		return
	}
	clients := make(map[int64][]client, len(targets))
	for _, c := range targets {
		for range o.ProspectsPerCommunity {
			clients[c.id] = append(clients[c.id], g.prospect(s, c, nil))
		}
	}
	for i, ct := range o.Contacts {
		c := targets[i%len(targets)]
		clients[c.id] = append(clients[c.id], g.prospect(s, c, &ct))
		if len(targets) > 1 && i%10 == 0 {
			c = targets[(i+1)%len(targets)]
			clients[c.id] = append(clients[c.id], g.prospect(s, c, &ct))
		}
	}
	for _, c := range targets {
		cl := clients[c.id]
		if len(cl) == 0 {
			continue
		}
		for range o.RenewalsPerCommunity {
			g.renewal(s, c, cl)
		}
		for range o.AppointmentsPerCommunity {
			g.appointment(s, c, cl)
		}
	}
}

// communitiesLocked returns the community ids in ascending order.
func (s *Server) communitiesLocked() []int64 {
	ids := make([]int64, 0, len(s.communities))
	for id := range s.communities {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// seeder carries the generator state.
type seeder struct {
	rng *rand.Rand
	now time.Time
}

func (g *seeder) pick(list []string) string { return list[g.rng.IntN(len(list))] }
func (g *seeder) chance(percent int) bool   { return g.rng.IntN(100) < percent }
func (g *seeder) between(lo, hi int) int    { return lo + g.rng.IntN(hi-lo+1) }
func (g *seeder) ago(maxDays int) time.Time {
	return g.now.Add(-time.Duration(g.rng.Int64N(int64(maxDays) * int64(24*time.Hour))))
}
func (g *seeder) date(t time.Time) string { return t.UTC().Format(time.DateOnly) }
func (g *seeder) nextID(prev int64) int64 { return prev + 1 + int64(g.rng.IntN(10)/8) } // sometimes skips one
func (g *seeder) person(n int64) (string, string) {
	return firstNames[int(n*7)%len(firstNames)], lastNames[int(n*13)%len(lastNames)]
}

// community adds one community with a syndication id and a registered partner id.
func (g *seeder) community(s *Server) *community {
	id := g.nextID(max(s.maxCommunity, 1000))
	name := g.pick(communityPrefixes) + " " + g.pick(communityNames)
	city := cities[g.rng.IntN(len(cities))]
	rec := map[string]any{
		"id":             id,
		"name":           name,
		"syndication_id": "P" + strconv.FormatInt(id, 10) + "-" + strconv.Itoa(g.between(100, 999)),
		"address":        strconv.Itoa(g.between(100, 9999)) + " " + g.pick(streetNames),
		"city":           city.name,
		"state":          city.state,
		"postal_code":    city.zip + twoDigits(g.rng.IntN(100)),
		"timezone":       city.tz,
		"updated_at":     formatTime(g.ago(90)),
	}
	if g.chance(30) {
		rec["id"] = strconv.FormatInt(id, 10) // ids flip between number and string
	}
	if g.chance(40) {
		n, _ := strconv.Atoi(rec["postal_code"].(string))
		rec["postal_code"] = n
	}
	if g.chance(40) {
		rec["amenities"] = []string{"Pool", "Fitness Center", "Dog Park"} // a field syncd does not know
	}
	if g.chance(15) {
		rec["timezone"] = nil
	}
	slug := strings.ToLower(strings.ReplaceAll(city.name, " ", "-"))
	s.insertCommunityLocked(rec, "apts:"+slug+"/"+strconv.FormatInt(id, 10))
	return s.communities[id]
}

// client is what renewals and appointments need of a generated client.
type client struct {
	id                int64
	first, last       string
	email, phone, src string
}

// prospect adds one client to c: generated, or the given contact.
func (g *seeder) prospect(s *Server, c *community, ct *Contact) client {
	id := g.nextID(max(s.maxID[Prospects], 50000))
	created := g.ago(365)
	updated := created.Add(time.Duration(g.rng.Int64N(int64(g.now.Sub(created)) + 1)))
	var first, last, email, phone string
	if ct != nil {
		first, last, _ = strings.Cut(strings.TrimSpace(ct.Name), " ")
		email, phone = ct.Email, ct.Phone
	} else {
		first, last = g.person(id)
		email = strings.ToLower(first+"."+last) + "." + strconv.FormatInt(id, 10) + "@" + g.pick(emailDomains)
		phone = g.phone(personPhone(id), false)
		if g.chance(10) {
			email = " " + first + "." + last + email[len(first)+len(last)+1:strings.IndexByte(email, '@')] + "@" +
				strings.ToUpper(email[strings.IndexByte(email, '@')+1:]) + " "
		}
		if g.chance(4) {
			email = ""
		}
	}
	primary := map[string]any{
		"id":                   id*10 + 1,
		"first_name":           first,
		"last_name":            nullable(last),
		"email":                nullable(email),
		"phone_1":              nullable(phone),
		"phone_2":              nil,
		"sms_opt_in":           g.chance(60),
		"email_updates_opt_in": g.chance(70),
		"is_minor":             nil,
	}
	if ct == nil && g.chance(3) && phone != "" {
		// A phone as a JSON number, as Funnel was seen to send them.
		if n, err := strconv.ParseInt(personPhone(id), 10, 64); err == nil {
			primary["phone_1"] = n
		}
	}
	if ct == nil && g.chance(10) {
		primary["phone_2"] = g.phone(personPhone(id+7_000_000), false)
	}
	markPrimary := g.chance(50)
	if markPrimary {
		primary["is_primary"] = true
	}
	people := []any{primary}
	if g.chance(20) { // a co-applicant with contact details of their own
		cf, cl := g.person(id + 3)
		co := map[string]any{
			"id": id*10 + 2, "first_name": cf, "last_name": cl,
			"email":   strings.ToLower(cf+"."+cl) + ".co" + strconv.FormatInt(id, 10) + "@" + g.pick(emailDomains),
			"phone_1": g.phone(personPhone(id+9_000_000), false), "phone_2": nil,
			"sms_opt_in": false, "email_updates_opt_in": g.chance(50), "is_minor": false,
		}
		if markPrimary {
			co["is_primary"] = false
		}
		people = append(people, co)
	}
	if g.chance(10) { // a minor: no contact details
		mf, _ := g.person(id + 5)
		people = append(people, map[string]any{
			"id": id*10 + 3, "first_name": mf, "last_name": nullable(last), "email": nil, "phone_1": nil,
			"phone_2": nil, "sms_opt_in": false, "email_updates_opt_in": false, "is_minor": true,
		})
	}
	src := g.pick(leadSources)
	rec := map[string]any{
		"funnel_renter_id":    id,
		"funnel_community_id": c.id,
		"status":              g.pick(prospectStatuses),
		"lead_source":         src,
		"created_at":          formatTime(created),
		"updated_at":          formatTime(updated),
		"layouts":             []string{g.pick(layouts)},
		"people":              people,
		"listings":            []any{},
		"group":               strconv.Itoa(g.between(10, 40)),
	}
	switch {
	case g.chance(3):
		rec["funnel_renter_id"] = strconv.FormatInt(id, 10)
	case g.chance(5):
		rec["funnel_community_id"] = strconv.FormatInt(c.id, 10)
	case g.chance(3):
		rec["funnel_community_id"] = nil
	}
	if g.chance(10) {
		rec["lead_source"] = nil
		src = ""
	}
	switch move := created.AddDate(0, 0, g.between(14, 90)); {
	case g.chance(20):
		rec["move_in_date"] = nil
	case g.chance(12):
		rec["move_in_date"] = formatTime(time.Date(move.Year(), move.Month(), move.Day(), 0, 0, 0, 0, time.UTC))
	default:
		rec["move_in_date"] = g.date(move)
	}
	if g.chance(60) {
		unit := any(70000 + g.rng.Int64N(5000))
		if g.chance(20) {
			unit = strconv.FormatInt(unit.(int64), 10)
		}
		rec["listings"] = []any{map[string]any{
			"funnel_unit_id": unit, "property_address": strconv.Itoa(g.between(100, 9999)) + " " + g.pick(streetNames),
			"property_internal_id": "U-" + strconv.Itoa(g.between(100, 999)),
		}}
	}
	switch n := g.rng.IntN(10); {
	case n == 0:
		rec["agents"] = nil
	case n == 1:
		rec["agents"] = g.pick(agentEmails) + ", " + g.pick(agentEmails)
	case n < 4:
		rec["agents"] = []string{}
	default:
		rec["agents"] = []string{g.pick(agentEmails)}
	}
	if g.chance(5) {
		rec["messages"] = []any{map[string]any{"message": "Is parking included?", "received_at": formatTime(created), "message_type": "email"}}
	}
	s.insertLocked(c, Prospects, rec)
	return client{id: id, first: first, last: last, email: email, phone: phone, src: src}
}

// renewal adds one renewal for a random client of c.
func (g *seeder) renewal(s *Server, c *community, cl []client) {
	who := cl[g.rng.IntN(len(cl))]
	id := g.nextID(max(s.maxID[Renewals], 9000))
	start := g.now.AddDate(0, -g.between(6, 14), -g.rng.IntN(28))
	end := start.AddDate(1, 0, 0)
	unitID := int64(70000 + g.rng.IntN(5000))
	status := g.pick(renewalStatuses)
	if g.chance(4) {
		status = "month-to-month" // a value the contract does not list
	}
	rec := map[string]any{
		"id":               id,
		"funnel_renter_id": who.id,
		"funnel_unit_id":   unitID,
		"unit_number":      strconv.Itoa(g.between(1, 4)) + twoDigits(g.between(1, 30)),
		"lease_start":      g.date(start),
		"lease_end":        g.date(end),
		"status":           status,
		"offer_rent":       nil,
		"offer_expires_at": nil,
		"updated_at":       formatTime(g.ago(30)),
	}
	if g.chance(20) {
		rec["funnel_unit_id"] = strconv.FormatInt(unitID, 10)
	}
	if g.chance(25) {
		n, _ := strconv.Atoi(rec["unit_number"].(string))
		rec["unit_number"] = n
	}
	if status != "not-started" {
		rent := 1100 + g.rng.IntN(80)*25
		if g.chance(50) {
			rec["offer_rent"] = strconv.Itoa(rent) + ".00"
		} else {
			rec["offer_rent"] = rent
		}
		rec["offer_expires_at"] = formatTime(end.AddDate(0, 0, -g.between(30, 60)))
	}
	if g.chance(5) {
		rec["concessions"] = []string{"One month free"}
	}
	s.insertLocked(c, Renewals, rec)
}

// appointment adds one booked appointment for a random client of c.
func (g *seeder) appointment(s *Server, c *community, cl []client) {
	who := cl[g.rng.IntN(len(cl))]
	id := g.nextID(max(s.maxID[Appointments], 300000))
	day := g.now.AddDate(0, 0, g.between(-30, 21))
	phone := any(nullable(who.phone))
	if who.phone != "" && g.chance(50) {
		phone = g.phone(digitsOf(who.phone), true)
	}
	agent := map[string]any{"name": "Unassigned", "email": nil}
	if !g.chance(15) {
		email := g.pick(agentEmails)
		agent = map[string]any{"name": agentName(email), "email": email}
	}
	rec := map[string]any{
		"id":   id,
		"date": g.date(day),
		"time": twoDigits(g.between(9, 17)) + ":" + []string{"00", "15", "30", "45"}[g.rng.IntN(4)],
		"client": map[string]any{
			"id": who.id, "first_name": who.first, "last_name": nullable(who.last),
			"email": nullable(strings.TrimSpace(who.email)), "phone": phone, "origin_source": nullable(who.src),
		},
		"agent":     agent,
		"tour_type": g.pick([]string{"guided", "guided", "self-guided", "video"}),
	}
	if g.chance(10) {
		rec["pms_unit_ids"] = []string{"A-" + strconv.Itoa(g.between(100, 450))}
	}
	s.insertLocked(c, Appointments, rec)
}

// phone formats ten digits in one of the styles seen upstream; e164 forces "+1…".
func (g *seeder) phone(d string, e164 bool) string {
	if len(d) != 10 {
		return d
	}
	if e164 {
		return "+1" + d
	}
	switch g.rng.IntN(5) {
	case 0:
		return "(" + d[:3] + ") " + d[3:6] + "-" + d[6:]
	case 1:
		return d[:3] + "-" + d[3:6] + "-" + d[6:]
	case 2:
		return "+1" + d
	case 3:
		return d[:3] + "." + d[3:6] + "." + d[6:]
	default:
		return d
	}
}

// personPhone returns ten digits unique per n, in area codes the RentEngine fake never uses.
func personPhone(n int64) string {
	local := 2000000 + (n*7919)%8000000
	return areaCodes[n%int64(len(areaCodes))] + strconv.FormatInt(local, 10)
}

func digitsOf(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	if len(b) > 10 {
		b = b[len(b)-10:]
	}
	return string(b)
}

// agentName turns "maria.lopez@…" into "Maria Lopez".
func agentName(email string) string {
	local, _, _ := strings.Cut(email, "@")
	parts := strings.Split(local, ".")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, " ")
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func twoDigits(n int) string {
	return string([]byte{byte('0' + n/10%10), byte('0' + n%10)})
}

// ContactsFrom turns JSON records with "name", "email" and "phone" fields (the RentEngine
// prospect shape) into Contacts, taking every n-th record (n < 1 means every record) up to limit
// (0: no limit). A person already taken — same e-mail or same phone digits — is skipped, so one
// person listed as several records becomes one Funnel client, as upstream. This is how the demo
// makes Funnel clients that are the same people as RentEngine prospects.
func ContactsFrom(records iter.Seq2[int64, json.RawMessage], n, limit int) []Contact {
	n = max(n, 1)
	var out []Contact
	seen := map[string]bool{}
	i := -1
	for _, raw := range records {
		i++
		if i%n != 0 {
			continue
		}
		var r struct {
			Name, Email, Phone *string
		}
		if json.Unmarshal(raw, &r) != nil || r.Name == nil {
			continue
		}
		c := Contact{Name: *r.Name}
		if r.Email != nil {
			c.Email = *r.Email
		}
		if r.Phone != nil {
			c.Phone = *r.Phone
		}
		keys := []string{"e:" + emailKey(c.Email), "p:" + phoneKey(c.Phone)}
		if keys[0] == "e:" && keys[1] == "p:" {
			continue
		}
		dup := false
		for _, k := range keys {
			dup = dup || (len(k) > 2 && seen[k])
		}
		if dup {
			continue
		}
		for _, k := range keys {
			if len(k) > 2 {
				seen[k] = true
			}
		}
		out = append(out, c)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}
