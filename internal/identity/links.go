package identity

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/models"
)

// Store is what link computation needs of the mirror; *models.Store implements it.
type Store interface {
	DB() *gorm.DB
	Dialect() string
}

var _ Store = (*models.Store)(nil)

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
// the recomputations of concurrent jobs (the rentengine and funnel jobs both call it).
//
// Funnel clients are matched on every person's e-mail and phones, not only the primary's;
// RentEngine prospects on their one e-mail and phone.
func Recompute(ctx context.Context, st Store, tenant string, now time.Time) (Stats, error) {
	var stats Stats
	err := st.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		stats = Stats{}
		if st.Dialect() == models.Postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", lockKey(tenant)).Error; err != nil {
				return fmt.Errorf("lock identity links of %s: %w", tenant, err)
			}
		}
		idx, _, err := loadClients(tx, tenant)
		if err != nil {
			return err
		}
		want, err := wantedLinks(tx, tenant, idx, &stats)
		if err != nil {
			return err
		}
		have, err := storedLinks(tx, tenant)
		if err != nil {
			return err
		}
		return applyDiff(tx, tenant, want, have, now, &stats)
	})
	if err != nil {
		return Stats{}, fmt.Errorf("recompute identity links of %s: %w", tenant, err)
	}
	return stats, nil
}

// lockKey is the advisory lock of a tenant's links, in the key space of the daemon's job locks
// ("syncd\x00tenant\x00job") under a name no job has.
func lockKey(tenant string) int64 {
	h := fnv.New64a()
	h.Write([]byte("syncd\x00" + tenant + "\x00identity_links"))
	return int64(h.Sum64())
}

type pair struct{ prospect, client int64 }

// LoadClients indexes the tenant's Funnel clients as links are made: live, the clients that take
// part in matching; gone, the mirrored clients that do not because Funnel marks them merged or
// deleted (a RentEngine prospect matching only those has lost its client). Rows tombstoned in the
// mirror are in neither.
func LoadClients(ctx context.Context, st Store, tenant string) (live, gone *Index, err error) {
	live, gone, err = loadClients(st.DB().WithContext(ctx), tenant)
	if err != nil {
		return nil, nil, fmt.Errorf("index funnel clients of %s: %w", tenant, err)
	}
	return live, gone, nil
}

// loadClients indexes the tenant's live Funnel clients, and apart from them those excluded from
// matching by their status. A row whose raw record no longer decodes still contributes its
// primary person's typed match keys.
func loadClients(tx *gorm.DB, tenant string) (idx, gone *Index, err error) {
	rows, err := tx.Table(models.FunnelProspect{}.TableName()).
		Select("id, status, email_normalized, phone_e164, raw").
		Where("tenant_id = ? AND deleted_at IS NULL", tenant).Order("id").Rows()
	if err != nil {
		return nil, nil, fmt.Errorf("read funnel clients: %w", err)
	}
	defer rows.Close()
	idx, gone = NewIndex(), NewIndex()
	for rows.Next() {
		var (
			id            int64
			status, email *string
			phone         *string
			raw           models.JSON
		)
		if err := rows.Scan(&id, &status, &email, &phone, &raw); err != nil {
			return nil, nil, fmt.Errorf("read funnel clients: %w", err)
		}
		into := idx
		if status != nil && slices.Contains(excludedStatuses, *status) {
			into = gone
		}
		p, err := funnel.DecodeProspect([]byte(raw))
		if err != nil {
			into.Add(id, deref(email), deref(phone))
			continue
		}
		var emails, phones []string
		for _, person := range p.People {
			emails = append(emails, person.Email.V)
			phones = append(phones, person.Phone1.V, person.Phone2.V)
		}
		into.Add(id, emails, phones)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read funnel clients: %w", err)
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
func wantedLinks(tx *gorm.DB, tenant string, idx *Index, stats *Stats) (map[pair]Link, error) {
	if idx.Empty() {
		// No Funnel client to match (a RentEngine-only tenant): reading and normalising every
		// prospect, which a pull of a large tenant paid after every run, would find nothing.
		return map[pair]Link{}, nil
	}
	rows, err := tx.Table(models.RentEngineProspect{}.TableName()).
		Select("id, email_normalized, phone_e164").
		Where("tenant_id = ? AND deleted_at IS NULL AND (email_normalized IS NOT NULL OR phone_e164 IS NOT NULL)", tenant).
		Rows()
	if err != nil {
		return nil, fmt.Errorf("read rentengine prospects: %w", err)
	}
	defer rows.Close()
	want := map[pair]Link{}
	for rows.Next() {
		var (
			id           int64
			email, phone *string
		)
		if err := rows.Scan(&id, &email, &phone); err != nil {
			return nil, fmt.Errorf("read rentengine prospects: %w", err)
		}
		// The stored keys are normalised already; normalising again is idempotent and keeps
		// this correct for rows written by an older normaliser.
		// Phone normalisation (libphonenumber) is most of this loop's cost; skip it when no
		// client has a phone, since Match would ignore the result.
		phoneKey := ""
		if idx.HasPhones() {
			phoneKey = NormalizePhone(first(deref(phone)))
		}
		links := idx.Match(id, NormalizeEmail(first(deref(email))), phoneKey)
		switch {
		case len(links) == 1:
			stats.Linked++
		case len(links) > 1:
			stats.AmbiguousProspects++
			stats.AmbiguousLinks += len(links)
		}
		for _, l := range links {
			want[pair{l.RentEngineProspectID, l.FunnelClientID}] = l
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read rentengine prospects: %w", err)
	}
	return want, nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func storedLinks(tx *gorm.DB, tenant string) (map[pair]Link, error) {
	rows, err := tx.Model(&models.IdentityLink{}).
		Select("rentengine_prospect_id, funnel_client_id, matched_on, status").
		Where("tenant_id = ?", tenant).Rows()
	if err != nil {
		return nil, fmt.Errorf("read identity links: %w", err)
	}
	defer rows.Close()
	have := map[pair]Link{}
	for rows.Next() {
		var l Link
		if err := rows.Scan(&l.RentEngineProspectID, &l.FunnelClientID, &l.MatchedOn, &l.Status); err != nil {
			return nil, fmt.Errorf("read identity links: %w", err)
		}
		have[pair{l.RentEngineProspectID, l.FunnelClientID}] = l
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read identity links: %w", err)
	}
	return have, nil
}

// chunk bounds the rows per statement: 500 rows of at most 6 parameters stay far below both
// databases' bind-parameter limits.
const chunk = 500

func applyDiff(tx *gorm.DB, tenant string, want, have map[pair]Link, now time.Time, stats *Stats) error {
	var (
		inserts []models.IdentityLink
		updates []Link
		deletes [][]any
	)
	for k, l := range want {
		old, ok := have[k]
		switch {
		case !ok:
			inserts = append(inserts, models.IdentityLink{TenantID: tenant, RentEngineProspectID: l.RentEngineProspectID,
				FunnelClientID: l.FunnelClientID, MatchedOn: l.MatchedOn, Status: l.Status, ComputedAt: now})
		case old.MatchedOn != l.MatchedOn || old.Status != l.Status:
			updates = append(updates, l)
		default:
			stats.Unchanged++
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			deletes = append(deletes, []any{k.prospect, k.client})
		}
	}
	for start := 0; start < len(deletes); start += chunk {
		part := deletes[start:min(start+chunk, len(deletes))]
		res := tx.Where("tenant_id = ? AND (rentengine_prospect_id, funnel_client_id) IN ?", tenant, part).
			Delete(&models.IdentityLink{})
		if res.Error != nil {
			return fmt.Errorf("delete %d identity links: %w", len(part), res.Error)
		}
		stats.Deleted += int(res.RowsAffected)
	}
	for _, l := range updates {
		res := tx.Model(&models.IdentityLink{}).
			Where("tenant_id = ? AND rentengine_prospect_id = ? AND funnel_client_id = ?", tenant, l.RentEngineProspectID, l.FunnelClientID).
			Updates(map[string]any{"matched_on": l.MatchedOn, "status": l.Status, "computed_at": now})
		if res.Error != nil {
			return fmt.Errorf("update identity link %d-%d: %w", l.RentEngineProspectID, l.FunnelClientID, res.Error)
		}
		stats.Updated++
	}
	for start := 0; start < len(inserts); start += chunk {
		part := inserts[start:min(start+chunk, len(inserts))]
		if err := tx.Create(&part).Error; err != nil {
			return fmt.Errorf("insert %d identity links: %w", len(part), err)
		}
		stats.Inserted += len(part)
	}
	return nil
}

// UsableLinks returns the tenant's links that downstream code may act on: status linked only,
// ordered by RentEngine prospect id. Ambiguous candidates are never returned.
func UsableLinks(ctx context.Context, st Store, tenant string) ([]models.IdentityLink, error) {
	var links []models.IdentityLink
	err := st.DB().WithContext(ctx).Where("tenant_id = ? AND status = ?", tenant, models.LinkLinked).
		Order("rentengine_prospect_id").Find(&links).Error
	if err != nil {
		return nil, fmt.Errorf("read usable identity links of %s: %w", tenant, err)
	}
	return links, nil
}

// UsableLink returns the Funnel client a RentEngine prospect is, when that is known without
// ambiguity; ok is false when the prospect has no link or only ambiguous ones.
func UsableLink(ctx context.Context, st Store, tenant string, prospectID int64) (link models.IdentityLink, ok bool, err error) {
	err = st.DB().WithContext(ctx).
		Where("tenant_id = ? AND rentengine_prospect_id = ? AND status = ?", tenant, prospectID, models.LinkLinked).
		Take(&link).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return models.IdentityLink{}, false, nil
	case err != nil:
		return models.IdentityLink{}, false, fmt.Errorf("read identity link of prospect %d: %w", prospectID, err)
	}
	return link, true, nil
}
