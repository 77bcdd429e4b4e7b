//go:build !unix

package main

import "os"

// maxRSS is not measured off Unix: the bench runs on Linux, and elsewhere
// it only builds.
func maxRSS(*os.ProcessState) int64 { return 0 }
