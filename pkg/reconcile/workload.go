package reconcile

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/access"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workloadrole"
)

// workloadKind and addonKind name a workload role and an add-on among
// an apply's results.
const (
	workloadKind = "WorkloadRole"
	addonKind    = "Addon"
)

// checkWorkloadRoles refuses workload roles of a tenant not on EKS, and
// a document that drops a workload role the record holds, unless
// pruning: the role, and its association or annotation, are in AWS and
// the cluster, and once the record no longer names them nothing would
// find them again.
func checkWorkloadRoles(current, next *tenant.Tenant, prune bool) error {
	if len(next.Spec.WorkloadRoles) > 0 && (next.Spec.Cluster.EKS == nil || next.Spec.AWS == nil) {
		return fmt.Errorf("spec.workloadRoles: tenant %q is not on EKS: a workload role is assumed through EKS Pod Identity or the EKS cluster's OIDC issuer", next.Name)
	}
	if len(next.Spec.Addons) > 0 && (next.Spec.Cluster.EKS == nil || next.Spec.AWS == nil) {
		return fmt.Errorf("spec.addons: tenant %q is not on EKS: add-ons are EKS's", next.Name)
	}
	if prune {
		return nil
	}
	for _, w := range droppedWorkloadRoles(current, next) {
		return fmt.Errorf("spec.workloadRoles: the document drops the workload role of %s (%s), which tenant %q has in AWS: apply with --prune to remove it (and the role, when the plugin made it), or keep it in the document",
			w.Key(), roleOf(w), next.Name)
	}
	for _, a := range droppedAddons(current, next) {
		return fmt.Errorf("spec.addons: the document drops add-on %s, which tenant %q has in EKS: apply with --prune to remove it (and its role, when the plugin made them), or keep it in the document", a.Name, next.Name)
	}
	return nil
}

// droppedAddons are current's add-ons that next no longer has, or has
// with another mechanism or role (which replaces it).
func droppedAddons(current, next *tenant.Tenant) []tenant.Addon {
	if current == nil {
		return nil
	}
	var out []tenant.Addon
	for _, a := range current.Spec.Addons {
		a = workloadrole.ResolveAddon(current, a)
		n := next.Addon(a.Name)
		if n == nil {
			out = append(out, a)
			continue
		}
		if r := workloadrole.ResolveAddon(next, *n); r.Via != a.Via || r.RoleName != a.RoleName {
			out = append(out, a)
		}
	}
	return out
}

// roleOf names w's role.
func roleOf(w tenant.WorkloadRole) string {
	if w.RoleARN != "" {
		return "role " + w.RoleARN
	}
	return "role " + w.RoleName
}

// droppedWorkloadRoles are current's workload roles that next no longer
// has, or has with another role or mechanism (which replaces it).
func droppedWorkloadRoles(current, next *tenant.Tenant) []tenant.WorkloadRole {
	if current == nil {
		return nil
	}
	var out []tenant.WorkloadRole
	for _, w := range current.Spec.WorkloadRoles {
		w = w.Resolved(current)
		n := next.WorkloadRole(w.Namespace, w.ServiceAccount)
		if n == nil {
			out = append(out, w)
			continue
		}
		if r := n.Resolved(next); r.Via != w.Via || r.RoleName != w.RoleName || r.RoleARN != w.RoleARN {
			out = append(out, w)
		}
	}
	return out
}

// pruneWorkloadRoles removes, with Prune, the workload roles and add-ons
// current had and next does not (or has with another role or
// mechanism), once every check of the document has passed and before
// the record forgets them: any failure stops the apply with the record
// as it was. A server dry run reads and writes the calls it would make
// to w; a client dry run says what it would do without asking AWS.
func pruneWorkloadRoles(ctx context.Context, conn *cluster.Connection, current, next *tenant.Tenant, o Options, results *apply.Results, w io.Writer) error {
	dropped, droppedA := droppedWorkloadRoles(current, next), droppedAddons(current, next)
	if len(dropped)+len(droppedA) == 0 {
		return nil
	}
	if o.Mode == ClientDryRun {
		for _, a := range droppedA {
			fmt.Fprintf(w, "would remove add-on %s (--dry-run=server asks AWS)\n", a.Name)
		}
		for _, d := range dropped {
			fmt.Fprintf(w, "would remove the workload role of %s (%s) (--dry-run=server asks AWS)\n", d.Key(), roleOf(d))
		}
		return nil
	}
	s, err := workloadrole.NewSyncer(ctx, current, conn, o.Mode == ServerDryRun, w, o.AWSOptions...) // what it made is in current's record
	if err != nil {
		return fmt.Errorf("spec.workloadRoles, spec.addons: removing what the document drops (the record keeps it): %w", err)
	}
	for _, a := range droppedA {
		del, err := s.DeleteAddon(ctx, a, o.CreateTimeout, addonProgress(w, a.Name))
		if err != nil {
			return fmt.Errorf("spec.addons: removing add-on %s (the record keeps it): %w", a.Name, err)
		}
		for _, k := range del.Kept {
			fmt.Fprintf(w, "kept: %s\n", k)
		}
		results.Add(addonKind, "", a.Name, removed(del))
	}
	for _, d := range dropped {
		del, err := s.Delete(ctx, d, false)
		if err != nil {
			return fmt.Errorf("spec.workloadRoles: removing the workload role of %s (the record keeps it): %w", d.Key(), err)
		}
		for _, k := range del.Kept {
			fmt.Fprintf(w, "kept: %s\n", k)
		}
		results.Add(workloadKind, d.Namespace, d.ServiceAccount, removed(del))
	}
	return nil
}

// removed is how a prune reports a removal: deleted, or only forgotten
// when what it would delete is kept.
func removed(d *workloadrole.Deleted) apply.Outcome {
	if len(d.Kept) > 0 && len(d.Calls) == 0 {
		return apply.Unchanged
	}
	return apply.Deleted
}

func addonProgress(w io.Writer, name string) func(string) {
	return func(status string) { fmt.Fprintf(w, "add-on %s is %s\n", name, status) }
}

// makeWorkloadRoles makes t's workload roles and add-ons what its record
// says, after its namespaces are in place: each workload role's
// ServiceAccount is admitted as workload-role admits it (in a namespace
// labelled as t's, no other tenant's), then made (pkg/workloadrole, as
// the command does). It marks in t what the plugin made (the role, the
// add-on, the cluster's OIDC provider) for a later delete, reports the
// WorkloadRolesReady condition in r, and each one in results. A server
// dry run makes what it can check (a namespace the apply would make is
// said instead); a client dry run says what it would do without asking
// AWS. Add-on waits are bounded by CreateTimeout, the rest by
// ClusterTimeout.
func makeWorkloadRoles(ctx context.Context, conn *cluster.Connection, reg tenant.Registry, t *tenant.Tenant, o Options, r *Report, results *apply.Results, w io.Writer) {
	if len(t.Spec.WorkloadRoles)+len(t.Spec.Addons) == 0 {
		return
	}
	if o.Mode == ClientDryRun {
		for _, a := range t.Spec.Addons {
			fmt.Fprintf(w, "would make add-on %s unless it is in place (--dry-run=server asks AWS)\n", a.Name)
		}
		for _, x := range t.Spec.WorkloadRoles {
			x = x.Resolved(t)
			fmt.Fprintf(w, "would make the workload role of %s (%s, %s) unless it is in place (--dry-run=server asks AWS)\n", x.Key(), roleOf(x), x.Via)
		}
		return
	}
	var problems []string
	defer func() {
		if len(problems) > 0 {
			r.setWorkload(false, "WorkloadRoleFailed", strings.Join(problems, "; "))
			return
		}
		r.setWorkload(true, "InPlace", fmt.Sprintf("%d workload role(s) and %d add-on(s) in place", len(t.Spec.WorkloadRoles), len(t.Spec.Addons)))
	}()
	callCtx := ctx
	if o.ClusterTimeout > 0 && len(t.Spec.Addons) == 0 { // an add-on's wait is CreateTimeout's
		var cancel context.CancelFunc
		callCtx, cancel = context.WithTimeout(ctx, o.ClusterTimeout)
		defer cancel()
	}
	s, err := workloadrole.NewSyncer(callCtx, t, conn, o.Mode == ServerDryRun, w, o.AWSOptions...)
	if err != nil {
		problems = append(problems, err.Error())
		return
	}
	admission := access.Admission{Client: conn.Client, Registry: reg, Batch: o.Batch, AllowCrossTenant: o.AllowCrossTenant, Warn: o.Warn}
	var podIdentity []string
	for _, x := range t.Spec.WorkloadRoles {
		if x.Resolved(t).Via == tenant.ViaPodIdentity {
			podIdentity = append(podIdentity, x.Key())
		}
	}
	if len(podIdentity) > 0 && o.Warn != nil {
		if fargate, err := s.OnFargate(callCtx); err == nil && fargate { // unknown: made as declared all the same
			fmt.Fprintf(o.Warn, "warning: EKS cluster %s has Fargate profiles, where Pod Identity does not reach pods: the pods there of %s will not get their roles (via: irsa reaches them)\n", s.Cluster.Name, strings.Join(podIdentity, ", "))
		}
	}
	for i := range t.Spec.WorkloadRoles {
		x := &t.Spec.WorkloadRoles[i]
		if err := workloadrole.Admit(callCtx, admission, t, *x); err != nil {
			if o.Mode == ServerDryRun && slices.Contains(t.Spec.Namespaces, x.Namespace) {
				fmt.Fprintf(w, "would make the workload role of %s once namespace %s is made or adopted as tenant %q's\n", x.Key(), x.Namespace, t.Name)
				continue
			}
			problems = append(problems, x.Key()+": "+err.Error())
			continue
		}
		made, err := s.Make(callCtx, x.Resolved(t))
		if made != nil {
			x.RoleCreated = made.RoleCreated
			if made.ProviderCreated {
				t.Spec.Cluster.EKS.OIDCProviderCreated = true
			}
			results.Add(workloadKind, x.Namespace, x.ServiceAccount, outcome(made))
		}
		if err != nil {
			problems = append(problems, x.Key()+": "+err.Error())
		}
	}
	for i := range t.Spec.Addons {
		a := &t.Spec.Addons[i]
		made, err := s.MakeAddon(ctx, workloadrole.ResolveAddon(t, *a), o.CreateTimeout, addonProgress(w, a.Name))
		if made != nil {
			a.Created = a.Created || made.AddonCreated
			a.RoleCreated = made.RoleCreated
			if made.ProviderCreated {
				t.Spec.Cluster.EKS.OIDCProviderCreated = true
			}
			results.Add(addonKind, "", a.Name, outcome(&made.Made))
		}
		if err != nil {
			problems = append(problems, "add-on "+a.Name+": "+err.Error())
		}
	}
}

// outcome is what Make did to a workload role, as an apply reports it.
func outcome(m *workloadrole.Made) apply.Outcome {
	for _, c := range m.Calls {
		if strings.HasPrefix(c, "Create") {
			return apply.Created
		}
	}
	if len(m.Calls) > 0 || m.Annotated {
		return apply.Updated
	}
	return apply.Unchanged
}

// keepMade carries into n, the record as it is now, what made (the
// record this apply made workload roles and add-ons of) says the plugin
// made of the same ones, and reports whether n changed.
func keepMade(n, made *tenant.Tenant) bool {
	before := n.DeepCopy()
	for i := range n.Spec.WorkloadRoles {
		x := &n.Spec.WorkloadRoles[i]
		if m := made.WorkloadRole(x.Namespace, x.ServiceAccount); m != nil && m.RoleName == x.RoleName && m.RoleARN == x.RoleARN && m.RoleCreated {
			x.RoleCreated = true
		}
	}
	for i := range n.Spec.Addons {
		x := &n.Spec.Addons[i]
		if m := made.Addon(x.Name); m != nil {
			x.Created = x.Created || m.Created
			x.RoleCreated = x.RoleCreated || m.RoleCreated && m.RoleName == x.RoleName
		}
	}
	if e, m := n.Spec.Cluster.EKS, made.Spec.Cluster.EKS; e != nil && m != nil && m.OIDCProviderCreated {
		e.OIDCProviderCreated = true
	}
	return !tenant.SameSpec(before.Spec, n.Spec)
}
