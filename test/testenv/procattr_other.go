//go:build !linux

package testenv

import "syscall"

// dieWithParent is nil where the kernel cannot tie a child's life to its
// parent's: the harness runs on Linux, and elsewhere it only builds (make
// lint builds every package for darwin and windows).
func dieWithParent() *syscall.SysProcAttr { return nil }
