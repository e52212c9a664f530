package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// RateLease is a row of rate_leases: one process's lease on a share of one credential's rate
// budget (see the migration's comments and upstream.Limiters.Coordinate).
type RateLease struct {
	Bucket         string `gorm:"primaryKey"`
	Holder         string `gorm:"primaryKey"`
	API            string `gorm:"column:api"`
	Credential     string
	ConfiguredRate float64
	Factor         float64
	EffectiveRate  float64
	ReadyAt        time.Time
	RenewedAt      time.Time
	ExpiresAt      time.Time
}

func (RateLease) TableName() string { return "rate_leases" }

// RateLeaseGrant is the answer to one renewal.
type RateLeaseGrant struct {
	// Lessees counts the bucket's live leases, the holder's included.
	Lessees int
	// ReadyIn is how long until the holder may send on its share (0: now).
	ReadyIn time.Duration
}

// RenewRateLeases creates or renews holder's leases (Bucket, API, Credential, ConfiguredRate,
// Factor and EffectiveRate taken from each; the times are set here) to expire after ttl, and
// returns per bucket the number of live lessees and when the holder may send.
//
// On Postgres the clock is the database's, and each bucket's renewal holds a transaction-level
// advisory lock on it, so two processes joining at once see each other: a lease that is new (or
// had lapsed) and finds other live leases becomes ready only after joinDelay, by which time every
// other lessee has renewed and cut its share. On SQLite there is one process: every grant is one
// lessee, ready at once, and the rows serve `syncd status`.
func (s *Store) RenewRateLeases(ctx context.Context, holder string, leases []RateLease, ttl, joinDelay time.Duration) (map[string]RateLeaseGrant, error) {
	out := make(map[string]RateLeaseGrant, len(leases))
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, l := range leases {
			g, err := s.renewRateLease(tx, holder, l, ttl, joinDelay)
			if err != nil {
				return fmt.Errorf("renew rate lease on %s: %w", l.Bucket, err)
			}
			out[l.Bucket] = g
		}
		if s.dialect == Postgres {
			return tx.Exec("DELETE FROM rate_leases WHERE expires_at < now() - interval '1 hour'").Error
		}
		return tx.Exec("DELETE FROM rate_leases WHERE expires_at < ?", time.Now().UTC().Add(-time.Hour)).Error
	})
	if err != nil {
		return nil, fmt.Errorf("renew rate leases of %s: %w", holder, err)
	}
	return out, nil
}

func (s *Store) renewRateLease(tx *gorm.DB, holder string, l RateLease, ttl, joinDelay time.Duration) (RateLeaseGrant, error) {
	if s.dialect != Postgres {
		now := time.Now().UTC()
		err := tx.Exec(`INSERT INTO rate_leases (bucket, holder, api, credential, configured_rate, factor, effective_rate,
			ready_at, renewed_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (bucket, holder) DO UPDATE SET api = excluded.api, credential = excluded.credential,
			configured_rate = excluded.configured_rate, factor = excluded.factor, effective_rate = excluded.effective_rate,
			renewed_at = excluded.renewed_at, expires_at = excluded.expires_at`,
			l.Bucket, holder, l.API, l.Credential, l.ConfiguredRate, l.Factor, l.EffectiveRate, now, now, now.Add(ttl)).Error
		return RateLeaseGrant{Lessees: 1}, err
	}
	if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtextextended('syncd.rate_leases ' || ?, 0))", l.Bucket).Error; err != nil {
		return RateLeaseGrant{}, err
	}
	var row struct {
		ReadyIn float64
		Lessees int
	}
	// ready_at: kept while the lease is live; for a new or lapsed one, now, or now + joinDelay
	// when others hold live leases.
	err := tx.Raw(`
WITH others AS (
    SELECT count(*) AS n FROM rate_leases WHERE bucket = @bucket AND holder <> @holder AND expires_at > now()
), up AS (
    INSERT INTO rate_leases AS r (bucket, holder, api, credential, configured_rate, factor, effective_rate,
        ready_at, renewed_at, expires_at)
    SELECT @bucket, @holder, @api, @credential, @configured, @factor, @effective,
        CASE WHEN others.n > 0 THEN now() + make_interval(secs => @join) ELSE now() END,
        now(), now() + make_interval(secs => @ttl)
    FROM others
    ON CONFLICT (bucket, holder) DO UPDATE SET api = excluded.api, credential = excluded.credential,
        configured_rate = excluded.configured_rate, factor = excluded.factor, effective_rate = excluded.effective_rate,
        ready_at = CASE WHEN r.expires_at > now() THEN r.ready_at ELSE excluded.ready_at END,
        renewed_at = excluded.renewed_at, expires_at = excluded.expires_at
    RETURNING ready_at
)
SELECT greatest(0, extract(epoch FROM up.ready_at - now()))::float8 AS ready_in, others.n + 1 AS lessees
FROM up, others`,
		map[string]any{"bucket": l.Bucket, "holder": holder, "api": l.API, "credential": l.Credential,
			"configured": l.ConfiguredRate, "factor": l.Factor, "effective": l.EffectiveRate,
			"join": joinDelay.Seconds(), "ttl": ttl.Seconds()}).Scan(&row).Error
	if err != nil {
		return RateLeaseGrant{}, err
	}
	return RateLeaseGrant{Lessees: row.Lessees, ReadyIn: time.Duration(row.ReadyIn * float64(time.Second))}, nil
}

// ReleaseRateLeases deletes holder's leases of buckets (all of them when buckets is nil).
func (s *Store) ReleaseRateLeases(ctx context.Context, holder string, buckets []string) error {
	q := s.db.WithContext(ctx).Where("holder = ?", holder)
	if buckets != nil {
		q = q.Where("bucket IN ?", buckets)
	}
	if err := q.Delete(&RateLease{}).Error; err != nil {
		return fmt.Errorf("release rate leases of %s: %w", holder, err)
	}
	return nil
}

// CredentialRate is one credential as `syncd status` shows it, from its live leases.
type CredentialRate struct {
	Bucket, API, Credential string
	// Configured is the configured rate per second; Effective the sum of the live leases'
	// effective rates (what all processes together allow themselves now); MinFactor the lowest
	// adaptive factor among them.
	Configured, Effective, MinFactor float64
	// Lessees counts the live leases (processes using the credential).
	Lessees int
}

// CredentialRates lists the credentials with live leases, by API and label.
func (s *Store) CredentialRates(ctx context.Context) ([]CredentialRate, error) {
	now := "now()"
	var args []any
	if s.dialect != Postgres {
		now = "?"
		args = append(args, time.Now().UTC())
	}
	var out []CredentialRate
	err := s.db.WithContext(ctx).Raw(`
SELECT bucket, api, max(credential) AS credential, max(configured_rate) AS configured,
       sum(effective_rate) AS effective, min(factor) AS min_factor, count(*) AS lessees
FROM rate_leases WHERE expires_at > `+now+`
GROUP BY bucket, api ORDER BY api, credential, bucket`, args...).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("read credential rates: %w", err)
	}
	return out, nil
}
