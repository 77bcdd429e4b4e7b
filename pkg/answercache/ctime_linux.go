package answercache

import (
	"syscall"
	"time"
)

// changeTime is the file's inode change time (ctime).
func changeTime(st *syscall.Stat_t) time.Time { return time.Unix(st.Ctim.Unix()) }
