package reconcile

import (
	"context"
	"fmt"
	"io"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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

// syncWorkloadRoles makes next's workload roles what it says, once every
// check of the document has passed and before the record is written:
// with Prune, first removes those current had and next does not; then
// makes each (pkg/workloadrole, as the workload-role command does),
// marking in next what the plugin made (the role, the cluster's OIDC
// provider) for a later delete. A server dry run reads and writes the
// calls it would make to w; a client dry run says what it would do
// without asking AWS. It returns the condition the tenant reports (nil
// when it has no workload roles) and what failed.
func syncWorkloadRoles(ctx context.Context, conn *cluster.Connection, current, next *tenant.Tenant, o Options, results *apply.Results, w io.Writer) (*metav1.Condition, error) {
	dropped, droppedA := droppedWorkloadRoles(current, next), droppedAddons(current, next)
	if len(next.Spec.WorkloadRoles)+len(next.Spec.Addons)+len(dropped)+len(droppedA) == 0 {
		return nil, nil
	}
	cond := func(ok bool, reason, msg string) *metav1.Condition {
		status := metav1.ConditionFalse
		if ok {
			status = metav1.ConditionTrue
		}
		return &metav1.Condition{Type: tenant.ConditionWorkloadRolesReady, Status: status, Reason: reason, Message: msg}
	}
	if o.Mode == ClientDryRun {
		for _, a := range droppedA {
			fmt.Fprintf(w, "would remove add-on %s (--dry-run=server asks AWS)\n", a.Name)
		}
		for _, a := range next.Spec.Addons {
			fmt.Fprintf(w, "would make add-on %s unless it is in place (--dry-run=server asks AWS)\n", a.Name)
		}
		for _, d := range dropped {
			fmt.Fprintf(w, "would remove the workload role of %s (%s) (--dry-run=server asks AWS)\n", d.Key(), roleOf(d))
		}
		for _, x := range next.Spec.WorkloadRoles {
			x = x.Resolved(next)
			fmt.Fprintf(w, "would make the workload role of %s (%s, %s) unless it is in place (--dry-run=server asks AWS)\n", x.Key(), roleOf(x), x.Via)
		}
		return nil, nil
	}
	if o.ClusterTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.ClusterTimeout)
		defer cancel()
	}
	s, err := workloadrole.NewSyncer(ctx, next, conn, o.Mode == ServerDryRun, w, o.AWSOptions...)
	if err != nil {
		return cond(false, "AWSUnreachable", err.Error()), err
	}
	progress := func(name string) func(string) {
		return func(status string) { fmt.Fprintf(w, "add-on %s is %s\n", name, status) }
	}
	if len(dropped)+len(droppedA) > 0 {
		s.Tenant = current // what it made is in current's record
		for _, a := range droppedA {
			del, err := s.DeleteAddon(ctx, a, o.CreateTimeout, progress(a.Name))
			if err != nil {
				return cond(false, "PruneFailed", err.Error()), fmt.Errorf("spec.addons: removing add-on %s: %w", a.Name, err)
			}
			for _, k := range del.Kept {
				fmt.Fprintf(w, "kept: %s\n", k)
			}
			results.Add(addonKind, "", a.Name, apply.Deleted)
		}
		for _, d := range dropped {
			del, err := s.Delete(ctx, d, false)
			if err != nil {
				return cond(false, "PruneFailed", err.Error()), fmt.Errorf("spec.workloadRoles: removing the workload role of %s: %w", d.Key(), err)
			}
			for _, k := range del.Kept {
				fmt.Fprintf(w, "kept: %s\n", k)
			}
			results.Add(workloadKind, d.Namespace, d.ServiceAccount, apply.Deleted)
		}
		s.Tenant = next
	}
	var problems []string
	for i := range next.Spec.WorkloadRoles {
		x := &next.Spec.WorkloadRoles[i]
		made, err := s.Make(ctx, x.Resolved(next))
		if made != nil && o.Mode == Change {
			x.RoleCreated = made.RoleCreated
			if made.ProviderCreated {
				next.Spec.Cluster.EKS.OIDCProviderCreated = true
			}
		}
		if made != nil {
			results.Add(workloadKind, x.Namespace, x.ServiceAccount, outcome(made))
		}
		if err != nil {
			problems = append(problems, x.Key()+": "+err.Error())
		}
	}
	for i := range next.Spec.Addons {
		a := &next.Spec.Addons[i]
		r := workloadrole.ResolveAddon(next, *a)
		made, err := s.MakeAddon(ctx, r, o.CreateTimeout, progress(a.Name))
		if made != nil && o.Mode == Change {
			a.Created = a.Created || made.AddonCreated
			a.RoleCreated = made.RoleCreated
			if made.ProviderCreated {
				next.Spec.Cluster.EKS.OIDCProviderCreated = true
			}
		}
		if made != nil {
			results.Add(addonKind, "", a.Name, outcome(&made.Made))
		}
		if err != nil {
			problems = append(problems, "add-on "+a.Name+": "+err.Error())
		}
	}
	if len(problems) > 0 {
		msg := strings.Join(problems, "; ")
		return cond(false, "WorkloadRoleFailed", msg), fmt.Errorf("spec.workloadRoles, spec.addons: %s", msg)
	}
	return cond(true, "InPlace", fmt.Sprintf("%d workload role(s) and %d add-on(s) in place", len(next.Spec.WorkloadRoles), len(next.Spec.Addons))), nil
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

// keepMade carries into n, a record about to be written, what the plugin
// recorded in made of the same workload roles (made by this apply).
func keepMade(n, made *tenant.Tenant) {
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
}
