//go:build !windows

package main

import (
	"os"
	"syscall"
)

// run replaces this process with bin: the engine or signer gets kubectl's
// streams, signals and exit code with no process in between. It returns
// only when the exec fails.
func run(bin string, args []string) (int, error) {
	return 1, syscall.Exec(bin, append([]string{bin}, args...), os.Environ())
}
