package identity

import (
	"math/rand/v2"
	"testing"
)

// The fast path for North American numbers must agree with libphonenumber wherever it answers.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"(555) 201-7788", "555-201-7788", "+15552017788", "5552017788", "555.201.7788",
		"1 555 201 7788", "1-555-201-7788", "+1 (555) 201-7788", "15552017788", "0552017788", "1155201778",
		"+5552017788", "(555)2017788", "555 201 7788 ", "()5552017788", "5552017788-", "--5552017788", "+1",
		"2017788", "55520177889", "+44 20 7946 0958", "555-201-7788 x12", "(((555)))201..7788", "1(555)2017788",
		"+1-1-555-201-7788", "12345678901", "+12345678901", "2345678901", "9999999999", "+19999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fast, ok := northAmerican(s)
		if !ok {
			return
		}
		if lib := normalizePhoneLib(s); fast != lib {
			t.Fatalf("northAmerican(%q) = %q, libphonenumber %q", s, fast, lib)
		}
	})
}

// Random numbers in every layout the fast path takes, against the library.
func TestNorthAmericanAgreesWithLibphonenumber(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	layouts := []func(d string) string{
		func(d string) string { return "(" + d[:3] + ") " + d[3:6] + "-" + d[6:] },
		func(d string) string { return d[:3] + "-" + d[3:6] + "-" + d[6:] },
		func(d string) string { return d[:3] + "." + d[3:6] + "." + d[6:] },
		func(d string) string { return "+1" + d },
		func(d string) string { return "+1 (" + d[:3] + ") " + d[3:6] + "-" + d[6:] },
		func(d string) string { return "1" + d },
		func(d string) string { return "1-" + d[:3] + "-" + d[3:6] + "-" + d[6:] },
		func(d string) string { return d },
	}
	answered := 0
	for range 20000 {
		b := make([]byte, 10)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		for _, layout := range layouts {
			s := layout(string(b))
			fast, ok := northAmerican(s)
			if !ok {
				continue
			}
			answered++
			if lib := normalizePhoneLib(s); fast != lib {
				t.Fatalf("northAmerican(%q) = %q, libphonenumber %q", s, fast, lib)
			}
		}
	}
	if answered == 0 {
		t.Fatal("the fast path answered nothing")
	}
}
