package cli

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/syncd-dev/syncd/internal/statusview"
)

// writeCredentialTable prints the credentials (statusview.Credentials: one row per rate budget,
// with what the processes using it allow themselves now, from their leases in rate_leases; the
// daemon is another process, so that is the only way status learns it) after the jobs.
func writeCredentialTable(w io.Writer, creds []statusview.Credential) error {
	if len(creds) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "API\tCREDENTIAL\tTENANTS\tCONFIGURED/S\tEFFECTIVE/S\tPROCESSES")
	for _, c := range creds {
		eff := "idle"
		if c.EffectiveRate != nil {
			eff = strconv.FormatFloat(*c.EffectiveRate, 'f', 2, 64)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\n", c.API, statusview.OneLine(c.Label(), 40), len(c.Tenants),
			strconv.FormatFloat(c.ConfiguredPerSecond, 'f', 2, 64), eff, c.Processes)
	}
	return tw.Flush()
}
