package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/probe"
)

// cmdProbe runs `syncd probe`: every upstream call the tenant's configuration uses, read-only.
// Exit status 0 when every call its configured jobs need works, 1 when one does not (each named
// with why, on stdout in the table and on stderr with --json), 2 for bad usage.
func cmdProbe(ctx context.Context, env Env, args []string) int {
	fs := newFlags("probe", "Check, read-only, every upstream call a tenant's configuration uses: status, latency, auth, "+
		"paging, rate-limit headers, and the records against what syncd reads; and what can be checked of its writes "+
		"without sending any. Exit status 0 means every call its configured jobs need works.", env)
	var c common
	c.register(fs, env)
	tenant := fs.String("tenant", "", "tenant id (required)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	save := fs.String("save", "", "write every response, with e-mails, phones, names and notes masked, to this directory (test fixtures)")
	if fs.Parse(args) != nil {
		return 2
	}
	if *tenant == "" {
		fmt.Fprintln(env.Stderr, "syncd probe: --tenant is required")
		return 2
	}
	cfg, err := c.loadConfig(env)
	if err != nil {
		printConfigError(env.Stderr, c.config, err)
		return 1
	}
	t := cfg.Tenant(*tenant)
	if t == nil {
		fmt.Fprintf(env.Stderr, "syncd probe: no tenant %q in %s\n", *tenant, c.config)
		return 1
	}
	if !t.IsEnabled() {
		// A disabled tenant's secrets are not read, so there is nothing to call with. Onboarding
		// keeps a new tenant enabled with its schedules off instead (README, Onboarding a tenant).
		fmt.Fprintf(env.Stderr, "syncd probe: tenant %s is disabled in %s, so its credentials are not read; "+
			"enable it with its schedules set to \"\" to probe it before it runs\n", t.ID, c.config)
		return 1
	}
	log, err := c.logger(cfg, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "syncd:", err)
		return 1
	}
	defer log.Sync()
	rep, err := probe.Run(ctx, probe.Config{Tenant: t, SaveDir: *save, Log: log.Named("probe").With(zap.String("tenant", t.ID))})
	if err != nil {
		fmt.Fprintln(env.Stderr, "syncd probe:", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
		for _, f := range rep.Failures {
			fmt.Fprintln(env.Stderr, "syncd probe: FAILED", f)
		}
	} else {
		rep.WriteText(env.Stdout)
	}
	if !rep.OK {
		return 1
	}
	return 0
}
