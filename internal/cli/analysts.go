package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

const analystsUsage = `Usage:
  syncd analysts grant  --tenant ID --role NAME   let the role read the tenant's rows
  syncd analysts revoke --tenant ID --role NAME   take the tenant away from the role
  syncd analysts list                             every role and the tenants it reads

Per-tenant read access to the Postgres mirror. grant creates the role if it is missing (NOLOGIN:
grant it to real logins yourself, GRANT NAME TO alice), grants it SELECT on the mirror's tables
and views, and records the tenant; row-level security shows the role only the rows of its
tenants. A role granted several tenants reads all of them. revoke removes the tenant, and the
role's privileges with its last tenant; the role itself is kept. Every "syncd migrate" (and daemon
start) grants the recorded roles the tables and views added since. Postgres only.
`

// cmdAnalysts runs `syncd analysts grant|revoke|list`.
func cmdAnalysts(ctx context.Context, env Env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(env.Stderr, analystsUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub := args[0]
	if sub != "grant" && sub != "revoke" && sub != "list" {
		fmt.Fprintf(env.Stderr, "syncd analysts: unknown subcommand %q\n\n%s", sub, analystsUsage)
		return 2
	}
	name := "analysts " + sub
	summary := map[string]string{
		"grant":  "Let a database role read one tenant's rows of the mirror (Postgres). Creates the role NOLOGIN if it is missing.",
		"revoke": "Take one tenant away from a database role; with its last tenant, its privileges on the mirror (the role is kept).",
		"list":   "List every analyst role and the tenants it may read.",
	}[sub]
	fs := newFlags(name, summary, env)
	var c common
	c.register(fs, env)
	var tenant, role *string
	if sub != "list" {
		tenant = fs.String("tenant", "", "tenant id (required)")
		role = fs.String("role", "", "Postgres role, lower case, e.g. acme_analysts (required)")
	}
	if fs.Parse(args[1:]) != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "syncd %s: unexpected argument %q\n", name, fs.Arg(0))
		return 2
	}
	if sub != "list" && (*tenant == "" || *role == "") {
		fmt.Fprintf(env.Stderr, "syncd %s: --tenant and --role are required\n", name)
		return 2
	}
	cfg, log, ok := c.setup(env)
	if !ok {
		return 1
	}
	defer log.Sync()
	if d := cfg.Database.Driver(); d != tenants.DriverPostgres {
		fmt.Fprintf(env.Stderr, "syncd %s: %v (the configured database is %s)\n", name, models.ErrAnalystsNeedPostgres, d)
		return 1
	}
	// Only a tenant of the config can be granted, so a typo is an error; revoke takes any id, so
	// a tenant removed from the config can still be taken away.
	if sub == "grant" && cfg.Tenant(*tenant) == nil {
		fmt.Fprintf(env.Stderr, "syncd %s: no tenant %q in %s\n", name, *tenant, c.config)
		return 1
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(env.Stderr, "syncd %s: %v\n", name, err)
		return 1
	}
	defer store.Close()

	switch sub {
	case "grant":
		err = analystsGrant(ctx, env, store, *role, *tenant)
	case "revoke":
		err = analystsRevoke(ctx, env, store, *role, *tenant)
	default:
		err = analystsList(ctx, env, store)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "syncd %s: %v\n", name, err)
		return 1
	}
	return 0
}

func analystsGrant(ctx context.Context, env Env, store *models.Store, role, tenant string) error {
	res, err := store.GrantAnalysts(ctx, role, tenant)
	if err != nil {
		return err
	}
	if res.RoleCreated {
		fmt.Fprintf(env.Stdout, "created role %s (NOLOGIN); let a login use it with: GRANT %s TO <login>;\n", role, role)
	}
	what := "may now read"
	if res.AlreadyGranted {
		what = "already read"
	}
	fmt.Fprintf(env.Stdout, "%s %s tenant %s: reads %s, in %d tables and views\n",
		role, what, tenant, strings.Join(res.Tenants, ", "), len(res.Relations))
	return nil
}

func analystsRevoke(ctx context.Context, env Env, store *models.Store, role, tenant string) error {
	res, err := store.RevokeAnalysts(ctx, role, tenant)
	if err != nil {
		return err
	}
	switch {
	case !res.Removed:
		fmt.Fprintf(env.Stdout, "%s had no grant for tenant %s; nothing changed (it reads: %s)\n", role, tenant, orNone(res.Tenants))
	case res.PrivilegesRevoked:
		fmt.Fprintf(env.Stdout, "%s no longer reads tenant %s, its last: its privileges on the mirror are revoked; "+
			"the role is kept (DROP ROLE %s once no login needs it)\n", role, tenant, role)
	default:
		fmt.Fprintf(env.Stdout, "%s no longer reads tenant %s; it still reads: %s\n", role, tenant, strings.Join(res.Tenants, ", "))
	}
	return nil
}

func analystsList(ctx context.Context, env Env, store *models.Store) error {
	grants, err := store.AnalystGrants(ctx)
	if err != nil {
		return err
	}
	if len(grants) == 0 {
		fmt.Fprintln(env.Stdout, "no analyst grants")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tTENANT\tGRANTED")
	for _, g := range grants {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", g.RoleName, g.TenantID, g.GrantedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}
