// Package procid identifies an operating-system process well enough to tell, later and from
// another process, whether it is still running: host name and kernel boot id say which machine
// (and which boot of it), pid and start time say which process on it. A pid alone is not enough,
// since pids are reused; a pid whose start time differs is another process.
//
// Liveness can only be checked for processes of this machine and boot, through /proc (Linux). On
// other systems, or for another machine, Alive says it does not know.
package procid

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
)

// ID identifies one process. Its String form is what sync_runs.process stores.
type ID struct {
	// Host is the host name (a container's or pod's own name in a container).
	Host string
	// Boot is the kernel's boot id (/proc/sys/kernel/random/boot_id), or, where there is none, a
	// random nonce unique to this process, which no other process can match.
	Boot string
	PID  int
	// Start is the process start time in clock ticks since boot (field 22 of /proc/PID/stat);
	// 0 where unknown.
	Start uint64
}

// String is "host/boot/pid/start".
func (id ID) String() string {
	return fmt.Sprintf("%s/%s/%d/%d", id.Host, id.Boot, id.PID, id.Start)
}

// Parse reads the String form. Host names never contain '/', but the fields are taken from the
// right anyway.
func Parse(s string) (ID, bool) {
	parts := strings.Split(s, "/")
	if len(parts) < 4 {
		return ID{}, false
	}
	n := len(parts)
	pid, err1 := strconv.Atoi(parts[n-2])
	start, err2 := strconv.ParseUint(parts[n-1], 10, 64)
	if err1 != nil || err2 != nil || pid <= 0 || parts[n-3] == "" {
		return ID{}, false
	}
	return ID{Host: strings.Join(parts[:n-3], "/"), Boot: parts[n-3], PID: pid, Start: start}, true
}

var (
	selfOnce sync.Once
	self     ID
)

// Self returns this process's ID (computed once).
func Self() ID {
	selfOnce.Do(func() {
		host, _ := os.Hostname()
		self = ID{Host: host, Boot: bootID(), PID: os.Getpid()}
		if start, _, err := stat(self.PID); err == nil {
			self.Start = start
		}
	})
	return self
}

// Of returns the ID of another process of this machine (tests; Linux only).
func Of(pid int) (ID, error) {
	start, _, err := stat(pid)
	if err != nil {
		return ID{}, err
	}
	s := Self()
	return ID{Host: s.Host, Boot: s.Boot, PID: pid, Start: start}, nil
}

// Alive reports whether the process id names is still running. known is false when that cannot
// be told from here: another host or boot, or no /proc.
func Alive(id ID) (alive, known bool) {
	s := Self()
	if id == s {
		return true, true
	}
	if id.Host != s.Host || id.Boot != s.Boot || s.Start == 0 {
		return false, false
	}
	start, state, err := stat(id.PID)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, true
	case err != nil:
		return false, false
	}
	// A zombie has exited; only its exit status is left for its parent to collect.
	return start == id.Start && state != 'Z' && state != 'X', true
}

func bootID() string {
	if b, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" && !strings.Contains(id, "/") {
			return id
		}
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "nonce-" + hex.EncodeToString(b)
}

// stat reads a process's start time and state from /proc/PID/stat. The command name (field 2)
// is in parentheses and may itself contain spaces and parentheses, so fields are counted from
// the last ')'.
func stat(pid int) (start uint64, state byte, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state), so field 22 (starttime) is f[19].
	if len(f) < 20 || len(f[0]) != 1 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(f)+2)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat: start time: %w", pid, err)
	}
	return start, f[0][0], nil
}
