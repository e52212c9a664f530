// Package mirror maps upstream records to mirror rows and applies one change to a tenant's
// mirror. It is the one place that says what a RentEngine or Funnel record becomes in the mirror
// (decoding, contact normalisation, raw JSON and content hash) and how a single RentEngine
// change (a webhook delivery) lands: the pull (internal/sync), the webhook receiver
// (internal/webhook) and the benchmarks (internal/bench) all call it, so the three store the
// same rows for the same record.
//
// It knows nothing of jobs, runs or schedules: it never imports internal/sync (a test holds
// that), and the webhook receiver depends on it rather than on the job runner.
package mirror
