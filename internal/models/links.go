package models

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"gorm.io/gorm"
)

// Identity links are derived data: internal/identity decides which links a tenant has (the
// matching is plain Go over the rows read here), and the store reads the rows it matches and
// writes the outcome.

// FunnelClientKeys is what identity matching reads of one live Funnel client (a funnel_prospects
// row): its status, its primary person's typed match keys, and the record, which lists every
// person's.
type FunnelClientKeys struct {
	ID              int64
	Status          *string
	EmailNormalized *string
	PhoneE164       *string
	Raw             JSON
}

// ProspectContact is a live RentEngine prospect's match keys and status.
type ProspectContact struct {
	ID              int64
	EmailNormalized *string
	PhoneE164       *string
	Status          *string
}

// LinkSource reads one tenant's rows that identity links are computed from: inside
// ReplaceIdentityLinks' transaction, or on the store (Store.LinkSource). Each method streams rows
// to fn while the query's cursor is open, so fn must not use the store (on SQLite, with its one
// connection, that would wait forever).
type LinkSource struct {
	db     *gorm.DB
	tenant string
}

// LinkSource returns a LinkSource reading the tenant's current rows outside any transaction.
func (s *Store) LinkSource(ctx context.Context, tenant string) LinkSource {
	return LinkSource{db: s.db.WithContext(ctx), tenant: tenant}
}

// FunnelClients calls fn for each of the tenant's live Funnel clients, by id.
func (r LinkSource) FunnelClients(fn func(FunnelClientKeys) error) error {
	rows, err := r.db.Table(FunnelProspect{}.TableName()).
		Select("id, status, email_normalized, phone_e164, raw").
		Where("tenant_id = ? AND deleted_at IS NULL", r.tenant).Order("id").Rows()
	if err != nil {
		return fmt.Errorf("read funnel clients: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c FunnelClientKeys
		if err := rows.Scan(&c.ID, &c.Status, &c.EmailNormalized, &c.PhoneE164, &c.Raw); err != nil {
			return fmt.Errorf("read funnel clients: %w", err)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read funnel clients: %w", err)
	}
	return nil
}

// ProspectContacts calls fn for each of the tenant's live RentEngine prospects that has an
// e-mail or a phone to match on, by id.
func (r LinkSource) ProspectContacts(fn func(ProspectContact) error) error {
	rows, err := r.db.Table(RentEngineProspect{}.TableName()).
		Select("id, email_normalized, phone_e164, status").
		Where("tenant_id = ? AND deleted_at IS NULL AND (email_normalized IS NOT NULL OR phone_e164 IS NOT NULL)", r.tenant).
		Order("id").Rows()
	if err != nil {
		return fmt.Errorf("read rentengine prospects: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p ProspectContact
		if err := rows.Scan(&p.ID, &p.EmailNormalized, &p.PhoneE164, &p.Status); err != nil {
			return fmt.Errorf("read rentengine prospects: %w", err)
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read rentengine prospects: %w", err)
	}
	return nil
}

// ProspectContacts returns the tenant's live RentEngine prospects that have an e-mail or a phone,
// by id (what customer scores are planned from).
func (s *Store) ProspectContacts(ctx context.Context, tenant string) ([]ProspectContact, error) {
	var out []ProspectContact
	err := s.LinkSource(ctx, tenant).ProspectContacts(func(p ProspectContact) error {
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read prospects for scores: %w", err)
	}
	return out, nil
}

// LinkWrites classifies the rows of identity_links that ReplaceIdentityLinks compared.
type LinkWrites struct {
	Inserted, Updated, Deleted, Unchanged int
}

// identityLinkLockKey is the advisory lock of a tenant's links, in the key space of the daemon's
// job locks ("syncd\x00tenant\x00job") under a name no job has.
func identityLinkLockKey(tenant string) int64 {
	h := fnv.New64a()
	h.Write([]byte("syncd\x00" + tenant + "\x00identity_links"))
	return int64(h.Sum64())
}

// linkChunk bounds the rows per statement: 500 rows of at most 6 parameters stay far below both
// databases' bind-parameter limits.
const linkChunk = 500

type linkPair struct{ prospect, client int64 }

// ReplaceIdentityLinks brings the tenant's identity_links to exactly the links match returns,
// writing only the difference: a link whose matched_on and status are unchanged is not rewritten
// (its computed_at stays); new and changed links take computed_at now. match reads the rows it
// matches through src. It all runs in one transaction; on Postgres a transaction-scoped advisory
// lock per tenant serialises concurrent recomputations (the rentengine and funnel jobs both
// recompute). match runs once, inside the transaction, and must not use the store itself.
func (s *Store) ReplaceIdentityLinks(ctx context.Context, tenant string, now time.Time,
	match func(src LinkSource) ([]IdentityLink, error)) (LinkWrites, error) {
	var w LinkWrites
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		w = LinkWrites{}
		if s.dialect == Postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", identityLinkLockKey(tenant)).Error; err != nil {
				return fmt.Errorf("lock identity links of %s: %w", tenant, err)
			}
		}
		wanted, err := match(LinkSource{db: tx, tenant: tenant})
		if err != nil {
			return err
		}
		want := make(map[linkPair]IdentityLink, len(wanted))
		for _, l := range wanted {
			want[linkPair{l.RentEngineProspectID, l.FunnelClientID}] = l
		}
		have, err := storedLinks(tx, tenant)
		if err != nil {
			return err
		}
		return applyLinkDiff(tx, tenant, want, have, now, &w)
	})
	if err != nil {
		return LinkWrites{}, err
	}
	return w, nil
}

func storedLinks(tx *gorm.DB, tenant string) (map[linkPair]IdentityLink, error) {
	rows, err := tx.Model(&IdentityLink{}).
		Select("rentengine_prospect_id, funnel_client_id, matched_on, status").
		Where("tenant_id = ?", tenant).Rows()
	if err != nil {
		return nil, fmt.Errorf("read identity links: %w", err)
	}
	defer rows.Close()
	have := map[linkPair]IdentityLink{}
	for rows.Next() {
		var l IdentityLink
		if err := rows.Scan(&l.RentEngineProspectID, &l.FunnelClientID, &l.MatchedOn, &l.Status); err != nil {
			return nil, fmt.Errorf("read identity links: %w", err)
		}
		have[linkPair{l.RentEngineProspectID, l.FunnelClientID}] = l
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read identity links: %w", err)
	}
	return have, nil
}

func applyLinkDiff(tx *gorm.DB, tenant string, want, have map[linkPair]IdentityLink, now time.Time, w *LinkWrites) error {
	var (
		inserts []IdentityLink
		updates []IdentityLink
		deletes [][]any
	)
	for k, l := range want {
		old, ok := have[k]
		switch {
		case !ok:
			inserts = append(inserts, IdentityLink{TenantID: tenant, RentEngineProspectID: l.RentEngineProspectID,
				FunnelClientID: l.FunnelClientID, MatchedOn: l.MatchedOn, Status: l.Status, ComputedAt: now})
		case old.MatchedOn != l.MatchedOn || old.Status != l.Status:
			updates = append(updates, l)
		default:
			w.Unchanged++
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			deletes = append(deletes, []any{k.prospect, k.client})
		}
	}
	for start := 0; start < len(deletes); start += linkChunk {
		part := deletes[start:min(start+linkChunk, len(deletes))]
		res := tx.Where("tenant_id = ? AND (rentengine_prospect_id, funnel_client_id) IN ?", tenant, part).
			Delete(&IdentityLink{})
		if res.Error != nil {
			return fmt.Errorf("delete %d identity links: %w", len(part), res.Error)
		}
		w.Deleted += int(res.RowsAffected)
	}
	for _, l := range updates {
		res := tx.Model(&IdentityLink{}).
			Where("tenant_id = ? AND rentengine_prospect_id = ? AND funnel_client_id = ?", tenant, l.RentEngineProspectID, l.FunnelClientID).
			Updates(map[string]any{"matched_on": l.MatchedOn, "status": l.Status, "computed_at": now})
		if res.Error != nil {
			return fmt.Errorf("update identity link %d-%d: %w", l.RentEngineProspectID, l.FunnelClientID, res.Error)
		}
		w.Updated++
	}
	for start := 0; start < len(inserts); start += linkChunk {
		part := inserts[start:min(start+linkChunk, len(inserts))]
		if err := tx.Create(&part).Error; err != nil {
			return fmt.Errorf("insert %d identity links: %w", len(part), err)
		}
		w.Inserted += len(part)
	}
	return nil
}

// IdentityLinks returns every identity link of the tenant, usable or ambiguous.
func (s *Store) IdentityLinks(ctx context.Context, tenant string) ([]IdentityLink, error) {
	var links []IdentityLink
	if err := s.db.WithContext(ctx).Where("tenant_id = ?", tenant).Find(&links).Error; err != nil {
		return nil, fmt.Errorf("read identity links: %w", err)
	}
	return links, nil
}

// UsableIdentityLinks returns the tenant's links with status linked, by RentEngine prospect id.
func (s *Store) UsableIdentityLinks(ctx context.Context, tenant string) ([]IdentityLink, error) {
	var links []IdentityLink
	err := s.db.WithContext(ctx).Where("tenant_id = ? AND status = ?", tenant, LinkLinked).
		Order("rentengine_prospect_id").Find(&links).Error
	if err != nil {
		return nil, fmt.Errorf("read usable identity links of %s: %w", tenant, err)
	}
	return links, nil
}

// UsableIdentityLink returns a RentEngine prospect's link with status linked; ok is false when
// it has none.
func (s *Store) UsableIdentityLink(ctx context.Context, tenant string, prospectID int64) (link IdentityLink, ok bool, err error) {
	err = s.db.WithContext(ctx).
		Where("tenant_id = ? AND rentengine_prospect_id = ? AND status = ?", tenant, prospectID, LinkLinked).
		Take(&link).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return IdentityLink{}, false, nil
	case err != nil:
		return IdentityLink{}, false, fmt.Errorf("read identity link of prospect %d: %w", prospectID, err)
	}
	return link, true, nil
}

// LinkedProspect is a RentEngine prospect with a usable identity link to a live Funnel client.
type LinkedProspect struct {
	ProspectID int64
	// AgentEmail is the Funnel client's assigned agent.
	AgentEmail *string
	// PhoneE164 is the RentEngine prospect's phone.
	PhoneE164 *string
}

// LinkedProspects returns the tenant's live RentEngine prospects whose usable link leads to a
// live Funnel client, by prospect id (what assignments are planned from).
func (s *Store) LinkedProspects(ctx context.Context, tenant string) ([]LinkedProspect, error) {
	var links []LinkedProspect
	err := s.db.WithContext(ctx).Table(IdentityLink{}.TableName()+" l").
		Select("l.rentengine_prospect_id AS prospect_id, f.agent_email, p.phone_e164").
		Joins("JOIN "+FunnelProspect{}.TableName()+" f ON f.tenant_id = l.tenant_id AND f.id = l.funnel_client_id AND f.deleted_at IS NULL").
		Joins("JOIN "+RentEngineProspect{}.TableName()+" p ON p.tenant_id = l.tenant_id AND p.id = l.rentengine_prospect_id AND p.deleted_at IS NULL").
		Where("l.tenant_id = ? AND l.status = ?", tenant, LinkLinked).
		Order("l.rentengine_prospect_id").Scan(&links).Error
	if err != nil {
		return nil, fmt.Errorf("read linked prospects: %w", err)
	}
	return links, nil
}
