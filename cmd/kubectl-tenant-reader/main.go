// Command kubectl-tenant-reader answers the everyday read commands of
// `kubectl tenant` (contexts list and extract, list without live columns,
// get, shell completion) and runs contexts merge, without the full
// command's start and memory, and hands every other command line to
// kubectl-tenant-engine. The front starts it for those verbs, with the
// key under which to keep the answer for the front to print again
// (pkg/answercache); see pkg/reader.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/answercache"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/handoff"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/reader"
)

func main() {
	key := os.Getenv(answercache.KeyEnv)
	os.Unsetenv(answercache.KeyEnv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	answer, served := reader.Make(ctx, os.Args[1:])
	interrupted := ctx.Err()
	stop()
	var err error
	switch {
	case served:
		if err = answer.Write(os.Stdout, os.Stderr); err == nil {
			err = answer.Err
		}
	case interrupted != nil:
		err = interrupted // Ctrl-C: the command stops here, not in the engine
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	if served {
		if key != "" && answer.Keep {
			answercache.Keep(key, answer.Inputs, answer.Stdout, answer.Stderr)
		}
		return
	}
	err = handoff.To(handoff.Engine, os.Args[1:])
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(1)
}
