package probe_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/clients/flex"
	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/probe"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// personal is every e-mail, phone and name in the fakes' data, read with the clients' decoders
// (not with the masking rules under test).
type personal struct {
	emails, phones, names []string
}

func (p *personal) add(emails, phones, names []flex.String) {
	for _, e := range emails {
		if v := strings.ToLower(strings.TrimSpace(e.V)); v != "" {
			p.emails = append(p.emails, v)
		}
	}
	for _, ph := range phones {
		if d := digits(ph.V); len(d) >= 10 {
			p.phones = append(p.phones, d[len(d)-10:])
		}
	}
	for _, n := range names {
		// "Unassigned" is Funnel's word for no agent, kept on purpose: it names nobody.
		if v := strings.TrimSpace(n.V); v != "" && v != "Unassigned" {
			p.names = append(p.names, v)
		}
	}
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if '0' <= r && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func personalData(t *testing.T, b *bundle) personal {
	t.Helper()
	var p personal
	for _, raw := range b.re.All(rentenginefake.Prospects) {
		x, err := rentengine.DecodeProspect(raw)
		if err != nil {
			t.Fatal(err)
		}
		p.add([]flex.String{x.Email}, []flex.String{x.Phone}, []flex.String{x.Name})
	}
	for _, c := range b.fu.Communities() {
		for _, raw := range b.fu.All(c.ID, funnelfake.Prospects) {
			x, err := funnel.DecodeProspect(raw)
			if err != nil {
				t.Fatal(err)
			}
			for _, person := range x.People {
				p.add([]flex.String{person.Email}, []flex.String{person.Phone1, person.Phone2},
					[]flex.String{person.FirstName, person.LastName,
						{V: person.FirstName.V + " " + person.LastName.V, Valid: true}})
			}
			for _, a := range x.Agents {
				p.add([]flex.String{{V: a, Valid: true}}, nil, nil)
			}
		}
		for _, raw := range b.fu.All(c.ID, funnelfake.Appointments) {
			x, err := funnel.DecodeAppointment(raw)
			if err != nil {
				t.Fatal(err)
			}
			p.add([]flex.String{x.Client.Email, x.Agent.Email}, []flex.String{x.Client.Phone},
				[]flex.String{x.Client.FirstName, x.Client.LastName, x.Agent.Name})
		}
	}
	if len(p.emails) < 20 || len(p.phones) < 20 || len(p.names) < 20 {
		t.Fatalf("too little personal data in the fakes to test with: %d e-mails, %d phones, %d names",
			len(p.emails), len(p.phones), len(p.names))
	}
	return p
}

// scalars returns every string and number in a JSON document.
func scalars(t *testing.T, name string, data []byte) []string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var out []string
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch v := tok.(type) {
		case string:
			out = append(out, v)
		case json.Number:
			out = append(out, v.String())
		}
	}
	if !json.Valid(data) {
		t.Errorf("%s is not JSON", name)
	}
	return out
}

// --save writes every response, masked: no e-mail, phone or name of the fakes' data is left in any
// file, nor any credential, and the same value masks to the same token across files.
func TestSaveMasksPersonalData(t *testing.T) {
	b := setup(t)
	dir := filepath.Join(t.TempDir(), "fixtures")
	rep := b.run(t, dir)
	if !rep.OK {
		t.Fatalf("report not OK: %v", rep.Failures)
	}
	pd := personalData(t, b)

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = data
	}
	if len(files) != rep.Saved+1 || files[probe.ManifestFile] == nil {
		t.Fatalf("%d files for %d responses and a manifest", len(files), rep.Saved)
	}
	for _, want := range []string{"rentengine_units_page0.json", "rentengine_units_page0_limit100.json",
		"funnel_" + b.communities[0] + "_community.json", "funnel_" + b.communities[1] + "_prospects_page1.json"} {
		if files[want] == nil {
			t.Errorf("no %s", want)
		}
	}

	for name, data := range files {
		text := strings.ToLower(string(data))
		for _, secret := range []string{reToken, fuKey, "authorization", "x-api-key"} {
			if strings.Contains(text, strings.ToLower(secret)) {
				t.Errorf("%s holds %q", name, secret)
			}
		}
		for _, e := range pd.emails {
			if strings.Contains(text, e) {
				t.Errorf("%s holds the e-mail %s", name, e)
			}
		}
		for _, n := range pd.names {
			if strings.Contains(n, " ") && strings.Contains(text, strings.ToLower(n)) {
				t.Errorf("%s holds the name %s", name, n)
			}
		}
		for _, v := range scalars(t, name, data) {
			for _, n := range pd.names {
				if strings.EqualFold(strings.TrimSpace(v), n) {
					t.Errorf("%s holds the name %s", name, n)
				}
			}
			for _, ph := range pd.phones {
				if strings.Contains(digits(v), ph) {
					t.Errorf("%s holds the phone %s in %q", name, ph, v)
				}
			}
		}
	}

	// The same person's e-mail is one token everywhere: a Funnel prospect's agent is the agent of
	// appointments too, so the agents' tokens recur across files.
	count := map[string]int{}
	for name, data := range files {
		if name == probe.ManifestFile {
			continue
		}
		for _, v := range scalars(t, name, data) {
			if strings.HasSuffix(v, "@example.invalid") {
				count[v]++
			}
		}
	}
	repeated := 0
	for _, n := range count {
		if n > 1 {
			repeated++
		}
	}
	if len(count) == 0 || repeated == 0 {
		t.Errorf("masked e-mails %v: none recurs", count)
	}

	var manifest []probe.ManifestEntry
	if err := json.Unmarshal(files[probe.ManifestFile], &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest) != rep.Saved {
		t.Errorf("manifest has %d entries for %d files", len(manifest), rep.Saved)
	}
	for _, e := range manifest {
		if e.File == "" || e.Status != 200 || e.Request == "" || e.Headers["Content-Type"] == "" {
			t.Errorf("manifest entry %+v", e)
		}
	}
}
