// Package kubeconfig reads, merges, extracts and writes kubeconfig files.
//
// Files are held as client-go's clientcmd/api/v1 Config, the on-disk schema,
// rather than the internal map-based type: it keeps the order of entries and
// the raw bytes of extensions, so a rewrite leaves everything a command did
// not mean to change as it was. A list of files (the KUBECONFIG variable) is
// a Set, read with kubectl's rules: for each name the first file that defines
// it wins, a change goes to the file that holds the entry, and new entries go
// to the first file.
//
// The package has no command-line or network code.
package kubeconfig
