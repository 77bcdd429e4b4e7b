package testenv

import "syscall"

// dieWithParent makes a started process die with the test binary, even
// if that is killed.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
