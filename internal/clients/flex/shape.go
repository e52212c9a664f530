package flex

import "encoding/json"

// Shape describes how a client's mapper reads one kind of record, taken from the mapper's own
// types so that a check of a live answer against it (syncd probe) cannot drift from what syncd
// actually decodes.
type Shape struct {
	// Record is a zero value of the struct the mapper decodes a record into. Its json tags name
	// the keys it reads (fields tagged "-" are derived, not read); each field's type says as
	// what: a flex type, or json.RawMessage for a value the mapper decodes by hand.
	Record any
	// Nested gives, per json.RawMessage field (by its dotted path of JSON keys, "address",
	// "context.assignedToUserIds"), a zero value of what the mapper decodes it into: a struct for
	// an object, a slice for an array. A raw field without an entry is kept as received, unread.
	Nested map[string]any
	// ID is the JSON key of the record's id.
	ID string
	// IDAliases are other keys the id may be under, in order, when ID is absent (FunnelFlux's
	// legacy idCampaign for a funnel group).
	IDAliases []string
	// StringIDs says ids arrive as JSON strings (FunnelFlux Pro): a flex.ID field is expected to
	// be a string rather than a number.
	StringIDs bool
	// Decode is the mapper's decoder; an error means it cannot read the record.
	Decode func(json.RawMessage) error
}
