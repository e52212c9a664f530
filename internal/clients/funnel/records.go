package funnel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/syncd-dev/syncd/internal/clients/flex"
)

// ErrNoID is returned for a record without a usable id.
var ErrNoID = errors.New("record has no id")

// RecordID extracts only the integer "id" of a raw renewal or appointment, so that a record that
// fails full decoding can still be identified (and not tombstoned).
func RecordID(raw json.RawMessage) (int64, error) {
	var r struct {
		ID flex.ID `json:"id"`
	}
	return intID(raw, &r, &r.ID)
}

// ProspectID extracts only funnel_renter_id, the id of a raw prospect (Funnel client).
func ProspectID(raw json.RawMessage) (int64, error) {
	var r struct {
		ID flex.ID `json:"funnel_renter_id"`
	}
	return intID(raw, &r, &r.ID)
}

func intID(raw json.RawMessage, into any, id *flex.ID) (int64, error) {
	if err := json.Unmarshal(raw, into); err != nil {
		return 0, fmt.Errorf("decode id: %w", err)
	}
	if !id.Valid() || !id.IsInt {
		return 0, ErrNoID
	}
	return id.Int, nil
}

// CommunityID extracts only the id of a raw community as text: community ids are a string union
// upstream, although the canonical one is an integer.
func CommunityID(raw json.RawMessage) (string, error) {
	var r struct {
		ID flex.ID `json:"id"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return "", fmt.Errorf("decode id: %w", err)
	}
	if !r.ID.Valid() {
		return "", ErrNoID
	}
	return r.ID.Text, nil
}

// Community is GET /community/{id}/ [chosen shape].
type Community struct {
	ID            flex.ID     `json:"id"`
	Name          flex.String `json:"name"`
	SyndicationID flex.String `json:"syndication_id"`
	Address       flex.String `json:"address"`
	City          flex.String `json:"city"`
	State         flex.String `json:"state"`
	PostalCode    flex.String `json:"postal_code"`
	Timezone      flex.String `json:"timezone"`
	UpdatedAt     flex.Time   `json:"updated_at"`
}

// DecodeCommunity decodes a raw community.
func DecodeCommunity(raw json.RawMessage) (Community, error) {
	var c Community
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("decode community: %w", err)
	}
	if !c.ID.Valid() {
		return c, fmt.Errorf("decode community: %w", ErrNoID)
	}
	return c, nil
}

// Person is one member of a client's household.
type Person struct {
	ID                flex.Int    `json:"id"`
	FirstName         flex.String `json:"first_name"`
	LastName          flex.String `json:"last_name"`
	Email             flex.String `json:"email"`
	Phone1            flex.String `json:"phone_1"`
	Phone2            flex.String `json:"phone_2"`
	SMSOptIn          flex.Bool   `json:"sms_opt_in"`
	EmailUpdatesOptIn flex.Bool   `json:"email_updates_opt_in"`
	IsMinor           flex.Bool   `json:"is_minor"`
	// IsPrimary is sent on create and edit bodies; GET responses may or may not carry it.
	IsPrimary flex.Bool `json:"is_primary"`
}

// Phone returns phone_1, else phone_2.
func (p Person) Phone() flex.String {
	if p.Phone1.Valid {
		return p.Phone1
	}
	return p.Phone2
}

// Prospect is a Funnel client (guest card) as listed per community: the documented GET-one shape
// plus agents and updated_at [chosen]. Only what syncd types is decoded; the record is kept raw.
type Prospect struct {
	FunnelRenterID    flex.ID     `json:"funnel_renter_id"`
	FunnelCommunityID flex.Int    `json:"funnel_community_id"`
	Status            flex.String `json:"status"`
	LeadSource        flex.String `json:"lead_source"`
	MoveInDate        flex.Time   `json:"move_in_date"`
	CreatedAt         flex.Time   `json:"created_at"`
	UpdatedAt         flex.Time   `json:"updated_at"`

	RawPeople json.RawMessage `json:"people"`
	RawAgents json.RawMessage `json:"agents"`

	// People is decoded from RawPeople: an array, a single object, or null.
	People []Person `json:"-"`
	// Agents are the agents' e-mail addresses, decoded from RawAgents: an array of strings or of
	// {"email": ...} objects, a comma-separated string, or null.
	Agents []string `json:"-"`
}

// DecodeProspect decodes a raw prospect.
func DecodeProspect(raw json.RawMessage) (Prospect, error) {
	var p Prospect
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("decode prospect: %w", err)
	}
	if !p.FunnelRenterID.IsInt {
		return p, fmt.Errorf("decode prospect: %w", ErrNoID)
	}
	people, err := decodePeople(p.RawPeople)
	if err != nil {
		return p, fmt.Errorf("decode prospect %d people: %w", p.FunnelRenterID.Int, err)
	}
	p.People = people
	p.Agents = decodeAgents(p.RawAgents)
	return p, nil
}

// Primary returns the primary person: the one marked is_primary, else the first adult, else the
// first. The GET shape does not document is_primary, and Funnel lists the primary first in every
// example [chosen].
func (p Prospect) Primary() (Person, bool) {
	if len(p.People) == 0 {
		return Person{}, false
	}
	for _, x := range p.People {
		if x.IsPrimary.Valid && x.IsPrimary.V {
			return x, true
		}
	}
	for _, x := range p.People {
		if !x.IsMinor.V {
			return x, true
		}
	}
	return p.People[0], true
}

// AgentEmail returns the first agent, the one syncd treats as assigned [chosen], or "".
func (p Prospect) AgentEmail() string {
	if len(p.Agents) == 0 {
		return ""
	}
	return p.Agents[0]
}

func decodePeople(raw json.RawMessage) ([]Person, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return nil, nil
	case raw[0] == '{':
		var one Person
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, err
		}
		return []Person{one}, nil
	}
	var people []Person
	if err := json.Unmarshal(raw, &people); err != nil {
		return nil, err
	}
	return people, nil
}

// decodeAgents never fails: agents are informative, and a shape it cannot read yields none.
func decodeAgents(raw json.RawMessage) []string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var items []json.RawMessage
	if raw[0] != '[' {
		items = []json.RawMessage{raw}
	} else if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	var out []string
	for _, it := range items {
		it = bytes.TrimSpace(it)
		if len(it) > 0 && it[0] == '{' {
			var a struct {
				Email flex.String `json:"email"`
			}
			if json.Unmarshal(it, &a) == nil && a.Email.Valid {
				out = append(out, strings.TrimSpace(a.Email.V))
			}
			continue
		}
		var s flex.String
		if json.Unmarshal(it, &s) != nil || !s.Valid {
			continue
		}
		for part := range strings.SplitSeq(s.V, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// Renewal is one lease renewal [chosen shape].
type Renewal struct {
	ID             flex.ID     `json:"id"`
	FunnelRenterID flex.Int    `json:"funnel_renter_id"`
	FunnelUnitID   flex.Int    `json:"funnel_unit_id"`
	UnitNumber     flex.String `json:"unit_number"`
	LeaseStart     flex.Time   `json:"lease_start"`
	LeaseEnd       flex.Time   `json:"lease_end"`
	// Status is kept as sent, known or not; an absent status is "".
	Status         RenewalStatus `json:"-"`
	RawStatus      flex.String   `json:"status"`
	OfferRent      flex.Float    `json:"offer_rent"`
	OfferExpiresAt flex.Time     `json:"offer_expires_at"`
	UpdatedAt      flex.Time     `json:"updated_at"`
}

// DecodeRenewal decodes a raw renewal.
func DecodeRenewal(raw json.RawMessage) (Renewal, error) {
	var r Renewal
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, fmt.Errorf("decode renewal: %w", err)
	}
	if !r.ID.IsInt {
		return r, fmt.Errorf("decode renewal: %w", ErrNoID)
	}
	r.Status = RenewalStatus(strings.TrimSpace(r.RawStatus.V))
	return r, nil
}

// AppointmentClient is the client an appointment is booked for.
type AppointmentClient struct {
	ID           flex.Int    `json:"id"`
	FirstName    flex.String `json:"first_name"`
	LastName     flex.String `json:"last_name"`
	Email        flex.String `json:"email"`
	Phone        flex.String `json:"phone"`
	OriginSource flex.String `json:"origin_source"`
}

// AppointmentAgent is the agent an appointment is assigned to; Name is "Unassigned" when none.
type AppointmentAgent struct {
	Name  flex.String `json:"name"`
	Email flex.String `json:"email"`
}

// Appointment is one booked appointment (tour) [documented; fields past agent were truncated in
// the archive and stay in the raw record].
type Appointment struct {
	ID flex.ID `json:"id"`
	// Date is "YYYY-MM-DD" and Time "HH:MM", both naive local times of the community.
	Date   flex.Time         `json:"date"`
	Time   flex.String       `json:"time"`
	Client AppointmentClient `json:"-"`
	Agent  AppointmentAgent  `json:"-"`

	RawClient json.RawMessage `json:"client"`
	RawAgent  json.RawMessage `json:"agent"`
}

// DecodeAppointment decodes a raw appointment. client and agent may be null.
func DecodeAppointment(raw json.RawMessage) (Appointment, error) {
	var a Appointment
	if err := json.Unmarshal(raw, &a); err != nil {
		return a, fmt.Errorf("decode appointment: %w", err)
	}
	if !a.ID.IsInt {
		return a, fmt.Errorf("decode appointment: %w", ErrNoID)
	}
	if err := decodeObject(a.RawClient, &a.Client); err != nil {
		return a, fmt.Errorf("decode appointment %d client: %w", a.ID.Int, err)
	}
	if err := decodeObject(a.RawAgent, &a.Agent); err != nil {
		return a, fmt.Errorf("decode appointment %d agent: %w", a.ID.Int, err)
	}
	return a, nil
}

// decodeObject decodes an optional object; null or absent leaves into as it is.
func decodeObject(raw json.RawMessage, into any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	return json.Unmarshal(raw, into)
}
