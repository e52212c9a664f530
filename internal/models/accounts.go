package models

import (
	"context"
	"fmt"
)

// RentEngineAccountUnits returns the ids of the tenant's mirrored RentEngine units that belong to
// account: every row whose account_id is account (compared case-insensitively), live or
// tombstoned (a unit deleted upstream was still the account's), and live rows without an
// account_id, which only a /units list filtered by the account can have stored. Rows of other
// accounts, mirrored before the tenant set its account, are left out whether tombstoned or not.
func RentEngineAccountUnits(ctx context.Context, s *Store, tenant, account string) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Table(RentEngineUnit{}.TableName()).
		Where("tenant_id = ? AND (LOWER(account_id) = LOWER(?) OR (account_id IS NULL AND deleted_at IS NULL))", tenant, account).
		Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("list units of account %s: %w", account, err)
	}
	return ids, nil
}
