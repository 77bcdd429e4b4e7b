//go:build linux || darwin

package answercache

import (
	"fmt"
	"io/fs"
	"syscall"
	"time"
)

// supported says answers are kept here: files have an inode and a change
// time.
const supported = true

// identity is what else tells one state of a file from another: its
// device and inode (a file renamed over it is another), and its change
// time (which copying a file's times back does not reset).
func identity(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d %d %d", uint64(st.Dev), uint64(st.Ino), changeTime(st).UnixNano())
}

// changed is when the file last changed: its modification time, or its
// change time when that is later (a copy that kept an old modification
// time).
func changed(fi fs.FileInfo) time.Time {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fi.ModTime()
	}
	if c := changeTime(st); c.After(fi.ModTime()) {
		return c
	}
	return fi.ModTime()
}
