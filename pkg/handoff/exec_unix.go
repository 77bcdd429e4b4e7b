//go:build !windows

package handoff

import (
	"os"
	"syscall"
)

const exeSuffix = ""

// run replaces this process with bin: it gets kubectl's streams, signals
// and exit code with no process in between. It returns only when the exec
// fails.
func run(bin string, args []string) (int, error) {
	return 1, syscall.Exec(bin, append([]string{bin}, args...), os.Environ())
}
