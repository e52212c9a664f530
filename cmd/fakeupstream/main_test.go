package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

func TestParseRateLimit(t *testing.T) {
	tests := []struct {
		in      string
		want    fakeapi.RateLimit
		wantErr bool
	}{
		{"20/5s", fakeapi.RateLimit{Requests: 20, Per: 5 * time.Second}, false},
		{"5/s", fakeapi.RateLimit{Requests: 5, Per: time.Second}, false},
		{"30/1m", fakeapi.RateLimit{Requests: 30, Per: time.Minute}, false},
		{"20", fakeapi.RateLimit{}, true},
		{"0/5s", fakeapi.RateLimit{}, true},
		{"x/5s", fakeapi.RateLimit{}, true},
		{"20/soon", fakeapi.RateLimit{}, true},
		{"20/", fakeapi.RateLimit{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseRateLimit(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseRateLimit(%q) = %+v, %v", tt.in, got, err)
			}
		})
	}
}

func TestRunServesSeededData(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int)
	env := func(k string) string {
		if k == "FAKE_RENTENGINE_TOKEN" {
			return "tok"
		}
		return ""
	}
	go func() {
		done <- run(ctx, []string{"-rentengine-addr", "127.0.0.1:0", "-units", "3", "-prospects", "4"}, env, pw, io.Discard)
	}()
	// run prints its line only once the fake is seeded and listening.
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var baseURL string
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, "base_url="); ok {
			baseURL = v
		}
	}
	if !strings.HasPrefix(line, "rentengine ") || !strings.Contains(line, " units=3 prospects=4 ") || baseURL == "" {
		t.Fatalf("printed %q", line)
	}
	req, _ := http.NewRequest(http.MethodGet, baseURL+"/units", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /units: %d", resp.StatusCode)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit code %d", code)
	}
}

func TestRunNeedsToken(t *testing.T) {
	var errOut bytes.Buffer
	code := run(context.Background(), nil, func(string) string { return "" }, io.Discard, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), "FAKE_RENTENGINE_TOKEN") {
		t.Errorf("code %d, stderr %q", code, errOut.String())
	}
}

func TestRunServesFunnelWhenGivenAKey(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int)
	env := func(k string) string {
		switch k {
		case "FAKE_RENTENGINE_TOKEN":
			return "tok"
		case "FAKE_FUNNEL_API_KEY":
			return "fkey"
		}
		return ""
	}
	go func() {
		done <- run(ctx, []string{"-rentengine-addr", "127.0.0.1:0", "-units", "3", "-prospects", "40",
			"-funnel-addr", "127.0.0.1:0", "-funnel-communities", "3", "-funnel-prospects", "5",
			"-funnel-renewals", "2", "-funnel-appointments", "2", "-funnel-shared-people", "4"}, env, pw, io.Discard)
	}()
	rd := bufio.NewReader(pr)
	if _, err := rd.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	line, err := rd.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok {
			fields[k] = v
		}
	}
	if !strings.HasPrefix(line, "funnel ") || fields["base_url"] == "" || fields["prospects"] != "20" || fields["shared_people"] != "4" {
		t.Fatalf("printed %q", line)
	}
	forms := strings.Split(fields["communities"], ",")
	if len(forms) != 3 || !strings.HasPrefix(forms[1], "P") || !strings.HasPrefix(forms[2], "partner-id:") {
		t.Fatalf("communities %q, want one per id form", fields["communities"])
	}
	for _, form := range forms {
		req, _ := http.NewRequest(http.MethodGet, fields["base_url"]+"/community/"+url.PathEscape(form)+"/", nil)
		req.SetBasicAuth("fkey", "")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET community %s: %d", form, resp.StatusCode)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit code %d", code)
	}
}

func TestRunSwitches(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int)
	env := func(k string) string {
		if k == "FAKE_RENTENGINE_TOKEN" {
			return "tok"
		}
		return ""
	}
	go func() {
		done <- run(ctx, []string{"-rentengine-addr", "127.0.0.1:0", "-units", "3", "-prospects", "4",
			"-rentengine-disable", "GET /leasing_events", "-rentengine-disable", "GET /prospects=410",
			"-rentengine-field-type", "units.bedrooms=object"}, env, pw, io.Discard)
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok {
			fields[k] = v
		}
	}
	get := func(url string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, _ := get(fields["base_url"] + "/leasing_events"); code != 404 {
		t.Errorf("GET /leasing_events: %d, want 404", code)
	}
	if code, _ := get(fields["base_url"] + "/prospects"); code != 410 {
		t.Errorf("GET /prospects: %d, want 410", code)
	}
	if code, body := get(fields["base_url"] + "/units"); code != 200 || !strings.Contains(body, `"bedrooms":{"value":`) {
		t.Errorf("GET /units: %d %s", code, body)
	}
	// The admin URL printed changes the switches at run time.
	if !strings.HasSuffix(fields["admin"], fakeapi.AdminPath) {
		t.Fatalf("printed %q", line)
	}
	resp, err := http.Post(fields["admin"], "application/json", strings.NewReader(`{"reset": true}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code, _ := get(fields["base_url"] + "/leasing_events"); resp.StatusCode != 200 || code != 200 {
		t.Errorf("after reset over HTTP: admin %d, GET /leasing_events %d", resp.StatusCode, code)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit code %d", code)
	}
}

func TestRunRejectsBadSwitches(t *testing.T) {
	env := func(k string) string {
		switch k {
		case "FAKE_RENTENGINE_TOKEN":
			return "tok"
		case "FAKE_FUNNEL_API_KEY":
			return "fkey"
		}
		return ""
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-rentengine-disable", "GET /nope"}, `unknown endpoint "GET /nope"`},
		{[]string{"-rentengine-disable", "GET /units=500"}, "404, 405 or 410"},
		{[]string{"-rentengine-disable", "GET /units=gone"}, "must be 404, 405 or 410"},
		{[]string{"-rentengine-field-type", "units.bedrooms"}, "RESOURCE.FIELD=KIND"},
		{[]string{"-rentengine-field-type", "units.bedrooms=integer"}, `unknown field kind "integer"`},
		{[]string{"-rentengine-field-type", "renewals.id=string"}, `unknown resource "renewals"`},
		{[]string{"-funnel-disable", "GET /units"}, `unknown endpoint "GET /units"`},
		{[]string{"-funnel-field-type", "units.id=string"}, `unknown resource "units"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var errOut bytes.Buffer
			args := append([]string{"-rentengine-addr", "127.0.0.1:0", "-funnel-addr", "127.0.0.1:0", "-units", "1", "-prospects", "1",
				"-funnel-communities", "1", "-funnel-prospects", "1", "-funnel-renewals", "0", "-funnel-appointments", "0"}, tt.args...)
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // a run that gets past the flags returns at once
			if code := run(ctx, args, env, io.Discard, &errOut); code != 2 || !strings.Contains(errOut.String(), tt.want) {
				t.Errorf("code %d, stderr %q, want 2 and %q", code, errOut.String(), tt.want)
			}
		})
	}
}

func TestRunServesFunnelFluxWhenGivenTokens(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int)
	env := func(k string) string {
		switch k {
		case "FAKE_RENTENGINE_TOKEN":
			return "tok"
		case "FAKE_FUNNELFLUX_ACCESS_TOKEN":
			return "ffat"
		case "FAKE_FUNNELFLUX_REFRESH_TOKEN":
			return "ffrt"
		}
		return ""
	}
	go func() {
		done <- run(ctx, []string{"-rentengine-addr", "127.0.0.1:0", "-units", "3", "-prospects", "30",
			"-funnelflux-addr", "127.0.0.1:0", "-funnelflux-days", "3", "-funnelflux-hits-per-day", "20",
			"-funnelflux-leads", "5", "-funnelflux-disable", "GET /reporting/attributes"}, env, pw, io.Discard)
	}()
	rd := bufio.NewReader(pr)
	first, err := rd.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	line, err := rd.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok {
			fields[k] = v
		}
	}
	if !strings.HasPrefix(line, "funnelflux ") || fields["funnels"] != "3" || fields["funnel_groups"] != "2" ||
		fields["traffic_sources"] != "3" || fields["leads"] != "5" || fields["hits"] == "0" {
		t.Fatalf("printed %q", line)
	}
	get := func(url, token string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	if status, body := get(fields["base_url"]+"/funnel/list?status=not-deleted", "ffat"); status != 200 || !strings.Contains(string(body), `"idCampaign"`) {
		t.Errorf("GET /funnel/list: %d %s", status, body)
	}
	if status, _ := get(fields["base_url"]+"/reporting/attributes", "ffat"); status != http.StatusNotFound {
		t.Errorf("disabled attributes answered %d", status)
	}
	var reURL string
	for _, f := range strings.Fields(first) {
		if v, ok := strings.CutPrefix(f, "base_url="); ok {
			reURL = v
		}
	}
	_, body := get(reURL+"/prospects?limit=100&page_number=0", "tok")
	if n := strings.Count(string(body), "ff_hit="); n != 5 {
		t.Errorf("%d RentEngine prospects carry a hit id, want 5", n)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit code %d", code)
	}
}

func TestRunFunnelFluxNeedsBothTokens(t *testing.T) {
	env := func(k string) string {
		switch k {
		case "FAKE_RENTENGINE_TOKEN":
			return "tok"
		case "FAKE_FUNNELFLUX_ACCESS_TOKEN":
			return "ffat"
		}
		return ""
	}
	var stderr strings.Builder
	code := run(context.Background(), []string{"-rentengine-addr", "127.0.0.1:0", "-units", "1", "-prospects", "1",
		"-funnelflux-addr", "127.0.0.1:0"}, env, io.Discard, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "both an access and a refresh token") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}
