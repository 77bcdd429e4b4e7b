package aws

import (
	"errors"
	"fmt"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// ErrNotOwned is wrapped by Owned's refusals: the resource is not the
// plugin's to delete for this tenant.
var ErrNotOwned = errors.New("not kubectl-tenant's to delete for this tenant")

// Claim is what a tenant's record says of one AWS resource: the tenant,
// and whether the plugin made the resource for it (a created cluster, a
// created role; an adopted one is never made for the adopter).
type Claim struct {
	Tenant string
	Made   bool
}

// Owned decides whether the plugin may delete a resource for a tenant.
// Both sides must agree: the tags, read from the resource just before the
// destructive call, carry the plugin's managed-by tag and this tenant's
// tag; and the record says the plugin made it for this tenant. what names
// the resource in the refusal ("EKS cluster acme"). Every delete of a
// cluster, node group, IAM role or access entry passes here.
func Owned(what string, tags map[string]string, c Claim) error {
	switch owner := tenantOf(tags); {
	case !createdByPlugin(tags):
		return fmt.Errorf("%s was not created by kubectl-tenant (no %s=%s tag): %w", what, tenant.LabelManagedBy, tenant.ManagedBy, ErrNotOwned)
	case owner != c.Tenant:
		return fmt.Errorf("%s was created by kubectl-tenant for tenant %q, not %q: %w", what, owner, c.Tenant, ErrNotOwned)
	case !c.Made:
		return fmt.Errorf("%s is tagged for tenant %q, but the tenant's record says it adopted it rather than made it: %w", what, c.Tenant, ErrNotOwned)
	}
	return nil
}
