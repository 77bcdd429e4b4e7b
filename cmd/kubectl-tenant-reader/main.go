// Command kubectl-tenant-reader answers the everyday read commands of
// `kubectl tenant` (contexts list and extract, list without live columns,
// get, shell completion) without the full command's start, and hands
// every other command line to kubectl-tenant-engine. The front starts it
// for those verbs; see pkg/reader.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/handoff"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/reader"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	served, err := reader.Serve(ctx, os.Args[1:], os.Stdout, os.Stderr)
	interrupted := ctx.Err()
	stop()
	if err == nil && !served && interrupted != nil {
		err = interrupted // Ctrl-C: the command stops here, not in the engine
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	if served {
		return
	}
	err = handoff.To(handoff.Engine, os.Args[1:])
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(1)
}
