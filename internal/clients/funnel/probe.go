package funnel

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/syncd-dev/syncd/internal/clients/flex"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

// FetchPage fetches page n of one community's list res with perPage records per page, as List
// fetches its pages (same path, parameters and upstream layer), and returns the body as received
// and what the exchange looked like. It is for checking the live API (syncd probe); pulls use
// List.
func (c *Client) FetchPage(ctx context.Context, community string, res Resource, n, perPage int) ([]byte, upstream.Exchange, error) {
	var ex upstream.Exchange
	req := listRequest(community, res, n, perPage)
	req.Exchange = &ex
	var body []byte
	if err := c.up.Do(ctx, req, &body); err != nil {
		return nil, ex, fmt.Errorf("fetch %s page %d of community %s: %w", res, n, community, err)
	}
	return body, ex, nil
}

// FetchCommunity fetches one community's details as GetCommunity does, and returns the body as
// received and what the exchange looked like, for checking the live API (syncd probe).
func (c *Client) FetchCommunity(ctx context.Context, community string) ([]byte, upstream.Exchange, error) {
	var ex upstream.Exchange
	var body []byte
	req := upstream.Request{Method: http.MethodGet, Path: communityPath(community), Op: opCommunity, Exchange: &ex}
	if err := c.up.Do(ctx, req, &body); err != nil {
		return nil, ex, fmt.Errorf("get community %s: %w", community, err)
	}
	return body, ex, nil
}

// CommunityShape describes how the mapper reads a community's details (see flex.Shape).
func CommunityShape() flex.Shape {
	return flex.Shape{Record: Community{}, ID: "id",
		Decode: func(raw json.RawMessage) error { _, err := DecodeCommunity(raw); return err }}
}

// Shape describes how the mapper reads res's records (see flex.Shape): the record structs of
// records.go, their raw fields, and their decoders.
func (r Resource) Shape() flex.Shape {
	switch r {
	case Prospects:
		return flex.Shape{Record: Prospect{}, ID: "funnel_renter_id",
			Nested: map[string]any{"people": []Person{}, "agents": []string{}},
			Decode: func(raw json.RawMessage) error { _, err := DecodeProspect(raw); return err }}
	case Renewals:
		return flex.Shape{Record: Renewal{}, ID: "id",
			Decode: func(raw json.RawMessage) error { _, err := DecodeRenewal(raw); return err }}
	case Appointments:
		return flex.Shape{Record: Appointment{}, ID: "id",
			Nested: map[string]any{"client": AppointmentClient{}, "agent": AppointmentAgent{}},
			Decode: func(raw json.RawMessage) error { _, err := DecodeAppointment(raw); return err }}
	}
	panic(fmt.Sprintf("funnel: no shape for resource %q", r))
}

// The calls' names, as errors, metrics and syncd probe show them.
const (
	OpCommunity     = opCommunity
	OpCustomerScore = opCustomerScore
	OpRenewalStatus = opRenewalStatus
)

// Op is the name of the call that lists res.
func (r Resource) Op() string { return listOp(r) }
