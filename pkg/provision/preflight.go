package provision

import (
	"context"
	"fmt"
	"io"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	kcfg "github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Preflight is what must hold before the first AWS write for a new EKS
// tenant, so that a cluster is never made for a tenant that then cannot
// be finished: 'kubectl tenant create --region' and 'kubectl tenant
// apply' of a tenant not yet recorded both check it.
type Preflight struct {
	// Kubeconfig is the KUBECONFIG list the tenant's context goes to.
	Kubeconfig []string
	// Registry must take the tenant's record.
	Registry tenant.Registry
}

// Context checks that the kubeconfig context of the tenant's name is
// free, or the plugin's for this tenant. It only reads the kubeconfig.
func (p Preflight) Context(ctx context.Context, t *tenant.Tenant) error {
	kc, err := kcfg.EKSContext(t)
	if err != nil {
		return err
	}
	if _, err := kcfg.AddOwnedContexts(ctx, p.Kubeconfig, kc, true); err != nil {
		return fmt.Errorf("%w; nothing was created", err)
	}
	return nil
}

// Local is Context, and the registry would take the record (a cluster
// registry is asked with a server dry run). It changes nothing.
func (p Preflight) Local(ctx context.Context, t *tenant.Tenant) error {
	if err := p.Context(ctx, t); err != nil {
		return err
	}
	if err := p.Registry.CheckWrite(ctx, t); err != nil {
		return fmt.Errorf("%w; nothing was created", err)
	}
	return nil
}

// Check is Local, then who the tenant's role chain acts as, by STS
// (logged to log): a chain that cannot be assumed fails here, not after
// the first write.
func (p Preflight) Check(ctx context.Context, cfg aws.Config, t *tenant.Tenant, log io.Writer) error {
	if err := p.Local(ctx, t); err != nil {
		return err
	}
	caller, err := aws.CallerARN(ctx, cfg)
	if err != nil {
		return fmt.Errorf("acting in tenant %q's account: %w", t.Name, err)
	}
	fmt.Fprintf(log, "acting as %s\n", caller)
	return nil
}
