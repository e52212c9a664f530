package funnelfluxfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

// writeError answers {"error": code, "message": message}. Chosen: the reference documents no
// error body.
func writeError(w http.ResponseWriter, status int, code, message string) {
	fakeapi.WriteJSON(w, status, map[string]string{"error": code, "message": message})
}

// route dispatches by exact path: no trailing-slash leniency, no redirects.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, BasePath)
	if !ok {
		http.NotFound(w, r)
		return
	}
	endpoint := ""
	for _, ep := range Endpoints() {
		_, path, _ := strings.Cut(ep, " ")
		if path == rest {
			endpoint = ep
			break
		}
	}
	if endpoint == "" {
		writeError(w, http.StatusNotFound, "not_found", "Route not found.")
		return
	}
	method, _, _ := strings.Cut(endpoint, " ")
	if r.Method != method {
		w.Header().Set("Allow", method)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed.")
		return
	}
	s.mu.Lock()
	s.calls[endpoint]++
	s.applyDueLocked()
	s.mu.Unlock()
	if status, off := s.Disabled(endpoint); off {
		writeError(w, status, "disabled", "This endpoint is not available.")
		return
	}
	if endpoint == EndpointValidate {
		s.validate(w, r)
		return
	}
	s.mu.Lock()
	_, state := s.checkTokenLocked(r)
	s.mu.Unlock()
	switch state {
	case tokenUnknown:
		writeError(w, http.StatusUnauthorized, "unauthorized", "Invalid access token.")
		return
	case tokenExpired:
		writeError(w, s.expiredStatus, "token_expired", "Access token has expired.")
		return
	}
	switch endpoint {
	case EndpointFunnels:
		s.list(w, r, ResourceFunnels)
	case EndpointFunnelGroups:
		s.list(w, r, ResourceFunnelGroups)
	case EndpointTrafficSources:
		s.list(w, r, ResourceTrafficSources)
	case EndpointAttributes:
		s.attributes(w)
	case EndpointDrilldown:
		s.drilldown(w, r)
	case EndpointConversions:
		s.updateConversions(w, r)
	}
}

// readStrict decodes a JSON object body into v, refusing unknown fields and trailing data.
func readStrict(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON body")
	}
	return nil
}

// validate is POST /auth/validate [V]: the access token in the header, accepted even when
// expired; an optional {"refresh_token"} body. A valid token is answered as it is; an expired
// one with a valid refresh token gets a new token; otherwise 401.
func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		RefreshToken *string `json:"refresh_token"`
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if len(bytes.TrimSpace(raw)) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(raw))
		if err := readStrict(r, &body); err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "Invalid request body: "+err.Error())
			return
		}
	}
	s.mu.Lock()
	tok, state := s.checkTokenLocked(r)
	var exp time.Time
	switch state {
	case tokenUnknown:
		s.mu.Unlock()
		writeError(w, http.StatusUnauthorized, "unauthorized", "Invalid access token.")
		return
	case tokenValid:
		exp = s.tokens[tok]
	case tokenExpired:
		if body.RefreshToken == nil {
			s.mu.Unlock()
			writeError(w, http.StatusUnauthorized, "token_expired", "Access token has expired.")
			return
		}
		if s.revoked || *body.RefreshToken != s.refresh {
			s.mu.Unlock()
			writeError(w, http.StatusUnauthorized, "invalid_grant", "Unknown or invalid refresh token.")
			return
		}
		tok, exp = s.issueLocked()
	}
	s.mu.Unlock()
	// Chosen: expires_at in Unix seconds, with other fields the docs say to ignore.
	fakeapi.WriteJSON(w, http.StatusOK, map[string]any{
		"tokens": map[string]any{"access_token": tok, "expires_at": exp.Unix(), "token_type": "Bearer",
			"scope": "api"},
		"user": map[string]any{"idUser": "u-1", "email": "ops@example.com"},
	})
}

// list answers an asset list: a bare array [I], filtered by the required status [V: lists take
// `status`]. Chosen: a missing status is a 400, as a required parameter would be.
func (s *Server) list(w http.ResponseWriter, r *http.Request, resource string) {
	q := r.URL.Query()
	if !q.Has("status") {
		writeError(w, http.StatusBadRequest, "bad_request", "Query parameter 'status' is required.")
		return
	}
	status := q.Get("status")
	switch status {
	case "", "not-deleted", StatusActive, StatusArchived, StatusDeleted:
	default:
		writeError(w, http.StatusBadRequest, "bad_request", "Invalid status "+strconv.Quote(status)+".")
		return
	}
	s.mu.Lock()
	recs := s.listRawLocked(resource, status)
	s.mu.Unlock()
	var b bytes.Buffer
	b.WriteByte('[')
	for i, rec := range recs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(rec)
	}
	b.WriteByte(']')
	fakeapi.WriteRawJSON(w, http.StatusOK, b.Bytes())
}

// attributes lists the groupings the drilldown accepts [I: shape].
func (s *Server) attributes(w http.ResponseWriter) {
	var out []map[string]string
	for _, g := range []string{GroupDate, GroupFunnel, GroupTrafficSource, GroupHitID, GroupConversionTx} {
		out = append(out, map[string]string{"attribute": g, "category": "fake"})
	}
	fakeapi.WriteJSON(w, http.StatusOK, map[string]any{"attributes": out})
}

// drilldownRequest is the drilldown body [A; Chosen as the client's contract.go]. Unknown
// fields are refused.
type drilldownRequest struct {
	TimeStart       *string          `json:"timeStart"`
	TimeEnd         *string          `json:"timeEnd"`
	TimeZone        *string          `json:"timeZone"`
	Groupings       []grouping       `json:"groupings"`
	TopLevelFilters []map[string]any `json:"topLevelFilters"`
	ColumnFilters   []map[string]any `json:"columnFilters"`
	Paging          *struct {
		Start  *int `json:"start"`
		Length *int `json:"length"`
	} `json:"paging"`
	Sorting *struct {
		Column    string `json:"column"`
		Direction string `json:"direction"`
	} `json:"sorting"`
	Options *struct {
		ViewType           string `json:"viewType"`
		ShowArchivedAssets bool   `json:"showArchivedAssets"`
		ShowFilteredTraffc bool   `json:"showFilteredTraffic"`
		OnlyConvertedHits  bool   `json:"onlyConvertedHits"`
		TimeAttribution    string `json:"timeAttribution"`
	} `json:"options"`
}

type grouping struct {
	GroupBy          string   `json:"groupBy"`
	WhitelistFilters []string `json:"whitelistFilters"`
	BlacklistFilters []string `json:"blacklistFilters"`
}

// maxPageLength bounds paging.length. Chosen: 1000, as the raw-event report's UI cap [V].
const maxPageLength = 1000

// drilldown answers a flat drilldown report page: columns (groupings, then metrics), rows of
// cells {raw, formatted}, rowsReturned and rowsTotal [A].
func (s *Server) drilldown(w http.ResponseWriter, r *http.Request) {
	var req drilldownRequest
	if err := readStrict(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "Invalid request body: "+err.Error())
		return
	}
	bad := func(msg string) { writeError(w, http.StatusBadRequest, "bad_request", msg) }
	if req.TimeStart == nil || req.TimeEnd == nil || req.TimeZone == nil {
		bad("timeStart, timeEnd and timeZone are required.")
		return
	}
	start, err1 := time.Parse(time.RFC3339, *req.TimeStart)
	end, err2 := time.Parse(time.RFC3339, *req.TimeEnd)
	if err1 != nil || err2 != nil || !end.After(start) {
		bad("timeStart and timeEnd must be RFC3339 times, timeEnd after timeStart.")
		return
	}
	loc, err := time.LoadLocation(*req.TimeZone)
	if err != nil || *req.TimeZone == "" {
		bad("Unknown timeZone " + strconv.Quote(*req.TimeZone) + ".")
		return
	}
	if len(req.Groupings) == 0 {
		bad("At least one grouping is required.")
		return
	}
	known := []string{GroupDate, GroupFunnel, GroupTrafficSource, GroupHitID, GroupConversionTx}
	q := Query{Start: start, End: end, Zone: loc}
	for _, g := range req.Groupings {
		if !slices.Contains(known, g.GroupBy) {
			bad("Unknown grouping " + strconv.Quote(g.GroupBy) + ".")
			return
		}
		q.Groupings = append(q.Groupings, g.GroupBy)
	}
	from, length := 0, 50 // [A] defaults
	if req.Paging != nil {
		if req.Paging.Start != nil {
			from = *req.Paging.Start
		}
		if req.Paging.Length != nil {
			length = *req.Paging.Length
		}
	}
	if from < 0 || length < 1 || length > maxPageLength {
		bad(fmt.Sprintf("paging.start must be >= 0 and paging.length 1..%d.", maxPageLength))
		return
	}
	if o := req.Options; o != nil {
		if o.ViewType != "" && o.ViewType != "flat" {
			bad("Only viewType flat is served by this fake.")
			return
		}
		switch o.TimeAttribution {
		case "", "entrance":
		case "event":
			q.EventAttributed = true
		default:
			bad("Unknown timeAttribution " + strconv.Quote(o.TimeAttribution) + ".")
			return
		}
		q.OnlyConverted = o.OnlyConvertedHits
	}
	rows := s.Report(q)
	total := len(rows)
	page := rows[min(from, total):min(from+length, total)]

	columns := make([]map[string]string, 0, len(q.Groupings)+len(metricColumns))
	for _, g := range q.Groupings {
		columns = append(columns, map[string]string{"name": g, "type": "grouping"})
	}
	for _, m := range metricColumns {
		columns = append(columns, map[string]string{"name": m, "type": "metric"})
	}
	out := make([]map[string]any, 0, len(page))
	for i, row := range page {
		cells := make([]map[string]any, 0, len(columns))
		for _, k := range row.Keys {
			cells = append(cells, map[string]any{"raw": k, "formatted": k})
		}
		for _, m := range metricColumns {
			raw, text := s.metricCell(m, row)
			cells = append(cells, map[string]any{"raw": raw, "formatted": text})
		}
		out = append(out, map[string]any{"rowId": strconv.Itoa(from + i), "parentRowId": nil,
			"cells": cells, "children": []any{}, "meta": map[string]any{"depth": 0}})
	}
	var totals Row
	for _, row := range rows {
		totals.Entrances += row.Entrances
		totals.Conversions += row.Conversions
		totals.Revenue += row.Revenue
		totals.Cost += row.Cost
	}
	totals.Revenue, totals.Cost = round2(totals.Revenue), round2(totals.Cost)
	tcells := make([]map[string]any, 0, len(metricColumns))
	for _, m := range metricColumns {
		raw, text := s.metricCell(m, totals)
		tcells = append(tcells, map[string]any{"raw": raw, "formatted": text})
	}
	fakeapi.WriteJSON(w, http.StatusOK, map[string]any{
		"columns": columns, "rows": out, "totals": map[string]any{"cells": tcells},
		"rowsReturned": len(out), "rowsTotal": strconv.Itoa(total), // Chosen: a count as a string
		"generatedAt": s.now().UTC().Format(time.RFC3339),
	})
}

// conversionRequest is ConversionsUpdateParams [V; hits' field names A/I as the client's
// contract.go].
type conversionRequest struct {
	Hits []struct {
		IDHit       *string  `json:"idHit"`
		Transaction *string  `json:"transaction"`
		Payout      *float64 `json:"payout"`
	} `json:"hits"`
	PostbackCalls    *string  `json:"postbackCalls"`
	OverridePayout   *float64 `json:"overridePayout"`
	DisablePostbacks bool     `json:"disablePostbacks"`
	ForcePostbacks   bool     `json:"forcePostbacks"`
}

// updateConversions queues a conversion update and answers 202 with no body [V: "queued for
// processing", no body; Chosen: the status].
func (s *Server) updateConversions(w http.ResponseWriter, r *http.Request) {
	var req conversionRequest
	if err := readStrict(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "Invalid request body: "+err.Error())
		return
	}
	if len(req.Hits) == 0 {
		writeError(w, http.StatusBadRequest, "bad_request", "hits is required and must not be empty.")
		return
	}
	if pc := req.PostbackCalls; pc != nil && !slices.Contains([]string{"none", "onlyOnce", "all"}, *pc) {
		writeError(w, http.StatusBadRequest, "bad_request", "postbackCalls must be one of none, onlyOnce, all.")
		return
	}
	q := queuedUpdate{}
	for i, h := range req.Hits {
		if h.IDHit == nil || strings.TrimSpace(*h.IDHit) == "" {
			writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("hits[%d].idHit is required.", i))
			return
		}
		tx := ""
		if h.Transaction != nil {
			tx = *h.Transaction
		}
		payout := h.Payout
		if req.OverridePayout != nil {
			payout = req.OverridePayout
		}
		q.hits = append(q.hits, queuedHit{hit: *h.IDHit, tx: tx, payout: payout})
	}
	s.mu.Lock()
	q.at = s.now()
	q.due = q.at.Add(s.delay)
	s.queued = append(s.queued, q)
	s.updatesIn++
	s.applyDueLocked()
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}
