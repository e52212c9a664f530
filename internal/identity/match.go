package identity

import (
	"cmp"
	"slices"

	"github.com/syncd-dev/syncd/internal/models"
)

// Link is one computed identity link.
type Link struct {
	RentEngineProspectID int64
	FunnelClientID       int64
	// MatchedOn is models.MatchedEmail, models.MatchedPhone or models.MatchedBoth.
	MatchedOn string
	// Status is models.LinkLinked or models.LinkAmbiguous.
	Status string
}

// Index maps normalised e-mails and E.164 phones to the Funnel clients that carry them, and keeps
// each client's own keys in the order its record lists them. Build it with Add, then Match
// prospects against it, or ask it how Funnel would match a payload (FunnelMatch) and which
// payload singles out a client (Identify). The zero value is not usable; use NewIndex.
type Index struct {
	emails map[string][]int64
	phones map[string][]int64
	// contacts are each client's normalised keys, record order, without repeats.
	contacts map[int64]*Contacts
}

// Contacts are one Funnel client's match keys: every person's normalised e-mail, and every
// person's phones in E.164, in the order the record lists them (the primary person's first when
// the record lists it first).
type Contacts struct {
	Emails, Phones []string
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{emails: map[string][]int64{}, phones: map[string][]int64{}, contacts: map[int64]*Contacts{}}
}

// Has reports whether the index holds the client.
func (x *Index) Has(clientID int64) bool {
	_, ok := x.contacts[clientID]
	return ok
}

// Empty reports whether no client has a usable e-mail or phone: nothing can match.
func (x *Index) Empty() bool { return len(x.emails) == 0 && len(x.phones) == 0 }

// HasPhones reports whether any client has a usable phone, that is, whether a prospect's phone
// can take part in a match at all.
func (x *Index) HasPhones() bool { return len(x.phones) > 0 }

// Add records a Funnel client's contact details: every person's e-mails and phones, raw or
// normalised (they are normalised here; values that normalise to nothing are ignored).
func (x *Index) Add(clientID int64, emails, phones []string) {
	c := x.contacts[clientID]
	if c == nil {
		c = &Contacts{}
		x.contacts[clientID] = c
	}
	for _, e := range emails {
		if k := NormalizeEmail(e); k != "" {
			x.emails[k] = appendUnique(x.emails[k], clientID)
			c.Emails = appendUnique(c.Emails, k)
		}
	}
	for _, p := range phones {
		if k := NormalizePhone(p); k != "" {
			x.phones[k] = appendUnique(x.phones[k], clientID)
			c.Phones = appendUnique(c.Phones, k)
		}
	}
}

func appendUnique[T comparable](list []T, v T) []T {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// Match returns the links of one RentEngine prospect, given its normalised e-mail and E.164
// phone ("" when absent), ordered by Funnel client id. One matching client gives one linked
// link; two or more give one ambiguous link each, so that the candidates are visible but none is
// used; none gives nothing. A client matching on both keys is recorded once, as "both".
//
// Among several candidates, a client matching on both keys when every other matches on one only
// is the link, alone: the prospect's e-mail is shared (a household's address, the same person's
// guest card in another community with an older phone) and its phone narrows it down, which is
// also how Funnel itself narrows an e-mail match (see FunnelMatch). Candidates that contradict
// each other (the e-mail says one client, the phone another) stay ambiguous.
func (x *Index) Match(prospectID int64, email, phone string) []Link {
	byClient := map[int64]string{}
	if email != "" {
		for _, id := range x.emails[email] {
			byClient[id] = models.MatchedEmail
		}
	}
	if phone != "" {
		for _, id := range x.phones[phone] {
			if byClient[id] == models.MatchedEmail {
				byClient[id] = models.MatchedBoth
			} else {
				byClient[id] = models.MatchedPhone
			}
		}
	}
	if len(byClient) == 0 {
		return nil
	}
	status := models.LinkLinked
	if len(byClient) > 1 {
		status = models.LinkAmbiguous
		var both []int64
		for id, on := range byClient {
			if on == models.MatchedBoth {
				both = append(both, id)
			}
		}
		if len(both) == 1 {
			return []Link{{RentEngineProspectID: prospectID, FunnelClientID: both[0], MatchedOn: models.MatchedBoth, Status: models.LinkLinked}}
		}
	}
	out := make([]Link, 0, len(byClient))
	for id, on := range byClient {
		out = append(out, Link{RentEngineProspectID: prospectID, FunnelClientID: id, MatchedOn: on, Status: status})
	}
	slices.SortFunc(out, func(a, b Link) int { return cmp.Compare(a.FunnelClientID, b.FunnelClientID) })
	return out
}

// FunnelMatch returns the clients of the index that Funnel's customer-score call would choose
// from for a payload with this normalised e-mail and E.164 phone ("" when absent), ascending.
// Funnel matches the e-mail first, among every client of the company; when that leaves several,
// the phone narrows them down (a phone that none of them has leaves them all); only when the
// e-mail matches nobody, or none is sent, does the phone alone match (funnel.md §6.5, and
// CONTRACT.md: "matched by email and/or phone"). When the answer holds several clients, Funnel
// silently picks one of them.
func (x *Index) FunnelMatch(email, phone string) []int64 {
	var out []int64
	switch {
	case email != "" && len(x.emails[email]) > 0:
		out = slices.Clone(x.emails[email])
		if phone != "" && len(out) > 1 {
			narrowed := slices.DeleteFunc(slices.Clone(out), func(id int64) bool { return !slices.Contains(x.phones[phone], id) })
			if len(narrowed) > 0 {
				out = narrowed
			}
		}
	case phone != "":
		out = slices.Clone(x.phones[phone])
	}
	slices.Sort(out)
	return out
}

// Identify returns the contact details to send so that Funnel's matching (FunnelMatch) picks
// this client and no other among the clients of the index, following Funnel's order:
//   - an e-mail of the client that no other client has, alone;
//   - else an e-mail of the client with one of its phones that narrows that e-mail's clients to
//     this one;
//   - else, when the client has no usable e-mail at all, a phone no other client has, alone.
//
// Each is tried in the client's record order (the primary person's keys first). ok is false when
// nothing singles the client out (every e-mail and phone it has is shared with one other client
// at least, the same way), or when the index does not hold it. The keys are those the index was
// built with, normalised as identity links are made.
func (x *Index) Identify(clientID int64) (email, phone string, ok bool) {
	c := x.contacts[clientID]
	if c == nil {
		return "", "", false
	}
	only := func(ids []int64) bool { return len(ids) == 1 && ids[0] == clientID }
	for _, e := range c.Emails {
		if only(x.FunnelMatch(e, "")) {
			return e, "", true
		}
	}
	for _, e := range c.Emails {
		for _, p := range c.Phones {
			if only(x.FunnelMatch(e, p)) {
				return e, p, true
			}
		}
	}
	if len(c.Emails) == 0 {
		for _, p := range c.Phones {
			if only(x.FunnelMatch("", p)) {
				return "", p, true
			}
		}
	}
	return "", "", false
}
