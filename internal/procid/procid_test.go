package procid

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
)

func TestParseRoundTrip(t *testing.T) {
	for _, id := range []ID{
		{Host: "node-1", Boot: "5160af3d-ed75-470f-9076-41854e9018a4", PID: 42, Start: 86284},
		{Host: "", Boot: "nonce-00ff", PID: 1, Start: 0},
	} {
		got, ok := Parse(id.String())
		if !ok || got != id {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", id.String(), got, ok, id)
		}
	}
	for _, bad := range []string{"", "node-1", "node-1/b/x/1", "node-1/b/1/x", "node-1//1/1", "a/b/0/1"} {
		if _, ok := Parse(bad); ok {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestAlive(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("liveness needs /proc")
	}
	self := Self()
	if self.PID != os.Getpid() || self.Start == 0 || self.Host == "" {
		t.Fatalf("Self() = %+v", self)
	}
	if alive, known := Alive(self); !alive || !known {
		t.Errorf("Alive(self) = %v, %v", alive, known)
	}

	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child, err := Of(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if alive, known := Alive(child); !alive || !known {
		t.Errorf("running child: Alive = %v, %v", alive, known)
	}
	// The same pid with another start time is another process.
	reused := child
	reused.Start++
	if alive, known := Alive(reused); alive || !known {
		t.Errorf("reused pid: Alive = %v, %v", alive, known)
	}
	other := child
	other.Host += "-elsewhere"
	if _, known := Alive(other); known {
		t.Error("a process of another host is reported as known")
	}

	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if alive, known := Alive(child); alive || !known {
		t.Errorf("dead child: Alive = %v, %v", alive, known)
	}
}
