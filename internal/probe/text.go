package probe

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes the report for people: a table of the calls, each call's details, the write
// checks, and the verdict with every failure named.
func (r *Report) WriteText(w io.Writer) {
	jobs := make([]string, len(r.Jobs))
	for i, j := range r.Jobs {
		jobs[i] = string(j)
	}
	fmt.Fprintf(w, "syncd probe: tenant %s, jobs %s; read-only, no write is sent\n\n", r.Tenant, strings.Join(jobs, ", "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CALL\tVERDICT\tHTTP\tAUTH\tLATENCY\tRECORDS")
	for _, c := range r.Calls {
		status, latency := "-", "-"
		if len(c.Requests) > 0 {
			q := c.Requests[0]
			if q.Status != 0 {
				status = fmt.Sprint(q.Status)
			}
			latency = fmt.Sprintf("%.0fms", q.LatencyMS)
		}
		records := "-"
		if c.Shape != nil {
			records = fmt.Sprint(c.Shape.Records)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Name(), verdictText(c.Verdict), status, c.Auth, latency, records)
	}
	tw.Flush()

	for _, c := range r.Calls {
		fmt.Fprintf(w, "\n%s: %s\n", c.Name(), verdictText(c.Verdict))
		var reqs []string
		for _, q := range c.Requests {
			s := ""
			if q.Page != nil {
				s = fmt.Sprintf("page %d/%d ", *q.Page, q.Size)
			}
			if q.Status != 0 {
				s += fmt.Sprintf("%d %.0fms", q.Status, q.LatencyMS)
			} else {
				s += "no answer"
			}
			if q.Error == "" && q.Status >= 200 && q.Status <= 299 && q.Page != nil {
				s += fmt.Sprintf(" %d rec", q.Records)
			}
			if q.Attempts > 1 {
				s += fmt.Sprintf(" (%d attempts)", q.Attempts)
			}
			reqs = append(reqs, s)
		}
		fmt.Fprintf(w, "  requests: %s\n", strings.Join(reqs, " · "))
		if p := c.Paging; p != nil {
			line := fmt.Sprintf("%s=%d %s", p.Param, p.Small, p.Limit)
			if p.End != "" {
				line += "; " + p.End
			}
			if p.AtSyncdSize != "" {
				line += fmt.Sprintf("; at syncd's %s=%d: %s", p.Param, p.SyncdSize, p.AtSyncdSize)
			}
			fmt.Fprintf(w, "  paging: %s\n", line)
		}
		if len(c.RateLimitHeaders) > 0 {
			var hs []string
			for _, k := range sortedKeys(c.RateLimitHeaders) {
				hs = append(hs, k+": "+c.RateLimitHeaders[k])
			}
			fmt.Fprintf(w, "  rate-limit headers: %s\n", strings.Join(hs, ", "))
		} else if c.Auth == "accepted" {
			fmt.Fprintln(w, "  rate-limit headers: none")
		}
		if s := c.Shape; s != nil {
			fmt.Fprintf(w, "  ids (%s): %d of %d records have one", s.IDField, s.Records-s.IDsMissing, s.Records)
			if len(s.DuplicateIDs) == 0 {
				fmt.Fprint(w, ", unique on every page")
			}
			fmt.Fprintln(w)
			for _, d := range s.Types {
				fmt.Fprintf(w, "  type: %s\n", d)
			}
			if len(s.Absent) > 0 {
				fmt.Fprintf(w, "  absent (mapped by syncd, in no record): %s\n", strings.Join(s.Absent, ", "))
			}
			if len(s.Unknown) > 0 {
				keys := sortedKeys(s.Unknown)
				more := ""
				if len(keys) > 12 {
					more = fmt.Sprintf(" and %d more", len(keys)-12)
				}
				fmt.Fprintf(w, "  unknown (not read by syncd, kept in raw): %s%s\n", strings.Join(first(keys, 12), ", "), more)
			}
		}
		for _, n := range c.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		for _, p := range c.Problems {
			fmt.Fprintf(w, "  %s: %s\n", problemLabel(c.Verdict), p)
		}
	}

	if len(r.Writes) > 0 {
		fmt.Fprint(w, "\nWrites (checked without sending any):\n")
		for _, wc := range r.Writes {
			fmt.Fprintf(w, "  %s %s (%s): %s", wc.API, wc.Call, wc.Kind, verdictText(wc.Verdict))
			if wc.Detail != "" {
				fmt.Fprintf(w, " — %s", wc.Detail)
			}
			fmt.Fprintln(w)
			for _, p := range wc.Problems {
				fmt.Fprintf(w, "    %s: %s\n", problemLabel(wc.Verdict), p)
			}
		}
	} else {
		fmt.Fprint(w, "\nWrites: the tenant has no push job, so there is none to check.\n")
	}

	if r.SavedTo != "" {
		fmt.Fprintf(w, "\nSaved %d responses, masked, to %s (described in %s).\n", r.Saved, r.SavedTo, ManifestFile)
	}
	warnings := 0
	for _, c := range r.Calls {
		if c.Verdict == Warn {
			warnings++
		}
	}
	for _, wc := range r.Writes {
		if wc.Verdict == Warn {
			warnings++
		}
	}
	if r.OK {
		fmt.Fprintf(w, "\nOK: every call the configured jobs need works (%d with warnings).\n", warnings)
		return
	}
	fmt.Fprintf(w, "\nFAILED: %d of the calls and checks the configured jobs need do not work:\n", len(r.Failures))
	for _, f := range r.Failures {
		fmt.Fprintf(w, "  - %s\n", f)
	}
}

func verdictText(v Verdict) string {
	if v == Fail {
		return "FAIL"
	}
	return string(v)
}

func problemLabel(v Verdict) string {
	if v == Fail {
		return "problem"
	}
	return "warning"
}
