package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"

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
	// Binding, for a workload role, is the one ServiceAccount binding
	// (workload.Binding.ID) the role must be tagged for.
	Binding string
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
	case c.Binding != "" && tags[WorkloadTag] != c.Binding:
		return fmt.Errorf("%s is not the workload role of %s (its %s tag: %q): %w", what, c.Binding, WorkloadTag, tags[WorkloadTag], ErrNotOwned)
	}
	return nil
}

// CheckRecordedPlace refuses to act on recorded resources (EKS cluster and
// IAM role ARNs) from another account or region than cfg's: a record
// whose region, roles or source credentials changed would otherwise find
// its cluster "gone" and delete roles of the same name elsewhere. Empty
// ARNs (records made before ARNs were kept) are skipped.
func CheckRecordedPlace(ctx context.Context, cfg awssdk.Config, arns ...string) error {
	caller, err := CallerARN(ctx, cfg)
	if err != nil {
		return err
	}
	account := arnField(caller, 4)
	for _, a := range arns {
		if a == "" {
			continue
		}
		if got := arnField(a, 4); got != "" && got != account {
			return fmt.Errorf("%s is recorded in account %s, but the tenant's identity now acts in account %s (as %s): check spec.aws and your AWS credentials", a, got, account, caller)
		}
		if region := arnField(a, 3); region != "" && region != cfg.Region {
			return fmt.Errorf("%s is recorded in region %s, but the tenant's identity now acts in %s: check spec.aws.region", a, region, cfg.Region)
		}
	}
	return nil
}

// arnField is field i of an ARN (arn:partition:service:region:account:...).
func arnField(arn string, i int) string {
	fields := strings.SplitN(arn, ":", 6)
	if len(fields) < 6 {
		return ""
	}
	return fields[i]
}
