// Command kubectl-tenant is the kubectl plugin `kubectl tenant`: a lean
// front. kubectl runs it before requests as the exec plugin of generated
// kubeconfigs, so it answers a token from the cache with the standard
// library alone. An IAM token the cache cannot answer it hands to
// kubectl-tenant-signer. The everyday commands (contexts, list, get,
// shell completion) it hands to kubectl-tenant-reader, which answers them
// without the full command's start, unless it prints the reader's last
// answer again because nothing that answer was made from has changed.
// Anything else goes to kubectl-tenant-engine, the full command. It
// replaces itself with them (exec), finding them beside itself (a krew
// package, bin/) or in ../libexec/kubectl-tenant/ (make install). On
// Windows, which has no exec, it runs them as a child instead.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/answercache"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/handoff"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/token"
)

// completionHelper is the name kubectl (1.26 and later) looks for on PATH
// to complete a plugin's arguments.
const completionHelper = "kubectl_complete-tenant"

func main() {
	args := os.Args[1:]
	if strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe") == completionHelper {
		args = append([]string{"__complete"}, args...)
	}
	next := handoff.Engine
	switch {
	case len(args) > 0 && args[0] == "token":
		if token.ServeWarm(args[1:], os.Stdout) {
			return
		}
		if _, ok := token.ParseIAMArgs(args[1:]); ok {
			next = handoff.Signer
		}
	case forReader(args):
		next = handoff.Reader
		if key, ok := answerKey(args); ok {
			printed, err := answercache.Print(key, os.Stdout, os.Stderr)
			if err != nil {
				fmt.Fprintln(os.Stderr, "error:", err)
				os.Exit(1)
			}
			if printed {
				return
			}
			os.Setenv(answercache.KeyEnv, key)
		}
	}
	err := handoff.To(next, args)
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(1)
}

// answerKey is the key of the reader's answer to args, made by this
// front and the reader beside it.
func answerKey(args []string) (string, bool) {
	self, err := os.Executable()
	if err != nil {
		return "", false
	}
	reader, err := handoff.Find(handoff.Reader)
	if err != nil {
		return "", false
	}
	key, err := answercache.Key(args, self, reader)
	return key, err == nil
}

// readerVerbs are the commands kubectl-tenant-reader may answer.
var readerVerbs = map[string]bool{
	"contexts": true, "list": true, "ls": true, "get": true,
	"__complete": true, "__completeNoDesc": true,
}

// forReader reports whether args may be a command the reader answers:
// their verb, after any flags and the values they may take, is one of
// readerVerbs. The reader parses them for real and hands anything it
// does not answer to the engine, so a guess here costs time, not
// correctness.
func forReader(args []string) bool {
	afterFlag := false
	for _, a := range args {
		switch {
		case readerVerbs[a]:
			return true
		case strings.HasPrefix(a, "-"):
			afterFlag = !strings.Contains(a, "=")
		case afterFlag:
			afterFlag = false // the flag's value, perhaps
		default:
			return false // the verb, and not one of them
		}
	}
	return false
}
