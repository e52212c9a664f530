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

// Index maps normalised e-mails and E.164 phones to the Funnel clients that carry them. Build it
// with Add, then Match prospects against it. The zero value is not usable; use NewIndex.
type Index struct {
	emails map[string][]int64
	phones map[string][]int64
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{emails: map[string][]int64{}, phones: map[string][]int64{}}
}

// Empty reports whether no client has a usable e-mail or phone: nothing can match.
func (x *Index) Empty() bool { return len(x.emails) == 0 && len(x.phones) == 0 }

// HasPhones reports whether any client has a usable phone, that is, whether a prospect's phone
// can take part in a match at all.
func (x *Index) HasPhones() bool { return len(x.phones) > 0 }

// Add records a Funnel client's contact details: every person's e-mails and phones, raw or
// normalised (they are normalised here; values that normalise to nothing are ignored).
func (x *Index) Add(clientID int64, emails, phones []string) {
	for _, e := range emails {
		if k := NormalizeEmail(e); k != "" {
			x.emails[k] = appendUnique(x.emails[k], clientID)
		}
	}
	for _, p := range phones {
		if k := NormalizePhone(p); k != "" {
			x.phones[k] = appendUnique(x.phones[k], clientID)
		}
	}
}

func appendUnique(ids []int64, id int64) []int64 {
	if slices.Contains(ids, id) {
		return ids
	}
	return append(ids, id)
}

// Match returns the links of one RentEngine prospect, given its normalised e-mail and E.164
// phone ("" when absent), ordered by Funnel client id. One matching client gives one linked
// link; two or more give one ambiguous link each, so that the candidates are visible but none is
// used; none gives nothing. A client matching on both keys is recorded once, as "both".
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
	}
	out := make([]Link, 0, len(byClient))
	for id, on := range byClient {
		out = append(out, Link{RentEngineProspectID: prospectID, FunnelClientID: id, MatchedOn: on, Status: status})
	}
	slices.SortFunc(out, func(a, b Link) int { return cmp.Compare(a.FunnelClientID, b.FunnelClientID) })
	return out
}
