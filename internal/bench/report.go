package bench

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/models"
)

// Targets from the benchmark issue.
const (
	TargetIngestRatio    = 0.5
	TargetMemoryRatio    = 1.5
	TargetRateLimitRatio = 0.9
)

// Markdown renders the report as docs/BENCHMARKS.md.
func (r *Report) Markdown() []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Benchmarks\n\n")
	p("Written by the benchmark harness (`internal/bench`, driver `cmd/bench`); do not edit by hand, run it again.\n\n")
	p("- **Command:** `%s`\n", r.Command)
	p("- **Date:** %s (UTC); the run took %s\n", r.Started.Format("2006-01-02 15:04"), r.Took.Round(time.Second))
	p("- **Size:** %s\n", r.Mode)
	p("- **Machine:** %s, %d cores, %s RAM, %s (Linux %s); %s; PostgreSQL %s (the machine's own server, default settings)\n",
		r.Machine.CPU, r.Machine.Cores, r.Machine.RAM, r.Machine.OS, r.Machine.Kernel, r.Machine.Go, r.Postgres)
	p("- **Load:** the machine is shared with other engineers' test runs, so every figure below is noisy; each section gives the 1-minute load average next to its runs, and ratios are taken between the two sides of the same repetition.\n\n")

	p("## Summary\n\n")
	p("| # | Figure | Result | Target | Met |\n|---|---|---|---|---|\n")
	if in := r.Ingest; in != nil {
		m := in.Median()
		p("| 1 | Ingest throughput, %d tenants × (%s units + %s prospects + ~%s events), median of %d | syncd **%s rows/s** vs CopyFrom reference %s rows/s: ratio **%.2f** | ≥ %.1f | %s |\n",
			in.Config.Tenants, count(in.Config.Units), count(in.Config.Prospects), count(in.Config.Events), len(in.Reps),
			count(int(m.SyncRate)), count(int(m.FloorRate)), m.Ratio, TargetIngestRatio, met(m.Ratio >= TargetIngestRatio, m.Ratio/TargetIngestRatio-1))
		p("| 2 | Write amplification of an unchanged re-sync (%s rows) | **%d** rows written (n_tup_ins + n_tup_upd, worst of %d); re-sync takes **%.2f×** the first sync's time (%s vs %s) | 0 rows | %s |\n",
			count(int(m.Rows)), m.ResyncWrites, len(in.Reps), m.ResyncRatio, dur(m.Resync), dur(m.Sync),
			met(m.ResyncWrites == 0, math.NaN()))
		changed := m.Rows*int64(len(in.Reps)) + m.Changed // first syncs' inserts and the later changes
		perChanged := float64(m.FirstHistory+m.ChangedHistory) / float64(changed)
		p("| 2 | Change history: rows appended to `record_changes` per changed and per unchanged record (all %d repetitions) | **%.3f** per changed record (%s rows for %s: every insert of the first syncs, and %s upstream changes pulled afterwards); **%g** per unchanged record (%s rows for the %s records of the unchanged re-syncs) | 1 and 0 | %s |\n",
			len(in.Reps), perChanged, count(int(m.FirstHistory+m.ChangedHistory)), count(int(changed)), count(int(m.Changed)),
			float64(m.ResyncHistory)/float64(m.Rows*int64(len(in.Reps))), count(int(m.ResyncHistory)), count(int(m.Rows*int64(len(in.Reps)))),
			met(m.FirstHistory+m.ChangedHistory == changed && m.ChangedCounted == m.Changed && m.ResyncHistory == 0, math.NaN()))
	}
	if mem := r.Memory; mem != nil && len(mem.Small) > 0 && len(mem.Large) > 0 {
		p("| 3 | Peak RSS of `syncd sync`, %s rows vs %s rows (fake in another process) | **%s** vs **%s**: ratio **%.2f** | ≤ %.1f | %s |\n",
			count(int(mem.Large[0].Rows)), count(int(mem.Small[0].Rows)), mib(MedianRSS(mem.Large)), mib(MedianRSS(mem.Small)),
			mem.Ratio(), TargetMemoryRatio, met(mem.Ratio() <= TargetMemoryRatio, mem.Ratio()/TargetMemoryRatio-1))
	}
	if rl := r.RateLimit; rl != nil {
		for _, run := range rl.Runs {
			ok := run.Ratio >= TargetRateLimitRatio && run.Limited == 0
			p("| 4 | Rate-limit efficiency at %d requests per %s (%.1f/s) | achieved **%.3f** of R (%.2f/s over %d requests), **%d** answered 429 | ≥ %.1f, 0 × 429 | %s |\n",
				run.Case.Requests, run.Case.Per, run.Case.Rate(), run.Ratio, run.Achieved, run.Requests, run.Limited,
				TargetRateLimitRatio, met(ok, math.NaN()))
		}
	}
	r.credentialSummary(p)
	if s := r.Scale; s != nil {
		p("| 5 | Scale: %s tenants on `@every %s`, stub runner | start delay p99 **%s** (p50 %s, max %s); RSS idle **%s** (peak %s); idle CPU **%.3f%%** of one core (%s of CPU per minute) | p99 < %s, RSS < %s | %s |\n",
			count(s.Config.Tenants), every(s.Config.Every), s.P99.Round(time.Microsecond), s.P50.Round(time.Microsecond), s.Max.Round(time.Microsecond),
			mib(s.RSS), mib(s.PeakRSS), s.IdleCPU*100, s.IdleCPUPerMinute.Round(time.Microsecond), TargetScaleP99, mib(TargetScaleRSS), met(s.Met(), math.NaN()))
	}
	if pu := r.Push; pu != nil {
		ch, un := pu.Cycle(PushChanged), pu.Cycle(PushUnchanged)
		p("| 6 | Push economy | **%.3f** requests per changed value (%s requests for %s changes); **%d** requests for an unchanged mirror | 1.0 and 0 | %s |\n",
			ch.PerChange, count(ch.Requests), count(total(ch.Planned)), un.Requests, met(ch.PerChange == 1 && un.Requests == 0 && total(ch.Planned) == total(ch.Made), math.NaN()))
		useful, requests := 0, 0
		for _, c := range pu.Cycles {
			useful, requests = useful+c.UsefulScores, requests+c.ScoreRequests
		}
		p("| 6 | Push economy: customer scores that change a score | useful score requests ÷ score requests **%.3f** (%s of %s, every cycle); **%d** scores on a client Funnel picked among several | ≥ %.2f and 0 | %s |\n",
			pu.UsefulRatio(), count(useful), count(requests), pu.Ambiguous(), TargetUsefulScores,
			met(pu.UsefulRatio() >= TargetUsefulScores && pu.Ambiguous() == 0, math.NaN()))
	}
	p("\n")

	if in := r.Ingest; in != nil {
		p("## 1–2. Ingest throughput and write amplification\n\n")
		p("%d tenants, each with its own fake RentEngine over real HTTP (in the harness process, no added latency, no rate limit), in all %s units, %s prospects and %s leasing events = **%s rows**. "+
			"syncd runs each tenant's `rentengine` job through one `sync.Runner`, %d jobs at a time (the daemon's default `limits.max_concurrent_jobs`) on a pool of %d connections (the default `database.max_open_conns`), into a fresh, migrated Postgres database. "+
			"The reference builds exactly the rows a pull stores (same decoding, raw JSON and hash, via `mirror.RentEngineRow`) before its clock starts, then writes them with pgx `CopyFrom`, one COPY per tenant and table, with the same concurrency and pool size, into another freshly migrated database (identical tables and indexes). "+
			"The two sides alternate which goes first.\n\n",
			in.Config.Tenants, count(int(in.Units)), count(int(in.Prospects)), count(int(in.Events)), count(int(in.Units+in.Prospects+in.Events)),
			in.Config.Concurrency, in.Config.PoolSize)
		p("After the first sync the harness compares %s with the fake row by row (typed columns and raw JSON, `mirrortest.RentEngineDiff`), closes the pool (so the backends exit and flush their statistics), reads `pg_stat_user_tables`, runs `VACUUM ANALYZE` on the mirror tables and `record_changes` (autovacuum would have visited them in the 15 minutes between two scheduled runs), then re-syncs every tenant unchanged and reads the counters again.\n\n", plural(in.MirrorChecked, "tenant's mirror", "tenants' mirrors"))
		p("Every sync also writes the change history, `record_changes`, in the same statements (see README, *Change history*): the first sync's times include one history row per record. *History* counts the rows appended to `record_changes`: by the first sync, by the unchanged re-sync, and, after the re-sync, by an untimed third sync once the harness has changed records in every tenant's fake (the rent of 1%% of the units, the status of 1%% of the prospects, 0.1%% of the units deleted and as many inserted): rows appended / records changed, next to what the runs counted as inserted, updated and deleted.\n\n")
		p("CPU is user+system time: *harness* is this process (syncd's pull with the in-process fakes serving it, or the reference's pgx client), *Postgres* the backends serving that side's database (shared background processes such as the WAL writer are not counted).\n\n")
		p("| Rep | Order | Reference | syncd | Ratio | CPU reference (harness + Postgres) | CPU syncd (harness + Postgres) | Machine busy (reference / syncd) | First sync writes | Re-sync | Re-sync / first | Re-sync writes | History: first sync / re-sync / after changes (counted by the runs) | Load |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for i, rep := range in.Reps {
			p("| %d | %s | %s rows/s (%s) | %s rows/s (%s) | %.2f | %s + %s | %s + %s | %.0f%% / %.0f%% | %s | %s | %.2f | %d | %s / %d / %s for %s changed (%s) | %s |\n", i+1, rep.Order,
				count(int(rep.FloorRate)), dur(rep.Floor), count(int(rep.SyncRate)), dur(rep.Sync),
				rep.Ratio, secs(rep.FloorCPU.Harness), secs(rep.FloorCPU.Postgres), secs(rep.SyncCPU.Harness), secs(rep.SyncCPU.Postgres),
				rep.FloorCPU.Busy*100, rep.SyncCPU.Busy*100,
				count(int(rep.FirstWrites)), dur(rep.Resync), rep.ResyncRatio, rep.ResyncWrites,
				count(int(rep.FirstHistory)), rep.ResyncHistory, count(int(rep.ChangedHistory)), count(int(rep.Changed)), count(int(rep.ChangedCounted)), rep.Load)
		}
		steal := 0.0
		for _, rep := range in.Reps {
			steal = max(steal, rep.FloorCPU.Steal, rep.SyncCPU.Steal)
		}
		p("\n*Machine busy* is the share of both cores' time used by any process during the phase (from /proc/stat; hypervisor steal at most %.1f%%).\n", steal*100)
		p("\nLoad average before the scenario %s, after %s.\n\n", in.LoadBefore, in.LoadAfter)
		m := in.Median()
		perK := func(c func(IngestRep) CPU) (h, pg float64) {
			var hs, ps []float64
			for _, rep := range in.Reps {
				hs = append(hs, c(rep).Harness.Seconds()*1e6/float64(rep.Rows))
				ps = append(ps, c(rep).Postgres.Seconds()*1e6/float64(rep.Rows))
			}
			return median(hs), median(ps)
		}
		fh, fp := perK(func(r IngestRep) CPU { return r.FloorCPU })
		sh, sp := perK(func(r IngestRep) CPU { return r.SyncCPU })
		var fb, sb []float64
		for _, rep := range in.Reps {
			fb, sb = append(fb, rep.FloorCPU.Busy), append(sb, rep.SyncCPU.Busy)
		}
		p("Per 1,000 rows (medians): the reference used %.0f ms of CPU (%.0f client, %.0f Postgres), syncd %.0f ms (%.0f in its process including the fakes, %.0f Postgres). "+
			"syncd kept the machine %.0f%% busy, the reference %.0f%%, so the throughput ratio is about the inverse ratio of CPU per row times the ratio of those shares (%.2f × %.2f = %.2f).",
			fh+fp, fh, fp, sh+sp, sh, sp, median(sb)*100, median(fb)*100, (fh+fp)/(sh+sp), median(sb)/median(fb), (fh+fp)/(sh+sp)*median(sb)/median(fb))
		if m.Ratio < TargetIngestRatio {
			p(" **The ratio misses the %.1f target by %.0f%%** (%.2f): syncd needs %.2f× the reference's CPU per row; see *Where syncd's time goes against the write floor* below.",
				TargetIngestRatio, (1-m.Ratio/TargetIngestRatio)*100, m.Ratio, (sh+sp)/(fh+fp))
		}
		p("\n\n")
	}
	if mem := r.Memory; mem != nil {
		p("## 3. Memory\n\n")
		p("`cmd/syncd` and `cmd/fakeupstream` are built, the fake runs as its own process (so its memory is not counted), and `syncd sync --tenant memory --job rentengine` runs as a child process against a fresh Postgres database (migrated beforehand by `syncd migrate`). Peak RSS is the child's `VmHWM` (the kernel's resident-set high-water mark) from `/proc/PID/status`, read every 5 ms while it runs; the child's `getrusage` `ru_maxrss` is not used because Go starts children with vfork and the kernel carries the parent's high-water mark into the child's at exec, so it reported the harness's own memory.\n\n")
		p("| Rows | Peak RSS | Sync time | Rows/s | Load |\n|---|---|---|---|---|\n")
		for _, runs := range [][]MemoryRun{mem.Small, mem.Large} {
			for _, run := range runs {
				p("| %s | %s | %s | %s | %s |\n", count(int(run.Rows)), mib(run.PeakRSS), dur(run.Took),
					count(int(float64(run.Rows)/run.Took.Seconds())), run.Load)
			}
		}
		p("\n")
	}
	if rl := r.RateLimit; rl != nil {
		p("## 4. Rate-limit efficiency\n\n")
		p("One tenant whose `rentengine.rate_limit` is R requests per period with burst 1 (the built-in default's burst) pulls from a fake whose server-side limiter (a sliding-window log per token, `fakeapi.RateLimiter`) answers 429 to any request beyond R in the preceding period. The achieved rate is (requests − 1) ÷ the time between the first and the last request's arrival at the fake.\n\n")
		p("| Limit | Requests | Span | Achieved | ÷ R | 429s | Client retries | Load |\n|---|---|---|---|---|---|---|---|\n")
		for _, run := range rl.Runs {
			p("| %d per %s | %d | %s | %.3f/s | %.3f | %d | %d | %s |\n", run.Case.Requests, run.Case.Per, run.Requests,
				run.Span.Round(time.Millisecond), run.Achieved, run.Ratio, run.Limited, run.Retries, run.Load)
		}
		p("\n")
	}
	r.credentialSection(p)
	if s := r.Scale; s != nil {
		p("## 5. Scale\n\n")
		p("%s tenants, each with a `rentengine` job on `@every %s` and the default start jitter bound (%s), on one `scheduler.Scheduler` (robfig/cron, %d concurrent runs) with a **stub runner that returns at once**, so the figures are the scheduler's own. "+
			"Idle CPU is the process's user+system CPU time (getrusage) over %s of windows in which no run was due (before the first tick, and from %s after a tick until just before the next). "+
			"Start delay is what the scheduler reports through `Observer.StartDelay`: how late a run started after its scheduled time plus its planned jitter, over %s runs (%d ticks).\n\n",
			count(s.Config.Tenants), every(s.Config.Every), s.Config.MaxJitter, s.Config.MaxConcurrent, s.IdleWall.Round(time.Second),
			s.Config.MaxJitter, count(s.Samples), s.Config.Ticks)
		p("| Idle CPU | CPU per minute idle | Goroutines idle | Heap in use | RSS idle | Peak RSS | p50 delay | p99 delay | Max delay | Skipped | Load |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		p("| %.4f%% of a core | %s | %d | %s | %s | %s | %s | %s | %s | %d | %s |\n\n", s.IdleCPU*100, s.IdleCPUPerMinute.Round(time.Microsecond),
			s.Goroutines, mib(int64(s.HeapInUse)), mib(s.RSS), mib(s.PeakRSS), s.P50.Round(time.Microsecond), s.P99.Round(time.Microsecond), s.Max.Round(time.Microsecond), s.Skipped, s.Load)
	}
	if pu := r.Push; pu != nil {
		p("## 6. Push economy\n\n")
		p("One tenant with both upstreams: RentEngine with %s units and %s prospects; Funnel with %s holding every other RentEngine person as a client, some Funnel-only clients and %d renewals per community; every Funnel agent mapped to a RentEngine user. "+
			"Each cycle pulls both upstreams, computes the plan (`sync.Runner.Plan`), runs the push job and counts the write requests (POST, PUT) the fakes received. "+
			"Before the third cycle the harness changes up to %d values of each kind upstream, each on a distinct target already pushed (a prospect linked to a scored Funnel client gets a \"Lease Signed\" event, a renewal becomes signed, a client linked to exactly one prospect gets another agent).\n\n",
			count(pu.Config.Units), count(pu.Config.Prospects), plural(pu.Config.Communities, "community", "communities"), pu.Config.RenewalsPerCommunity, pu.Config.Changes)
		d := pu.Data
		p("The people are seeded the way real data looks: of %s RentEngine persons, every other one is also a Funnel client (so about half have none); among those %s clients, %d carry another e-mail than in RentEngine (matched by phone only), %d no e-mail at all (identified by phone alone), %d share their e-mail with a household member who is a client too, with a phone of their own (the phone narrows the match), and %d have a second guest card in another community with the same e-mail and phone (nothing tells the two apart). Some Funnel clients are merged duplicates, as the fake's status mix has them. "+
			"Customer scores go to the Funnel clients that RentEngine persons link to (`push.customer_scores.targets: linked`, the default). A score request is *useful* when it changed a client's score in the fake (a 2xx whose value differs from the score the client held before it); *ambiguous* when the fake had to pick the client among several that the contact details matched, as Funnel silently does.\n\n",
			count(d.Persons), count(d.Clients), d.OtherEmail, d.NoEmail, d.Households, d.SecondCards)
		p("| Cycle | Values changed upstream | Changes planned | Write requests | Requests per change | Score requests | Useful | Ambiguous |\n|---|---|---|---|---|---|---|---|\n")
		for _, c := range pu.Cycles {
			made := "—"
			if c.Made != nil {
				made = strings.TrimSpace(count(total(c.Made)) + " " + kinds(c.Made))
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %d |\n", c.Name, made, strings.TrimSpace(count(total(c.Planned))+" "+kinds(c.Planned)),
				strings.TrimSpace(count(c.Requests)+" "+kinds(c.RequestsByKind)), ratio(c.PerChange),
				count(c.ScoreRequests), count(c.UsefulScores), c.AmbiguousScores)
		}
		if len(pu.Skips) > 0 {
			p("\nPersons not scored (the last plan): %s unlinked (no Funnel client in the mirror), %s ambiguous, %s whose only client is merged or deleted, %s without a status score.\n",
				count(pu.Skips["unlinked"]), count(pu.Skips["ambiguous"]), count(pu.Skips["client_deleted"]), count(pu.Skips["no_status_score"]))
		}
		p("\n")
	}
	if pl := r.Pipeline; pl != nil {
		p("## Supporting figures: Go benchmarks of the pull's hot path\n\n")
		p("`go test -bench . ./internal/bench` (here run by the harness with `testing.Benchmark`): one goroutine, so steadier than the scenarios above. *Decode* is the client-side CPU per record of a 100-record page (split the page, decode the typed columns, hash); *upsert* the wall time per row of writing 100-row pages of leasing events over one connection: `insert` is UpsertPage with new ids, `new` UpsertNewPage (a first sync's pages), `unchanged` UpsertPage of stored rows (a re-sync's pages).\n\n")
		p("| Decode units | Decode prospects | Decode leasing events | Upsert insert | Upsert new | Upsert unchanged |\n|---|---|---|---|---|---|\n")
		p("| %s ns/record | %s ns/record | %s ns/record | %s ns/row | %s ns/row | %s ns/row |\n\n",
			count(int(pl.Decode[rentengine.Units])), count(int(pl.Decode[rentengine.Prospects])), count(int(pl.Decode[rentengine.LeasingEvents])),
			count(int(pl.Upsert[UpsertInsert])), count(int(pl.Upsert[UpsertNew])), count(int(pl.Upsert[UpsertUnchanged])))
	}
	if notes := strings.TrimSpace(Notes); notes != "" {
		p("%s\n", notes)
	}
	return b.Bytes()
}

func met(ok bool, by float64) string {
	if ok {
		return "yes"
	}
	if math.IsNaN(by) {
		return "**no**"
	}
	return fmt.Sprintf("**no** (%+.0f%%)", by*100)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// dur rounds to 0.1s, or to the millisecond below a second.
func dur(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// every writes an interval as a schedule does ("1m", not "1m0s").
func every(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func ratio(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "— (nothing planned)"
	}
	return fmt.Sprintf("%.3f", f)
}

// count formats n with thousands separators.
func count(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

func kinds(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range []string{models.PushCustomerScore, models.PushAssignment, models.PushRenewalStatus} {
		if m[k] > 0 {
			parts = append(parts, k+" "+count(m[k]))
		}
	}
	for k, v := range m {
		if k != models.PushCustomerScore && k != models.PushAssignment && k != models.PushRenewalStatus && v > 0 {
			parts = append(parts, k+" "+count(v))
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
