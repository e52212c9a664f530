package fakeapi

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// AdminPath is where a Host serves its switchboard over HTTP, outside every fake's API paths:
// GET answers the current AdminState, POST applies a SwitchRequest body and answers the new state.
// It is unauthenticated (the fakes are test and development tools bound to loopback by default),
// and its requests are neither recorded, rate limited nor subject to faults.
//
//	curl -X POST localhost:8081/_fakeapi/switches -d '{"disable": {"GET /leasing_events": 404}}'
//	curl -X POST localhost:8081/_fakeapi/switches -d '{"field_types": {"units.bedrooms": "object"}}'
//	curl -X POST localhost:8081/_fakeapi/switches -d '{"reset": true}'
const AdminPath = "/_fakeapi/switches"

// SwitchRequest is a batch of switchboard changes: the admin endpoint's POST body, and what
// cmd/fakeupstream builds from its flags. Apply validates all of it before changing anything, then
// applies it in field order.
type SwitchRequest struct {
	// Reset first switches everything back on and restores every field.
	Reset bool `json:"reset,omitempty"`
	// Enable lists endpoints to switch on.
	Enable []string `json:"enable,omitempty"`
	// Disable maps endpoints to switch off to the status they answer (0: 404).
	Disable map[string]int `json:"disable,omitempty"`
	// RestoreFields lists "resource.field" to serve as stored again.
	RestoreFields []string `json:"restore_fields,omitempty"`
	// FieldTypes maps "resource.field" (the field may itself be dotted: "prospects.people.email")
	// to the kind to serve it as.
	FieldTypes map[string]FieldKind `json:"field_types,omitempty"`
}

// AdminState is the admin endpoint's answer: what can be switched and what is.
type AdminState struct {
	Endpoints []string `json:"endpoints"`
	Resources []string `json:"resources"`
	SwitchState
}

// SplitResourceField splits "resource.field" at its first dot.
func SplitResourceField(s string) (resource, field string, err error) {
	resource, field, ok := strings.Cut(s, ".")
	if !ok || resource == "" || field == "" {
		return "", "", fmt.Errorf("%q is not RESOURCE.FIELD", s)
	}
	return resource, field, nil
}

// Apply validates req and, when all of it is valid, applies it; otherwise it changes nothing and
// returns every problem.
func (b *Switchboard) Apply(req SwitchRequest) error {
	var errs []error
	for _, ep := range req.Enable {
		errs = append(errs, b.checkEndpoint(ep))
	}
	for ep, status := range req.Disable {
		errs = append(errs, b.checkEndpoint(ep), b.checkStatus(cmp.Or(status, http.StatusNotFound)))
	}
	for _, rf := range req.RestoreFields {
		res, field, err := SplitResourceField(rf)
		errs = append(errs, cmp.Or(err, b.checkField(res, field)))
	}
	for rf, kind := range req.FieldTypes {
		res, field, err := SplitResourceField(rf)
		errs = append(errs, cmp.Or(err, b.checkField(res, field)), b.checkKind(kind))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if req.Reset {
		b.Reset()
	}
	for _, ep := range req.Enable {
		b.Enable(ep)
	}
	for _, ep := range slices.Sorted(maps.Keys(req.Disable)) {
		b.DisableWith(ep, cmp.Or(req.Disable[ep], http.StatusNotFound))
	}
	for _, rf := range req.RestoreFields {
		res, field, _ := SplitResourceField(rf)
		b.RestoreField(res, field)
	}
	for _, rf := range slices.Sorted(maps.Keys(req.FieldTypes)) {
		res, field, _ := SplitResourceField(rf)
		b.SetFieldType(res, field, req.FieldTypes[rf])
	}
	return nil
}

// AdminHandler serves AdminPath for this switchboard.
func (b *Switchboard) AdminHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
		case http.MethodPost:
			var req SwitchRequest
			d := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
			d.DisallowUnknownFields()
			if err := d.Decode(&req); err != nil {
				WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "decode switch request: " + err.Error()})
				return
			}
			if err := b.Apply(req); err != nil {
				WriteJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
		default:
			w.Header().Set("Allow", "GET, POST")
			WriteJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET or POST"})
			return
		}
		WriteJSON(w, http.StatusOK, AdminState{Endpoints: b.Endpoints(), Resources: b.Resources(), SwitchState: b.State()})
	})
}
