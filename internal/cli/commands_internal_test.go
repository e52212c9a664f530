package cli

import (
	"slices"
	"strings"
	"testing"
)

// The command table and the usage text list the same commands in the same order.
func TestUsageListsEveryCommand(t *testing.T) {
	_, list, ok := strings.Cut(usage, "Commands:\n")
	if !ok {
		t.Fatal("usage has no Commands: section")
	}
	list, _, _ = strings.Cut(list, "\n\n")
	var listed []string
	for _, line := range strings.Split(list, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			listed = append(listed, f[0])
		}
	}
	var table []string
	for _, c := range commands {
		table = append(table, c.name)
	}
	if !slices.Equal(listed, table) {
		t.Errorf("usage lists %v, the command table has %v", listed, table)
	}
}
