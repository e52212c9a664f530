package bench

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CPU is the CPU time a phase used, split between this process (syncd's code, or the reference's
// client, plus the in-process fakes) and the Postgres backends serving the phase's database.
// Postgres' shared background processes (WAL writer, checkpointer) are not counted.
type CPU struct {
	Harness, Postgres time.Duration
	// Busy is the share of the machine's CPU time (all cores) that was used by anything during
	// the phase, Steal the share the hypervisor took.
	Busy, Steal float64
}

// cpuMeter measures one phase.
type cpuMeter struct {
	db      string
	self    time.Duration
	pg      map[int]time.Duration
	machine [3]int64 // busy, steal, total jiffies from /proc/stat
}

// startCPU starts measuring; dsn names the database whose backends are counted.
func startCPU(dsn string) *cpuMeter {
	name := ""
	if u, err := url.Parse(dsn); err == nil {
		name = strings.TrimPrefix(u.Path, "/")
	}
	return &cpuMeter{db: name, self: cpuTime(), pg: backendCPU(name), machine: machineJiffies()}
}

// machineJiffies reads the first line of /proc/stat: busy (user, nice, system, irq, softirq),
// steal and total jiffies over all cores.
func machineJiffies() [3]int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return [3]int64{}
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return [3]int64{}
	}
	var v [8]int64
	for i := range v {
		v[i], _ = strconv.ParseInt(f[i+1], 10, 64)
	}
	// user nice system idle iowait irq softirq steal
	busy := v[0] + v[1] + v[2] + v[5] + v[6]
	return [3]int64{busy, v[7], busy + v[3] + v[4] + v[7]}
}

// stop returns the CPU used since start. Call it while the phase's connections are still open:
// a backend that has exited can no longer be read.
func (m *cpuMeter) stop() CPU {
	c := CPU{Harness: cpuTime() - m.self}
	if end := machineJiffies(); end[2] > m.machine[2] {
		total := float64(end[2] - m.machine[2])
		c.Busy = float64(end[0]-m.machine[0]) / total
		c.Steal = float64(end[1]-m.machine[1]) / total
	}
	for pid, t := range backendCPU(m.db) {
		c.Postgres += t - m.pg[pid] // a backend started during the phase counts from zero
	}
	return c
}

// clockTick is USER_HZ, which is 100 on every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// backendCPU returns the user+system CPU of every Postgres backend connected to database db,
// found by its process title ("postgres: 15/main: user db host(port) state").
func backendCPU(db string) map[int]time.Duration {
	out := map[int]time.Duration{}
	if db == "" {
		return out
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	needle := []byte(" " + db + " ")
	for _, d := range dirs {
		cmd, err := os.ReadFile(d + "/cmdline")
		if err != nil || !bytes.HasPrefix(cmd, []byte("postgres: ")) || !bytes.Contains(cmd, needle) {
			continue
		}
		stat, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command name, which is in parentheses and may contain spaces.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		pid, _ := strconv.Atoi(filepath.Base(d))
		out[pid] = time.Duration(utime+stime) * clockTick
	}
	return out
}
