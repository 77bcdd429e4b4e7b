package workloadrole

import (
	"context"
	"fmt"
	"time"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workload"
)

// AddonRole is what an add-on's controller needs from IAM: the
// ServiceAccount it runs as (EKS installs it) and the AWS managed policy
// its role gets.
type AddonRole struct {
	Namespace, ServiceAccount, PolicyARN string
}

// AddonRoles are the add-ons whose controllers assume a role, by name.
// Any other add-on is made without one.
var AddonRoles = map[string]AddonRole{
	"aws-ebs-csi-driver": {"kube-system", "ebs-csi-controller-sa", "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"},
	"aws-efs-csi-driver": {"kube-system", "efs-csi-controller-sa", "arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy"},
}

// ResolveAddon is a with its defaults for tenant t: the mechanism of
// t's cluster and, for an add-on that assumes a role, the role's name.
func ResolveAddon(t *tenant.Tenant, a tenant.Addon) tenant.Addon {
	r, ok := AddonRoles[a.Name]
	if !ok {
		return a
	}
	w := tenant.WorkloadRole{Namespace: r.Namespace, ServiceAccount: r.ServiceAccount, Via: a.Via, RoleName: a.RoleName}.Resolved(t)
	a.Via, a.RoleName = w.Via, w.RoleName
	return a
}

// addonWorkloadRole is the workload role of a (resolved), nil for an
// add-on that needs none.
func addonWorkloadRole(a tenant.Addon) *tenant.WorkloadRole {
	r, ok := AddonRoles[a.Name]
	if !ok {
		return nil
	}
	return &tenant.WorkloadRole{Namespace: r.Namespace, ServiceAccount: r.ServiceAccount, Via: a.Via, RoleName: a.RoleName,
		PolicyARNs: []string{r.PolicyARN}, RoleCreated: a.RoleCreated}
}

// MadeAddon is what MakeAddon did: Made of the add-on's role, and
// whether the add-on is there, made by the plugin.
type MadeAddon struct {
	Made
	AddonCreated bool
}

// MakeAddon makes add-on a (resolved) with the role its controller
// assumes: the role as a workload role of its ServiceAccount (the
// cluster's OIDC provider for IRSA; the Pod Identity agent otherwise),
// then the add-on with its Pod Identity association or
// serviceAccountRoleArn, waited for until ACTIVE within timeout, each
// status said to progress. Everything is read and checked first; an
// add-on there that the plugin did not make for the tenant is refused.
// As Make, it returns no MadeAddon for a refusal, and one that says what
// the record must say once writing starts.
func (s *Syncer) MakeAddon(ctx context.Context, a tenant.Addon, timeout time.Duration, progress func(string)) (*MadeAddon, error) {
	out := &MadeAddon{}
	var steps []aws.Step
	spec := aws.AddonSpec{Name: a.Name, Version: a.Version, Tenant: s.Tenant.Name, IRSA: a.Via == tenant.ViaIRSA}
	if w := addonWorkloadRole(a); w != nil {
		b, err := s.Binding(*w)
		if err != nil {
			return nil, err
		}
		made, st, err := s.planRole(ctx, b, *w)
		if err != nil {
			return nil, err
		}
		out.Made = *made
		steps = append(steps, st...)
		if b.Via == workload.PodIdentity {
			if st, err = s.planAgent(ctx); err != nil {
				return nil, err
			}
			steps = append(steps, st...)
		}
		spec.ServiceAccount, spec.RoleARN = w.ServiceAccount, made.RoleARN
	}
	create, err := aws.PlanCreateAddon(ctx, s.Config, s.Cluster.Name, spec)
	if err != nil {
		return nil, err
	}
	for _, st := range append(steps, create...) {
		out.Calls = append(out.Calls, st.Call)
		fmt.Fprintln(s.Log, s.would("", "would call ")+st.Call)
	}
	if s.DryRun {
		return out, nil
	}
	if err := aws.Run(ctx, steps); err != nil {
		return out, err
	}
	if err := aws.Run(ctx, create); err != nil {
		return out, err
	}
	out.AddonCreated = true // there, and tagged for the tenant (PlanCreateAddon refuses any other)
	return out, aws.WaitAddonActive(ctx, s.Config, s.Cluster.Name, a.Name, timeout, progress)
}

// DeleteAddon removes what MakeAddon made for a (as recorded): the
// add-on, when the record and its tags say the plugin made it for the
// tenant (its Pod Identity association goes with it), waited for until
// EKS no longer knows it; then its role, when the plugin made it. What
// is kept is said.
func (s *Syncer) DeleteAddon(ctx context.Context, a tenant.Addon, timeout time.Duration, progress func(string)) (*Deleted, error) {
	t := s.Tenant
	out := &Deleted{}
	var steps []aws.Step
	if a.Created {
		st, err := aws.PlanDeleteAddon(ctx, s.Config, s.Cluster.Name, a.Name, aws.Claim{Tenant: t.Name, Made: true}, timeout, progress)
		if err != nil {
			return nil, fmt.Errorf("%w; it is kept", err)
		}
		steps = append(steps, st...)
	} else {
		out.Kept = append(out.Kept, "add-on "+a.Name+": the plugin did not make it")
	}
	if w := addonWorkloadRole(a); w != nil && w.Via == tenant.ViaIRSA && s.Cluster.Issuer == "" {
		d, err := s.issuerGone(ctx, *w)
		if err != nil {
			return nil, err
		}
		out.Kept = append(out.Kept, d.Kept...)
	} else if w != nil {
		b, err := s.Binding(*w)
		if err != nil {
			return nil, err
		}
		if len(deleted(*w)) > 0 {
			st, err := aws.PlanDeleteWorkloadRole(ctx, s.Config, w.RoleName, aws.Claim{Tenant: t.Name, Made: true, Binding: b.ID()})
			if err != nil {
				return nil, fmt.Errorf("%w; it is kept (delete it by hand if it is no one's)", err)
			}
			steps = append(steps, st...)
		} else {
			out.Kept = append(out.Kept, "role "+RoleARN(b, *w)+": the plugin did not make it")
		}
	}
	for _, st := range steps {
		out.Calls = append(out.Calls, st.Call)
		fmt.Fprintln(s.Log, s.would("", "would call ")+st.Call)
	}
	if s.DryRun {
		return out, nil
	}
	return out, aws.Run(ctx, steps)
}

// All are tenant t's workload roles, resolved: its own, then those of its
// add-ons.
func All(t *tenant.Tenant) []tenant.WorkloadRole {
	var out []tenant.WorkloadRole
	for _, w := range t.Spec.WorkloadRoles {
		out = append(out, w.Resolved(t))
	}
	for _, a := range t.Spec.Addons {
		if w := addonWorkloadRole(ResolveAddon(t, a)); w != nil {
			out = append(out, *w)
		}
	}
	return out
}
