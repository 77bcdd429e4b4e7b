// Command kubectl-tenant-engine is the whole of `kubectl tenant`. The
// kubectl-tenant front starts it for everything but a warm token, so that
// the exec plugin's hot path does not pay for this binary's packages.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/handoff"
)

// completionHelper is the name kubectl (1.26 and later) looks for on PATH
// to complete a plugin's arguments; it calls it with the words typed so far.
const completionHelper = "kubectl_complete-tenant"

func main() {
	handoff.RestoreGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	args := os.Args[1:]
	if filepath.Base(os.Args[0]) == completionHelper {
		args = append([]string{cobra.ShellCompRequestCmd}, args...)
	}
	root := cmd.NewCmdTenant(genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
}
