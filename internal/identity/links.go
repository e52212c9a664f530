package identity

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/models"
)

// Store is what link computation needs of the mirror; *models.Store implements it. The store
// reads the rows and writes the links; the matching happens here.
type Store interface {
	ReplaceIdentityLinks(ctx context.Context, tenant string, now time.Time,
		match func(models.LinkSource) ([]models.IdentityLink, error)) (models.LinkWrites, error)
	LinkSource(ctx context.Context, tenant string) models.LinkSource
}

// LinkReader reads the stored links; *models.Store implements it.
type LinkReader interface {
	UsableIdentityLinks(ctx context.Context, tenant string) ([]models.IdentityLink, error)
	UsableIdentityLink(ctx context.Context, tenant string, prospectID int64) (models.IdentityLink, bool, error)
}

var (
	_ Store      = (*models.Store)(nil)
	_ LinkReader = (*models.Store)(nil)
)

// Stats are one recomputation's figures, recorded in the run's details under "links".
type Stats struct {
	// Linked is the number of usable links (prospects matching exactly one Funnel client).
	Linked int `json:"linked"`
	// AmbiguousProspects match several clients; AmbiguousLinks counts their candidate rows.
	AmbiguousProspects int `json:"ambiguous_prospects"`
	AmbiguousLinks     int `json:"ambiguous_links"`
	// Inserted, Updated, Deleted and Unchanged classify the rows of identity_links.
	Inserted  int `json:"inserted"`
	Updated   int `json:"updated"`
	Deleted   int `json:"deleted"`
	Unchanged int `json:"unchanged"`
}

// excludedStatuses are Funnel client statuses that never take part in matching: a merged client
// is a duplicate of another (matching it too would make every such person ambiguous), and a
// deleted client cannot be written to [chosen].
var excludedStatuses = []string{funnel.StatusClientMerged, funnel.StatusClientDeleted}

// Recompute derives a tenant's identity links from the live rows of rentengine_prospects and
// funnel_prospects and brings identity_links to exactly that set, writing only the difference: a
// link whose matched_on and status are unchanged is not rewritten (its computed_at stays). It
// runs in one transaction; on Postgres a transaction-scoped advisory lock per tenant serialises
// the recomputations of concurrent jobs (the rentengine and funnel jobs both call it). See
// models.Store.ReplaceIdentityLinks.
//
// Funnel clients are matched on every person's e-mail and phones, not only the primary's;
// RentEngine prospects on their one e-mail and phone.
func Recompute(ctx context.Context, st Store, tenant string, now time.Time) (Stats, error) {
	var stats Stats
	w, err := st.ReplaceIdentityLinks(ctx, tenant, now, func(src models.LinkSource) ([]models.IdentityLink, error) {
		stats = Stats{}
		idx, _, err := loadClients(src)
		if err != nil {
			return nil, err
		}
		return wantedLinks(src, idx, &stats)
	})
	if err != nil {
		return Stats{}, fmt.Errorf("recompute identity links of %s: %w", tenant, err)
	}
	stats.Inserted, stats.Updated, stats.Deleted, stats.Unchanged = w.Inserted, w.Updated, w.Deleted, w.Unchanged
	return stats, nil
}

// LoadClients indexes the tenant's Funnel clients as links are made: live, the clients that take
// part in matching; gone, the mirrored clients that do not because Funnel marks them merged or
// deleted (a RentEngine prospect matching only those has lost its client). Rows tombstoned in the
// mirror are in neither.
func LoadClients(ctx context.Context, st Store, tenant string) (live, gone *Index, err error) {
	live, gone, err = loadClients(st.LinkSource(ctx, tenant))
	if err != nil {
		return nil, nil, fmt.Errorf("index funnel clients of %s: %w", tenant, err)
	}
	return live, gone, nil
}

// loadClients indexes the tenant's live Funnel clients, and apart from them those excluded from
// matching by their status. A row whose raw record no longer decodes still contributes its
// primary person's typed match keys.
func loadClients(src models.LinkSource) (idx, gone *Index, err error) {
	idx, gone = NewIndex(), NewIndex()
	err = src.FunnelClients(func(c models.FunnelClientKeys) error {
		into := idx
		if c.Status != nil && slices.Contains(excludedStatuses, *c.Status) {
			into = gone
		}
		p, err := funnel.DecodeProspect([]byte(c.Raw))
		if err != nil {
			into.Add(c.ID, deref(c.EmailNormalized), deref(c.PhoneE164))
			return nil
		}
		var emails, phones []string
		for _, person := range p.People {
			emails = append(emails, person.Email.V)
			phones = append(phones, person.Phone1.V, person.Phone2.V)
		}
		into.Add(c.ID, emails, phones)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return idx, gone, nil
}

func deref(p *string) []string {
	if p == nil {
		return nil
	}
	return []string{*p}
}

// wantedLinks matches every live RentEngine prospect of the tenant against idx.
func wantedLinks(src models.LinkSource, idx *Index, stats *Stats) ([]models.IdentityLink, error) {
	if idx.Empty() {
		// No Funnel client to match (a RentEngine-only tenant): reading and normalising every
		// prospect, which a pull of a large tenant paid after every run, would find nothing.
		return nil, nil
	}
	var want []models.IdentityLink
	err := src.ProspectContacts(func(p models.ProspectContact) error {
		// The stored keys are normalised already; normalising again is idempotent and keeps
		// this correct for rows written by an older normaliser.
		// Phone normalisation (libphonenumber) is most of this loop's cost; skip it when no
		// client has a phone, since Match would ignore the result.
		phoneKey := ""
		if idx.HasPhones() {
			phoneKey = NormalizePhone(first(deref(p.PhoneE164)))
		}
		links := idx.Match(p.ID, NormalizeEmail(first(deref(p.EmailNormalized))), phoneKey)
		switch {
		case len(links) == 1:
			stats.Linked++
		case len(links) > 1:
			stats.AmbiguousProspects++
			stats.AmbiguousLinks += len(links)
		}
		for _, l := range links {
			want = append(want, models.IdentityLink{RentEngineProspectID: l.RentEngineProspectID,
				FunnelClientID: l.FunnelClientID, MatchedOn: l.MatchedOn, Status: l.Status})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return want, nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// UsableLinks returns the tenant's links that downstream code may act on: status linked only,
// ordered by RentEngine prospect id. Ambiguous candidates are never returned.
func UsableLinks(ctx context.Context, st LinkReader, tenant string) ([]models.IdentityLink, error) {
	return st.UsableIdentityLinks(ctx, tenant)
}

// UsableLink returns the Funnel client a RentEngine prospect is, when that is known without
// ambiguity; ok is false when the prospect has no link or only ambiguous ones.
func UsableLink(ctx context.Context, st LinkReader, tenant string, prospectID int64) (link models.IdentityLink, ok bool, err error) {
	return st.UsableIdentityLink(ctx, tenant, prospectID)
}
