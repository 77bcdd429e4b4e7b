//go:build darwin

package answercache

import (
	"fmt"
	"io/fs"
	"syscall"
)

// identity is what else tells one state of a file from another: its
// device and inode (a file renamed over it is another), and its change
// time (which copying a file's times back does not reset).
func identity(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d %d %d", uint64(st.Dev), uint64(st.Ino), st.Ctimespec.Nano())
}
