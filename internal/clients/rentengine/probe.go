package rentengine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/syncd-dev/syncd/internal/clients/flex"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

// FetchPage fetches page n of res with limit records per page, as List fetches its pages (same
// path, parameters and account filter, same upstream layer), and returns the body as received
// and what the exchange looked like. It is for checking the live API (syncd probe); pulls use
// List.
func (c *Client) FetchPage(ctx context.Context, res Resource, n, limit int) ([]byte, upstream.Exchange, error) {
	var ex upstream.Exchange
	req := c.listRequest(res, n, limit)
	req.Exchange = &ex
	var body []byte
	if err := c.up.Do(ctx, req, &body); err != nil {
		return nil, ex, fmt.Errorf("fetch %s page %d: %w", res, n, err)
	}
	return body, ex, nil
}

// Shape describes how the mapper reads res's records (see flex.Shape): the record structs of
// records.go, their raw fields, and their decoders.
func (r Resource) Shape() flex.Shape {
	switch r {
	case Units:
		return flex.Shape{Record: Unit{}, ID: "id", Nested: map[string]any{"address": unitAddress{}},
			Decode: func(raw json.RawMessage) error { _, err := DecodeUnit(raw); return err }}
	case Prospects:
		return flex.Shape{Record: Prospect{}, ID: "id",
			Decode: func(raw json.RawMessage) error { _, err := DecodeProspect(raw); return err }}
	case LeasingEvents:
		return flex.Shape{Record: LeasingEvent{}, ID: "id",
			Nested: map[string]any{"context": eventContext{}, "context.assignedToUserIds": []string{}},
			Decode: func(raw json.RawMessage) error { _, err := DecodeLeasingEvent(raw); return err }}
	}
	panic(fmt.Sprintf("rentengine: no shape for resource %q", r))
}
