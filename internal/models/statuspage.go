package models

import (
	"context"
	"fmt"
)

// Read-only queries for the status view (internal/statusview): `syncd status` and the status
// page on the listen address.

// LedgerCount is how many push_ledger rows of a tenant are in one kind and state.
type LedgerCount struct {
	TenantID string
	Kind     string
	State    string
	Count    int64
}

// PushLedgerCounts counts push_ledger rows per tenant, kind and state ("" = every tenant),
// sorted by tenant, kind and state.
func (s *Store) PushLedgerCounts(ctx context.Context, tenant string) ([]LedgerCount, error) {
	q := s.db.WithContext(ctx).Model(&PushLedger{}).
		Select("tenant_id, kind, state, COUNT(*) AS count").
		Group("tenant_id, kind, state").Order("tenant_id, kind, state")
	if tenant != "" {
		q = q.Where("tenant_id = ?", tenant)
	}
	var out []LedgerCount
	if err := q.Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("count push_ledger rows by kind and state: %w", err)
	}
	return out, nil
}

// QuarantineCount is how many records of a tenant bad_records holds for one mirror table.
type QuarantineCount struct {
	TenantID string
	Table    string `gorm:"column:table_name"`
	Count    int64
}

// BadRecordCounts counts bad_records rows per tenant and table ("" = every tenant), sorted by
// tenant and table.
func (s *Store) BadRecordCounts(ctx context.Context, tenant string) ([]QuarantineCount, error) {
	q := s.db.WithContext(ctx).Model(&BadRecord{}).
		Select("tenant_id, table_name, COUNT(*) AS count").
		Group("tenant_id, table_name").Order("tenant_id, table_name")
	if tenant != "" {
		q = q.Where("tenant_id = ?", tenant)
	}
	var out []QuarantineCount
	if err := q.Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("count bad_records by table: %w", err)
	}
	return out, nil
}

// TenantRuns returns the tenant's latest runs of every job and status, newest first, at most
// limit.
func (s *Store) TenantRuns(ctx context.Context, tenant string, limit int) ([]SyncRun, error) {
	var runs []SyncRun
	err := s.db.WithContext(ctx).Where("tenant_id = ?", tenant).Order("id DESC").Limit(limit).Find(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("read latest runs of %s: %w", tenant, err)
	}
	return runs, nil
}

// PushFailures returns the tenant's push_ledger rows whose last attempt failed or found no
// target (states failed and unmatched), most recently attempted first, at most limit.
func (s *Store) PushFailures(ctx context.Context, tenant string, limit int) ([]PushLedger, error) {
	var rows []PushLedger
	err := s.db.WithContext(ctx).Where("tenant_id = ? AND state IN ?", tenant, []string{PushFailed, PushUnmatched}).
		Order("updated_at DESC, kind, target_key").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read push failures of %s: %w", tenant, err)
	}
	return rows, nil
}

// LinkCounts sums up a tenant's identity links by RentEngine prospect.
type LinkCounts struct {
	// Linked: live prospects that match exactly one Funnel client.
	Linked int64
	// Ambiguous: live prospects that match several Funnel clients.
	Ambiguous int64
	// Unlinked: live prospects with no identity link at all.
	Unlinked int64
}

// IdentityLinkCounts counts the tenant's live (not tombstoned) RentEngine prospects by their
// identity-link status.
func (s *Store) IdentityLinkCounts(ctx context.Context, tenant string) (LinkCounts, error) {
	var rows []struct {
		Status string
		Count  int64
	}
	// A prospect's links all have one status (linked: one client; ambiguous: several), so
	// MIN(status) per prospect is that status; NULL means no link.
	err := s.db.WithContext(ctx).Raw(`SELECT COALESCE(l.status, '') AS status, COUNT(*) AS count
FROM rentengine_prospects p
LEFT JOIN (SELECT rentengine_prospect_id, MIN(status) AS status FROM identity_links
           WHERE tenant_id = ? GROUP BY rentengine_prospect_id) l ON l.rentengine_prospect_id = p.id
WHERE p.tenant_id = ? AND p.deleted_at IS NULL
GROUP BY COALESCE(l.status, '')`, tenant, tenant).Scan(&rows).Error
	if err != nil {
		return LinkCounts{}, fmt.Errorf("count identity links of %s: %w", tenant, err)
	}
	var c LinkCounts
	for _, r := range rows {
		switch r.Status {
		case LinkLinked:
			c.Linked = r.Count
		case LinkAmbiguous:
			c.Ambiguous = r.Count
		case "":
			c.Unlinked = r.Count
		}
	}
	return c, nil
}
