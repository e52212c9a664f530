package probe

import (
	"strings"
	"testing"
)

func TestMaskJSON(t *testing.T) {
	cases := []struct {
		name string
		in   string
		// want is the masked document, compacted (whitespace outside strings removed).
		want string
	}{
		{"e-mails by key, the same one to the same token whatever its case and spaces",
			`{"email":"Ana@X.com","agent_email":" ana@x.com ","contactEmail":"bob@y.org"}`,
			`{"email":"email-0001@example.invalid","agent_email":" email-0001@example.invalid ","contactEmail":"email-0002@example.invalid"}`},
		{"an e-mail key holding no address is masked whole",
			`{"email":"ana at x dot com"}`, `{"email":"email-0001@example.invalid"}`},
		{"phones keep their JSON type, one token per number however written",
			`{"phone":"(555) 123-4567","phone_1":15551234567,"phone_2":"+1 555 123 4567","phoneNumber":"555.987.6543"}`,
			`{"phone":"+15550000001","phone_1":15550000001,"phone_2":"+15550000001","phoneNumber":"+15550000002"}`},
		{"names at any depth, Unassigned kept",
			`{"name":"Ana Lee","people":[{"first_name":"Ana","last_name":"Lee"},{"firstName":" ana "}],"agent":{"name":"Unassigned","email":null}}`,
			`{"name":"Name 0001","people":[{"first_name":"Name 0002","last_name":"Name 0003"},{"firstName":"Name 0002"}],"agent":{"name":"Unassigned","email":null}}`},
		{"free text masked whole, e-mails inside other strings replaced",
			`{"notes":"Call Ana on 555-123-4567","messages":[{"message":"hi"}],"agents":["a@x.com","b@x.com, a@x.com"],"status":"New"}`,
			`{"notes":"Text 0001","messages":[{"message":"Text 0002"}],"agents":["email-0001@example.invalid","email-0002@example.invalid, email-0001@example.invalid"],"status":"New"}`},
		{"everything else as received: nulls, blanks, numbers as written, booleans, key order, ids",
			`[{"z":1.50,"a":"","email":"  ","phone":null,"email_updates_opt_in":"true","sms_opt_in":true,"id":"17","unit":{"city":"Austin"}}]`,
			`[{"z":1.50,"a":"","email":"  ","phone":null,"email_updates_opt_in":"true","sms_opt_in":true,"id":"17","unit":{"city":"Austin"}}]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := newMasker().maskJSON([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := compact(string(out)); got != tc.want {
				t.Errorf("masked\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	for _, bad := range []string{`<html>`, `{"a":1} {"b":2}`, `{"a":`} {
		if _, err := newMasker().maskJSON([]byte(bad)); err == nil {
			t.Errorf("%q masked without error", bad)
		}
	}
}

// compact removes the whitespace maskJSON indents with, outside strings.
func compact(s string) string {
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' && (i == 0 || s[i-1] != '\\'):
			in = !in
		case !in && (c == ' ' || c == '\n'):
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func TestKeyClass(t *testing.T) {
	for key, want := range map[string]string{
		"email": maskEmail, "Email": maskEmail, "agent_email": maskEmail, "email_address": maskEmail,
		"email_updates_opt_in": "", "phone": maskPhone, "phone_1": maskPhone, "PhoneNumber": maskPhone,
		"mobile": maskPhone, "sms_opt_in": "", "name": maskName, "first_name": maskName, "lastName": maskName,
		"notes": maskText, "message": maskText, "status": "", "id": "", "created_by": "",
	} {
		if got := keyClass(key); got != want {
			t.Errorf("keyClass(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestHeaders(t *testing.T) {
	for name, want := range map[string][2]bool{ // rate-limit header, saved in the manifest
		"Retry-After": {true, true}, "X-Ratelimit-Remaining": {true, true}, "Ratelimit-Reset": {true, true},
		"Ratelimit": {true, true}, "Content-Type": {false, true}, "Link": {false, true}, "X-Total-Count": {false, true},
		"Set-Cookie": {false, false}, "Authorization": {false, false}, "X-Api-Key": {false, false}, "Server": {false, false},
	} {
		if got := [2]bool{rateLimitHeader(name), savedHeader(name)}; got != want {
			t.Errorf("%s: rate-limit, saved = %v, want %v", name, got, want)
		}
	}
}
