package sync

import (
	"testing"

	"github.com/syncd-dev/syncd/internal/tenants"
)

// The job table and the list of jobs agree: every job has an implementation, and nothing runs
// under a name the configuration does not know.
func TestEveryJobHasAnImplementation(t *testing.T) {
	for _, job := range tenants.AllJobs {
		if jobs[job] == nil {
			t.Errorf("job %s has no entry in the job table", job)
		}
	}
	for job := range jobs {
		if !job.Known() {
			t.Errorf("the job table runs %q, which is not in tenants.AllJobs", job)
		}
	}
	if _, err := (&Runner{}).jobFunc("nosuchjob"); err == nil {
		t.Error("an unknown job was given an implementation")
	}
}
