package rentenginefake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

// maxBodyBytes bounds a POST body; the real ones are a few hundred bytes.
const maxBodyBytes = 1 << 20

// postLeasingEvents implements POST /leasing_events for "Assign to User", the one type the docs
// say is supported. It answers 201 with a JSON array of the created events. Chosen: the docs do
// not say whether the 201 is one object or an array; an array fits both the "events" array in the
// request and bulk assignment creating several events.
//
// Validation errors are 400 in the documented schema with the documented AJV wording
// ("should ..."). Chosen: a prospect_id that does not exist is a 404 {"error":"Prospect not
// found"}, since it is well-formed input naming a missing resource.
func (s *Server) postLeasingEvents(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "Invalid request body")
		return
	}
	if len(raw) > maxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "Request body too large")
		return
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var body any
	if err := d.Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "Invalid JSON in request body")
		return
	}
	req, details := validateAssign(body)
	if len(details) > 0 {
		writeError(w, http.StatusBadRequest, "Invalid request parameters", details...)
		return
	}

	s.mu.Lock()
	prospects := s.tables[Prospects]
	target, ok := prospects.recs[req.prospectID]
	if !ok {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Prospect not found")
		return
	}
	targets := []int64{req.prospectID}
	if req.bulk && target.m.phone != "" {
		targets = targets[:0]
		for id, e := range prospects.recs {
			if e.m.phone == target.m.phone {
				targets = append(targets, id)
			}
		}
		slices.Sort(targets)
	}
	out := make([]byte, 0, 512*len(targets))
	out = append(out, '[')
	for i, pid := range targets {
		p := decode(prospects.recs[pid].raw)
		ev := eventRecord{
			CreatedAt: formatTime(s.now()),
			Notes:     req.notes,
			Prospect:  pid,
			Source:    req.source,
			EventType: EventAssignToUser,
			CreatedBy: s.userID,
			Context:   req.context,
			Unit:      unitRef(p["unit_of_interest"]),
		}
		// An action event: the prospect's status stays as it is.
		id := s.storeEventLocked(ev)
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, s.Rewrite(string(LeasingEvents), s.tables[LeasingEvents].recs[id].raw)...)
	}
	s.mu.Unlock()
	out = append(out, ']')
	fakeapi.WriteRawJSON(w, http.StatusCreated, out)
}

// assignRequest is a validated "Assign to User" event.
type assignRequest struct {
	prospectID int64
	notes      *string
	source     *string
	bulk       bool
	context    map[string]any // echoed into the created events as sent
}

// validateAssign checks the body against the documented schema and returns all violations.
func validateAssign(body any) (assignRequest, []errorDetail) {
	var req assignRequest
	var details []errorDetail
	bad := func(dataPath, schemaPath, keyword string, params map[string]any, msg string) {
		details = append(details, errorDetail{
			Keyword: keyword, DataPath: dataPath, SchemaPath: schemaPath, Params: params, Message: msg,
		})
	}
	root, ok := body.(map[string]any)
	if !ok {
		bad("", "#/type", "type", map[string]any{"type": "object"}, "should be object")
		return req, details
	}
	rawEvents, ok := root["events"]
	if !ok {
		bad("", "#/required", "required", map[string]any{"missingProperty": "events"},
			"should have required property 'events'")
		return req, details
	}
	events, ok := rawEvents.([]any)
	switch {
	case !ok:
		bad(".events", "#/properties/events/type", "type", map[string]any{"type": "array"}, "should be array")
		return req, details
	case len(events) < 1:
		bad(".events", "#/properties/events/minItems", "minItems", map[string]any{"limit": 1},
			"should NOT have fewer than 1 items")
		return req, details
	case len(events) > 1:
		// Only one event per request is supported.
		bad(".events", "#/properties/events/maxItems", "maxItems", map[string]any{"limit": 1},
			"should NOT have more than 1 items")
		return req, details
	}
	ev, ok := events[0].(map[string]any)
	if !ok {
		bad(".events[0]", "#/properties/events/items/type", "type", map[string]any{"type": "object"}, "should be object")
		return req, details
	}
	const item = "#/properties/events/items"
	required := func(name string) (any, bool) {
		v, ok := ev[name]
		if !ok {
			bad(".events[0]", item+"/required", "required", map[string]any{"missingProperty": name},
				"should have required property '"+name+"'")
		}
		return v, ok
	}
	if v, ok := required("prospect_id"); ok {
		n, isNum := v.(json.Number)
		id, err := strconv.ParseInt(string(n), 10, 64)
		if !isNum || err != nil {
			bad(".events[0].prospect_id", item+"/properties/prospect_id/type", "type",
				map[string]any{"type": "integer"}, "should be integer")
		}
		req.prospectID = id
	}
	if v, ok := required("event_type"); ok && v != EventAssignToUser {
		bad(".events[0].event_type", item+"/properties/event_type/enum", "enum",
			map[string]any{"allowedValues": []string{EventAssignToUser}}, "should be equal to one of the allowed values")
	}
	if v, ok := ev["source"]; ok && v != nil {
		src, isStr := v.(string)
		if !isStr || !slices.Contains(eventSources, src) {
			bad(".events[0].source", item+"/properties/source/enum", "enum",
				map[string]any{"allowedValues": eventSources}, "should be equal to one of the allowed values")
		}
		req.source = &src
	}
	if v, ok := ev["notes"]; ok && v != nil {
		n, isStr := v.(string)
		if !isStr {
			bad(".events[0].notes", item+"/properties/notes/type", "type", map[string]any{"type": "string"}, "should be string")
		}
		req.notes = &n
	}
	v, ok := required("context")
	if !ok {
		return req, details
	}
	ctx, isObj := v.(map[string]any)
	if !isObj {
		bad(".events[0].context", item+"/properties/context/type", "type", map[string]any{"type": "object"}, "should be object")
		return req, details
	}
	req.context = ctx
	const ctxPath = item + "/properties/context"
	ids, ok := ctx["assignedToUserIds"]
	if !ok {
		bad(".events[0].context", ctxPath+"/required", "required", map[string]any{"missingProperty": "assignedToUserIds"},
			"should have required property 'assignedToUserIds'")
	} else if list, isArr := ids.([]any); !isArr {
		bad(".events[0].context.assignedToUserIds", ctxPath+"/properties/assignedToUserIds/type", "type",
			map[string]any{"type": "array"}, "should be array")
	} else if len(list) == 0 {
		bad(".events[0].context.assignedToUserIds", ctxPath+"/properties/assignedToUserIds/minItems", "minItems",
			map[string]any{"limit": 1}, "should NOT have fewer than 1 items")
	} else {
		for i, u := range list {
			if s, isStr := u.(string); !isStr || !isUUID(s) {
				bad(".events[0].context.assignedToUserIds["+strconv.Itoa(i)+"]",
					ctxPath+"/properties/assignedToUserIds/items/format", "format",
					map[string]any{"format": "uuid"}, `should match format "uuid"`)
			}
		}
	}
	if b, ok := ctx["applyActionInBulk"]; ok {
		bulk, isBool := b.(bool)
		if !isBool {
			bad(".events[0].context.applyActionInBulk", ctxPath+"/properties/applyActionInBulk/type", "type",
				map[string]any{"type": "boolean"}, "should be boolean")
		}
		req.bulk = bulk
	}
	return req, details
}
