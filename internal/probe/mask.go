package probe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode"
)

// Masking, for the responses --save writes as test fixtures. What counts as personal, by JSON key
// at any depth (nested people[], client{}, agent{} included), compared case-insensitively:
//
//   - e-mail: the key is "email" or ends in "email" or "email_address" (email, agent_email,
//     contactEmail); every string there becomes email-NNNN@example.invalid;
//   - phone: the key contains "phone", or is "mobile" or "cell" (phone, phone_1, phoneNumber);
//     strings become +1555NNNNNNN and numbers 1555NNNNNNN, so the JSON type stays as received;
//   - name: the key is "name" or ends in "name" (name, first_name, lastName, street_name); every
//     string becomes "Name NNNN". "Unassigned", Funnel's placeholder for no agent, is kept;
//   - free text that may hold anything about a person: "notes", "note", "message", "comment",
//     "comments"; every string becomes "Text NNNN";
//   - anywhere else, an e-mail address inside a string is replaced as above (agent e-mails in
//     agents[], one in a sentence).
//
// Empty and blank strings, nulls, ids, dates, addresses of units and communities, and everything
// else are kept, so that a fixture keeps the quirks that matter to a decoder (types, nulls,
// formatting of numbers, key order). A value masks to the same token wherever it occurs in one
// run: e-mails compared trimmed and in lower case, phones by their last ten digits, names and
// text trimmed and case-folded. Tokens are numbered in order of first appearance, so they carry
// nothing of the value (a hash of a phone number could be reversed by trying every number), and a
// probe of the same data gives the same files.

// masker replaces personal values with tokens, the same value with the same token.
type masker struct {
	tokens map[string]string
	next   map[string]int
}

func newMasker() *masker { return &masker{tokens: map[string]string{}, next: map[string]int{}} }

// Token kinds.
const (
	maskEmail = "email"
	maskPhone = "phone"
	maskName  = "name"
	maskText  = "text"
)

func (m *masker) token(kind, norm string) string {
	key := kind + "\x00" + norm
	if t, ok := m.tokens[key]; ok {
		return t
	}
	m.next[kind]++
	n := m.next[kind]
	var t string
	switch kind {
	case maskEmail:
		t = fmt.Sprintf("email-%04d@example.invalid", n)
	case maskPhone:
		t = fmt.Sprintf("1555%07d", n)
	case maskName:
		t = fmt.Sprintf("Name %04d", n)
	default:
		t = fmt.Sprintf("Text %04d", n)
	}
	m.tokens[key] = t
	return t
}

// emailRE finds e-mail addresses inside text.
var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)

func (m *masker) email(s string) string {
	return m.token(maskEmail, strings.ToLower(strings.TrimSpace(s)))
}

// emails replaces every e-mail address inside s.
func (m *masker) emails(s string) string {
	return emailRE.ReplaceAllStringFunc(s, m.email)
}

func (m *masker) phone(s string) string {
	var d strings.Builder
	for _, r := range s {
		if '0' <= r && r <= '9' {
			d.WriteRune(r)
		}
	}
	digits := d.String()
	if len(digits) > 10 {
		digits = digits[len(digits)-10:]
	}
	return m.token(maskPhone, digits)
}

func fold(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// keyClass says what a key holds, as far as masking is concerned.
func keyClass(key string) string {
	k := strings.ToLower(key)
	switch {
	case k == "email" || strings.HasSuffix(k, "email") || strings.HasSuffix(k, "email_address") ||
		strings.HasSuffix(k, "emailaddress"):
		return maskEmail
	case strings.Contains(k, "phone") || k == "mobile" || k == "cell":
		return maskPhone
	case strings.HasSuffix(k, "name"):
		return maskName
	case k == "notes" || k == "note" || k == "message" || k == "comment" || k == "comments":
		return maskText
	}
	return ""
}

// keptNames are values of name keys that name nobody.
var keptNames = map[string]bool{"unassigned": true}

// maskJSON returns body with personal values masked, indented, keys in their received order and
// numbers as they were written. It fails on a body that is not JSON, which is then not saved.
func (m *masker) maskJSON(body []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var out bytes.Buffer
	if err := m.copyValue(d, &out, "", 0); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the JSON value")
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// copyValue copies the next value from d to out, masking it by the key it is under ("" at the
// top; array elements inherit their array's key).
func (m *masker) copyValue(d *json.Decoder, out *bytes.Buffer, key string, depth int) error {
	tok, err := d.Token()
	if err != nil {
		return err
	}
	indent := func(n int) {
		out.WriteByte('\n')
		out.WriteString(strings.Repeat("  ", n))
	}
	switch t := tok.(type) {
	case json.Delim:
		closing, isObj := byte(']'), t == '{'
		if isObj {
			closing = '}'
		}
		out.WriteByte(byte(t))
		n := 0
		for d.More() {
			if n > 0 {
				out.WriteByte(',')
			}
			n++
			indent(depth + 1)
			childKey := key
			if isObj {
				kt, err := d.Token()
				if err != nil {
					return err
				}
				childKey, _ = kt.(string)
				enc, _ := json.Marshal(childKey)
				out.Write(enc)
				out.WriteString(": ")
			}
			if err := m.copyValue(d, out, childKey, depth+1); err != nil {
				return err
			}
		}
		if _, err := d.Token(); err != nil { // the closing delimiter
			return err
		}
		if n > 0 {
			indent(depth)
		}
		out.WriteByte(closing)
	case string:
		enc, _ := json.Marshal(m.maskString(key, t))
		out.Write(enc)
	case json.Number:
		if keyClass(key) == maskPhone {
			out.WriteString(m.phone(t.String()))
		} else {
			out.WriteString(t.String())
		}
	case bool:
		fmt.Fprint(out, t)
	case nil:
		out.WriteString("null")
	}
	return nil
}

// maskString masks one string value found under key.
func (m *masker) maskString(key, s string) string {
	if strings.TrimFunc(s, unicode.IsSpace) == "" {
		return s
	}
	switch keyClass(key) {
	case maskEmail:
		if emailRE.MatchString(s) {
			return m.emails(s)
		}
		return m.email(s)
	case maskPhone:
		return "+" + m.phone(s)
	case maskName:
		if keptNames[fold(s)] {
			return s
		}
		return m.token(maskName, fold(s))
	case maskText:
		return m.token(maskText, fold(s))
	}
	return m.emails(s)
}

// maskText masks e-mail addresses in a message (an error text bound for a saved file).
func (m *masker) maskText(s string) string { return m.emails(s) }
