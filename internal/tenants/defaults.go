package tenants

import (
	"time"

	"github.com/syncd-dev/syncd/internal/contract"
)

// Built-in defaults. A value set on a tenant wins over the defaults: block of the file, which wins
// over these. config.example.yaml documents the same values; keep them in step.
const (
	// DefaultDatabaseURL keeps a first run self-contained: no server to install.
	DefaultDatabaseURL = "sqlite:syncd.db"
	// DefaultMaxOpenConns is the Postgres pool size when database.max_open_conns is 0.
	DefaultMaxOpenConns = 10

	DefaultLogLevel  = "info"
	DefaultLogFormat = "json"

	// DefaultMaxConcurrentJobs caps concurrent tenant jobs so many tenants do not exhaust the
	// database pool or the host.
	DefaultMaxConcurrentJobs = 16
	// DefaultShutdownTimeout stays under Kubernetes' 30s termination grace period.
	DefaultShutdownTimeout = 25 * time.Second

	// DefaultTimezone is UTC because local-time schedules skip runs in the DST spring-forward hour.
	DefaultTimezone = "UTC"
	// DefaultRunTimeout bounds one job run; a full pull of a large tenant takes minutes, not hours.
	DefaultRunTimeout = 30 * time.Minute
	// DefaultMaxJitter spreads tenants that share a schedule such as "0 * * * *".
	DefaultMaxJitter = 30 * time.Second

	// DefaultMaxDeleteFraction and DefaultMinDeleteGuard: a pull pass may tombstone up to a
	// fifth of a resource's live rows, or up to 10 rows whatever the fraction, before the
	// mass-delete guard holds it. Real deletions come a few at a time; an upstream answering an
	// empty or truncated list looks like everything deleted at once.
	DefaultMaxDeleteFraction = 0.2
	DefaultMinDeleteGuard    = 10
	// DefaultMaxPages bounds one pass over one resource: 10 million records at RentEngine's
	// 100 per page, far above any tenant, yet finite against an upstream that never stops.
	DefaultMaxPages = 100_000

	// DefaultHistoryKeep is how long record_changes keeps a change: a year and a month, so that
	// a year-on-year question ("rent a year ago") still finds its answer. MaxHistoryKeep (a
	// century) only keeps the duration far from overflowing.
	DefaultHistoryKeep Days = 400
	MaxHistoryKeep     Days = 36500

	// DefaultRentEngineSchedule and DefaultFunnelSchedule apply to tenants with the matching
	// block; DefaultPushSchedule is empty because pushing changes upstream data and must be
	// asked for.
	DefaultRentEngineSchedule = "@every 15m"
	DefaultFunnelSchedule     = "@every 30m"
	DefaultPushSchedule       = ""
	// DefaultFunnelFluxSchedule is hourly: FunnelFlux names "unnecessary minute-by-minute
	// updates" and heavy reporting workloads as abusive automation that can get API access
	// limited, and its daily figures do not change faster than that matters.
	DefaultFunnelFluxSchedule = "@hourly"

	// The upstream defaults are recorded in internal/contract, shared with the clients, the one
	// place to change when the real contracts are confirmed.
	DefaultRentEngineBaseURL = contract.RentEngineDefaultBaseURL
	// RentEngine reports X-Ratelimit-Limit: 30 with an unclear window; 20 per 5s with no burst
	// stays under it on either reading.
	DefaultRentEngineRateRequests = contract.RentEngineDefaultRateRequests
	DefaultRentEngineRatePer      = contract.RentEngineDefaultRatePer
	DefaultRentEngineRateBurst    = 1

	// Funnel publishes no limit and asks partners to be gentle.
	DefaultFunnelBaseURL      = contract.FunnelDefaultBaseURL
	DefaultFunnelRateRequests = contract.FunnelDefaultRateRequests
	DefaultFunnelRatePer      = contract.FunnelDefaultRatePer
	DefaultFunnelRateBurst    = contract.FunnelDefaultRateBurst
	// FunnelFlux publishes no limit and warns against abusive automation.
	DefaultFunnelFluxBaseURL      = contract.FunnelFluxDefaultBaseURL
	DefaultFunnelFluxRateRequests = contract.FunnelFluxDefaultRateRequests
	DefaultFunnelFluxRatePer      = contract.FunnelFluxDefaultRatePer
	DefaultFunnelFluxRateBurst    = contract.FunnelFluxDefaultRateBurst
	DefaultFunnelFluxReportDays   = contract.FunnelFluxDefaultReportDays

	// DefaultFunnelAuth is Basic because Funnel documents it for both of its APIs.
	DefaultFunnelAuth = FunnelAuthBasic
)

// DefaultWebhookHeader carries the RentEngine webhook key [third-party: two public receivers read
// X-API-Key].
const DefaultWebhookHeader = "X-API-Key"

// Values of Funnel.Auth.
const (
	FunnelAuthBasic  = contract.FunnelAuthBasic
	FunnelAuthBearer = contract.FunnelAuthBearer
)

// DefaultMinFraction is rate_limit.min_fraction when left out: a run of 429s lowers a
// credential's effective rate to a tenth of the configured one at most.
const DefaultMinFraction = 0.1
