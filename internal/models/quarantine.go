package models

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm/clause"
)

// Why Unstorable refuses a record.
const (
	ReasonNUL         = `contains \u0000 (or a NUL byte), which Postgres cannot store in jsonb or text`
	ReasonSurrogate   = `contains a lone UTF-16 surrogate escape (\ud800-\udfff unpaired), which Postgres jsonb rejects`
	ReasonInvalidUTF8 = "is not valid UTF-8, which Postgres rejects in jsonb and text"
)

// Unstorable says why the mirror cannot store a record's raw JSON as received, or "" when it can.
//
// The rule, the same on both databases so that their mirrors are identical: a record is
// refused when its bytes are not valid UTF-8, contain a NUL byte, or contain the escape \u0000 or
// an unpaired surrogate escape (\ud800–\udfff) anywhere, keys included. Postgres refuses each of
// these in jsonb (and NUL and invalid UTF-8 in text); SQLite would store them, but a record one
// mirror has and the other lacks is worse than a record neither has. A refused record is
// quarantined whole, with its bytes, in bad_records, rather than stored with its text rewritten,
// so that raw always stays the record exactly as received.
//
// Typed text columns need no rewriting of their own: they are decoded from a raw record that
// passed this check, and decoding (encoding/json, flex) turns invalid UTF-8 and lone surrogates
// into U+FFFD and yields NUL only for \u0000. So a stored typed column never holds a NUL or
// invalid UTF-8 either.
//
// It is one pass over the bytes with no allocation: utf8.Valid and IndexByte run word at a time,
// and only escapes (rare in records, and a backslash can only appear in a JSON string, where each
// one starts an escape) are looked at individually. Raw JSON that is malformed is not this
// function's concern; what decoding accepts is checked here.
func Unstorable(raw []byte) string {
	if !utf8.Valid(raw) {
		return ReasonInvalidUTF8
	}
	if bytes.IndexByte(raw, 0) >= 0 {
		return ReasonNUL
	}
	for i := bytes.IndexByte(raw, '\\'); i >= 0; {
		next := i + 2 // past a two-character escape: \" \\ \/ \b \f \n \r \t
		if i+1 < len(raw) && raw[i+1] == 'u' {
			cp, ok := hex4(raw, i+2)
			if !ok {
				return "" // malformed: the decoder has already refused or will refuse it
			}
			next = i + 6
			switch {
			case cp == 0:
				return ReasonNUL
			case cp >= 0xD800 && cp < 0xDC00: // high surrogate: a low one must follow at once
				if i+7 < len(raw) && raw[i+6] == '\\' && raw[i+7] == 'u' {
					if lo, ok := hex4(raw, i+8); ok && lo >= 0xDC00 && lo <= 0xDFFF {
						next = i + 12
						break
					}
				}
				return ReasonSurrogate
			case cp >= 0xDC00 && cp <= 0xDFFF: // low surrogate without a high one
				return ReasonSurrogate
			}
		}
		if next >= len(raw) {
			break
		}
		j := bytes.IndexByte(raw[next:], '\\')
		if j < 0 {
			break
		}
		i = next + j
	}
	return ""
}

// hex4 reads four hex digits at raw[i:].
func hex4(raw []byte, i int) (rune, bool) {
	if i+4 > len(raw) {
		return 0, false
	}
	var r rune
	for _, c := range raw[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// IsDataError reports whether err is the database refusing a value (Postgres SQLSTATE class 22,
// data exception, such as a number too large for its column or an encoding error; or class 54,
// a program limit, such as JSON nested too deep) rather than failing. Retrying such a statement
// fails again the same way, so the record responsible is quarantined instead (Unstorable catches
// the known cases first; this is the net for the rest). SQLite refuses no such value.
func IsDataError(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	return strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "54")
}

// Quarantine sources.
const (
	SourcePull    = "pull"
	SourceWebhook = "webhook"
)

// BadRecord is a row of bad_records: a record the mirror could not store, kept with its bytes.
// The primary key is (tenant, table, record id), so a record refused on every run is one row
// whose last_seen_at and times_seen move.
type BadRecord struct {
	TenantID string `gorm:"primaryKey"`
	// Table is the mirror table the record was for (rentengine_units, …).
	Table    string `gorm:"primaryKey;column:table_name"`
	RecordID string `gorm:"primaryKey"`
	Reason   string
	// Raw is the record's bytes exactly as received, base64-encoded (standard encoding).
	Raw string
	// Source is SourcePull or SourceWebhook; RunID is the pull's run (nil for a webhook).
	Source      string
	RunID       *string `gorm:"column:run_id"`
	FirstSeenAt time.Time
	LastSeenAt  time.Time
	TimesSeen   int64
}

func (BadRecord) TableName() string { return "bad_records" }

// Bytes decodes Raw.
func (b BadRecord) Bytes() ([]byte, error) { return base64.StdEncoding.DecodeString(b.Raw) }

// Quarantined describes one refused record for Quarantine.
type Quarantined struct {
	Tenant, Table, RecordID, Reason string
	Raw                             []byte
	Source                          string
	RunID                           string // "" for a webhook
	At                              time.Time
}

// maxReason bounds a stored reason (a database error can be long).
const maxReason = 1000

// Quarantine records a refused record in bad_records, or refreshes its row if it is there
// already (reason, bytes, source and run are the latest; times_seen counts the refusals).
func (s *Store) Quarantine(ctx context.Context, q Quarantined) error {
	// The reason may quote a database error that quotes the value: make it storable itself.
	reason := strings.ReplaceAll(strings.ToValidUTF8(q.Reason, "\uFFFD"), "\x00", "\uFFFD")
	if len(reason) > maxReason {
		reason = strings.ToValidUTF8(reason[:maxReason], "") + "…"
	}
	rec := BadRecord{TenantID: q.Tenant, Table: q.Table, RecordID: q.RecordID, Reason: reason,
		Raw: base64.StdEncoding.EncodeToString(q.Raw), Source: q.Source,
		FirstSeenAt: q.At, LastSeenAt: q.At, TimesSeen: 1}
	if q.RunID != "" {
		rec.RunID = &q.RunID
	}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "tenant_id"}, {Name: "table_name"}, {Name: "record_id"}},
		DoUpdates: clause.Set{
			{Column: clause.Column{Name: "reason"}, Value: clause.Column{Table: "excluded", Name: "reason"}},
			{Column: clause.Column{Name: "raw"}, Value: clause.Column{Table: "excluded", Name: "raw"}},
			{Column: clause.Column{Name: "source"}, Value: clause.Column{Table: "excluded", Name: "source"}},
			{Column: clause.Column{Name: "run_id"}, Value: clause.Column{Table: "excluded", Name: "run_id"}},
			{Column: clause.Column{Name: "last_seen_at"}, Value: clause.Column{Table: "excluded", Name: "last_seen_at"}},
			{Column: clause.Column{Name: "times_seen"}, Value: clause.Expr{SQL: BadRecord{}.TableName() + ".times_seen + 1"}},
		},
	}).Create(&rec).Error
	if err != nil {
		return fmt.Errorf("quarantine %s %s of %s in bad_records: %w", q.Table, q.RecordID, q.Tenant, err)
	}
	return nil
}

// BadRecords returns a tenant's quarantined records, by table and record id ("" = every tenant).
func (s *Store) BadRecords(ctx context.Context, tenant string) ([]BadRecord, error) {
	q := s.db.WithContext(ctx).Order("tenant_id, table_name, record_id")
	if tenant != "" {
		q = q.Where("tenant_id = ?", tenant)
	}
	var out []BadRecord
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("read bad_records: %w", err)
	}
	return out, nil
}
