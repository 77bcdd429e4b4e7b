// Command kubectl-tenant-signer signs an IAM token for kubectl-tenant's
// front when the cache cannot answer. It links the AWS SDK's credential
// chain and STS, and nothing of Kubernetes but apimachinery's field
// errors: no CLI library, no client-go, no API types (make lint refuses
// them), so a cold token starts in a quarter of the full command's time.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/identity"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/fieldflag"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/handoff"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/token"
)

func main() {
	handoff.RestoreGC()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 || os.Args[1] != "token" {
		return fmt.Errorf("usage: kubectl-tenant token TENANT --region REGION [--cluster NAME] [--role-arn ARN]... [--external-id ID] [--profile P] [--raw] [--no-cache]")
	}
	r, ok := token.ParseIAMArgs(os.Args[2:])
	if !ok {
		return fmt.Errorf("not an IAM token request; see 'kubectl tenant token --help'")
	}
	apiVersion, err := token.RequestedAPIVersion(os.Getenv(token.ExecInfoEnv))
	if err != nil {
		return err
	}
	e, err := identity.IAMToken(ctx, r)
	if err != nil {
		// Every field came from the command line.
		return fieldflag.AWSIdentity.Rename(err, func(string) bool { return true })
	}
	return token.Print(os.Stdout, apiVersion, e, r.Raw)
}
