package funnelflux

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/syncd-dev/syncd/internal/clients/flex"
)

// ErrNoID is returned for a record without a usable id.
var ErrNoID = errors.New("record has no id")

func firstID(ids ...flex.ID) string {
	for _, id := range ids {
		if id.Valid() {
			return id.Text
		}
	}
	return ""
}

// DecodeFunnel decodes a raw funnel.
func DecodeFunnel(raw json.RawMessage) (Funnel, error) {
	var f Funnel
	if err := json.Unmarshal(raw, &f); err != nil {
		return f, fmt.Errorf("decode funnel: %w", err)
	}
	f.Raw = raw
	if !f.ID.Valid() {
		return f, fmt.Errorf("decode funnel: %w", ErrNoID)
	}
	return f, nil
}

// DecodeFunnelGroup decodes a raw funnel group, whose id may be under the legacy idCampaign.
func DecodeFunnelGroup(raw json.RawMessage) (FunnelGroup, error) {
	var g FunnelGroup
	if err := json.Unmarshal(raw, &g); err != nil {
		return g, fmt.Errorf("decode funnel group: %w", err)
	}
	g.Raw = raw
	if g.Key() == "" {
		return g, fmt.Errorf("decode funnel group: %w", ErrNoID)
	}
	return g, nil
}

// DecodeTrafficSource decodes a raw traffic source.
func DecodeTrafficSource(raw json.RawMessage) (TrafficSource, error) {
	var s TrafficSource
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("decode traffic source: %w", err)
	}
	s.Raw = raw
	if !s.ID.Valid() {
		return s, fmt.Errorf("decode traffic source: %w", ErrNoID)
	}
	return s, nil
}

// RecordID extracts only the id of a raw asset of kind a (the legacy idCampaign for a funnel
// group without idFunnelGroup), so that a record that fails full decoding can still be
// identified (and not tombstoned).
func RecordID(a Asset, raw json.RawMessage) (string, error) {
	var ids map[string]flex.ID
	if err := json.Unmarshal(raw, &ids); err != nil {
		// Some field is not a scalar: read the fields one by one, skipping those.
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return "", fmt.Errorf("decode id: %w", err)
		}
		ids = map[string]flex.ID{}
		for k, v := range fields {
			var id flex.ID
			if json.Unmarshal(v, &id) == nil {
				ids[k] = id
			}
		}
	}
	keys, ok := idFields[a]
	if !ok {
		return "", fmt.Errorf("decode id: unknown asset %q", a)
	}
	for _, k := range keys {
		if id := ids[k]; id.Valid() {
			return id.Text, nil
		}
	}
	return "", ErrNoID
}
