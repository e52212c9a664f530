// Package faultsuite holds syncd's resilience tests: every injected upstream fault kind, database
// connections killed mid-run, a process killed with SIGKILL mid-sync, one tenant's slow or failing
// upstream beside a healthy one, bad records, and secrets kept out of every log line. It has no
// production code; the tests exercise the real packages end to end.
package faultsuite
