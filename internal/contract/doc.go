// Package contract holds the parts of the upstream contracts (../shared/reference/CONTRACT.md,
// rentengine.md, funnel.md) that syncd's configuration needs as well as the clients: production
// base URLs, the default rate limits, Funnel's auth modes, RentEngine's leasing-event types and
// Funnel's renewal statuses and alert types.
//
// It is a leaf: it imports nothing of syncd, so internal/tenants can validate and default a
// config without importing a client package (a test in internal/tenants holds that). The clients'
// contract.go files re-export what their callers use; every other guessed detail of an upstream
// (paths, paging, error codes, answer shapes) stays in the client's contract.go. When the real
// API is confirmed, those files and this package are the places to change.
package contract
