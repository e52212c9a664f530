package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/statusview"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// credentialStatus is one upstream credential's rate budget in `syncd status`: what the config
// sets and what the processes using it allow themselves now, from their leases in rate_leases
// (the daemon is another process, so this is the only way status learns it). The table prints
// it below the jobs; --json prints the jobs alone, unchanged.
type credentialStatus struct {
	API string `json:"api"`
	// Credential is the config's name for it, or the sorted ids of the tenants that use it.
	Credential string   `json:"credential"`
	Tenants    []string `json:"tenants"`
	// ConfiguredPerSecond is the configured rate, the total for all processes.
	ConfiguredPerSecond float64 `json:"configured_per_second"`
	// EffectivePerSecond is what the processes using it allow themselves together, after 429s
	// lowered it; null when no process is using it (idle).
	EffectivePerSecond *float64 `json:"effective_per_second"`
	// Processes counts the processes holding a live lease on it.
	Processes int `json:"processes"`

	key string
}

// credentialStatuses lists the credentials of the config's tenants (only's, when set), with the
// effective rates of the live leases.
func credentialStatuses(ctx context.Context, cfg *tenants.Config, store *models.Store, only string) ([]credentialStatus, error) {
	rates, err := store.CredentialRates(ctx)
	if err != nil {
		return nil, err
	}
	byKey := map[string]*credentialStatus{}
	var out []*credentialStatus
	for i := range cfg.Tenants {
		t := &cfg.Tenants[i]
		if only != "" && t.ID != only {
			continue
		}
		for _, job := range []tenants.Job{tenants.JobRentEngine, tenants.JobFunnel, tenants.JobFunnelFlux} {
			spec, ok := syncer.RateSpec(t, job)
			if !ok {
				continue
			}
			c := byKey[spec.Key]
			if c == nil {
				c = &credentialStatus{API: spec.API, Credential: spec.Label, ConfiguredPerSecond: spec.Configured(), key: spec.Key}
				byKey[spec.Key] = c
				out = append(out, c)
			}
			c.Tenants = append(c.Tenants, t.ID)
		}
	}
	for _, r := range rates {
		if c := byKey[r.Bucket]; c != nil {
			eff := r.Effective
			c.EffectivePerSecond, c.Processes = &eff, r.Lessees
		}
	}
	res := make([]credentialStatus, len(out))
	for i, c := range out {
		slices.Sort(c.Tenants)
		res[i] = *c
	}
	slices.SortFunc(res, func(a, b credentialStatus) int {
		if a.API != b.API {
			return compareStrings(a.API, b.API)
		}
		return compareStrings(a.Credential, b.Credential)
	})
	return res, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// writeCredentialTable prints the credentials after the jobs.
func writeCredentialTable(w io.Writer, creds []credentialStatus) error {
	if len(creds) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "API\tCREDENTIAL\tTENANTS\tCONFIGURED/S\tEFFECTIVE/S\tPROCESSES")
	for _, c := range creds {
		eff := "idle"
		if c.EffectivePerSecond != nil {
			eff = strconv.FormatFloat(*c.EffectivePerSecond, 'f', 2, 64)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\n", c.API, statusview.OneLine(c.Credential, 40), len(c.Tenants),
			strconv.FormatFloat(c.ConfiguredPerSecond, 'f', 2, 64), eff, c.Processes)
	}
	return tw.Flush()
}
