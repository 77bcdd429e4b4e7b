// Package reconcile makes a tenant's cluster what its record says: its
// namespaces, the bindings of its grants and the IAM mappings behind
// them, and, when asked, removes what the record no longer names. It
// reports each object it changed and the tenant's conditions
// (ClusterReady, NamespacesReady, AccessReady), each with a reason a
// person can act on. 'kubectl tenant apply' runs it per tenant.
package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/iamgrant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Mode is how much a reconcile may change.
type Mode int

// The modes: change the cluster, have its API server check every write
// and persist none (--dry-run=server), or only read (--dry-run=client).
const (
	Change Mode = iota
	ServerDryRun
	ClientDryRun
)

// Options say how to reconcile.
type Options struct {
	Mode Mode
	// Prune removes the tenant's bindings, ServiceAccounts and IAM
	// mappings that its record no longer asks for.
	Prune bool
	// PruneNamespaces also deletes the namespaces labelled for the tenant
	// that its record no longer lists (with everything in them).
	PruneNamespaces bool
	// AdoptNamespaces lets an existing namespace that belongs to no
	// tenant become the tenant's.
	AdoptNamespaces bool
	// ClusterTimeout bounds the calls to the tenant's cluster (and AWS)
	// of one reconcile; zero means no bound beyond the caller's context.
	ClusterTimeout time.Duration
	// FieldManager names who applies, for the last-applied spec kept per
	// manager (default kubectl-tenant).
	FieldManager string
	// SkipIAM leaves the IAM mappings alone (a live view that reads only
	// the cluster).
	SkipIAM bool
	// AllowCrossTenant lets a grant name a subject of another tenant
	// (access.Admission).
	AllowCrossTenant bool
	// Batch is every document applied in the same run: each counts as a
	// tenant when another's grants are admitted (access.Admission.Batch).
	Batch []*tenant.Tenant
	// Force lets a pruned IAM mapping go even when it maps nodes, is the
	// last system:masters mapping or is the caller's own access.
	Force bool
	// AdoptClusters lets a new EKS tenant take a cluster that exists and
	// that the plugin did not create for it.
	AdoptClusters bool
	// CreateTimeout bounds the wait for a new EKS cluster, and for a node
	// group, to be ACTIVE (ClusterTimeout does not apply to it).
	CreateTimeout time.Duration
	// Kubeconfig is the KUBECONFIG list a new EKS tenant's context goes
	// to: its name must be free there before the cluster is made.
	Kubeconfig []string
	// Management reaches the management cluster of a CAPA tenant
	// (spec.cluster.capa.managementContext, else the cluster registry's).
	Management func(*tenant.Tenant) (*cluster.Connection, error)
	// CAPAInterval is how often a CAPA control plane is read while
	// waiting for it (default 2s).
	CAPAInterval time.Duration
	// Progress hears the steps of making an EKS cluster as they happen.
	Progress func(string)
	// AWSOptions load the AWS configuration of access entries and EKS.
	AWSOptions []aws.ConfigOption
	// Out hears what a dry run of IAM mappings would do: the aws-auth
	// diff and the EKS calls.
	Out io.Writer
	// Warn hears what is worth knowing and changes nothing.
	Warn io.Writer
}

// Report is what a reconcile did and found.
type Report struct {
	Results apply.Results
	// Conditions without their observed generation, which the caller
	// knows.
	Conditions []metav1.Condition
	// Grants counts the grants in place.
	Grants int
	// ServerVersion is the cluster's Kubernetes version.
	ServerVersion string
}

// Err names every condition that is not true, as an error; nil when the
// tenant is ready.
func (r *Report) Err() error {
	var errs []error
	for _, c := range r.Conditions {
		if c.Status != metav1.ConditionTrue && c.Type != tenant.ConditionReady {
			errs = append(errs, fmt.Errorf("%s %s: %s", c.Type, c.Reason, c.Message))
		}
	}
	return errors.Join(errs...)
}

// Tenant reconciles t's cluster, reached through conn, to t's record;
// before is the record as it was (nil for a new tenant), whose IAM
// principals t no longer grants lose their mapping when pruning.
func Tenant(ctx context.Context, conn *cluster.Connection, before, t *tenant.Tenant, o Options) *Report {
	r := &Report{}
	defer r.setReady()
	v, err := serverVersion(ctx, conn)
	if err != nil {
		msg := fmt.Sprintf("context %q (%s) did not answer: %v; check it with 'kubectl --context %s get ns'", conn.Context, conn.Server, err, conn.Context)
		r.set(tenant.ConditionClusterReady, false, "Unreachable", msg)
		r.set(tenant.ConditionNamespacesReady, false, "ClusterUnreachable", "not checked: the cluster did not answer")
		r.set(tenant.ConditionAccessReady, false, "ClusterUnreachable", "not checked: the cluster did not answer")
		return r
	}
	r.ServerVersion = v.GitVersion
	r.set(tenant.ConditionClusterReady, true, "Reachable", fmt.Sprintf("context %q (%s), Kubernetes %s", conn.Context, conn.Server, v.GitVersion))

	a := &apply.Applier{Client: conn.Client, DryRun: o.Mode == ServerDryRun, ReportOnly: o.Mode == ClientDryRun}
	want := rbac.ForTenant(t)
	created, kept := r.namespaces(ctx, a, t, want.Namespaces, o)
	if c := meta.FindStatusCondition(r.Conditions, tenant.ConditionNamespacesReady); c.Status != metav1.ConditionTrue {
		r.set(tenant.ConditionAccessReady, false, "NamespacesNotReady", "not granted: the tenant's namespaces are not all in place (see NamespacesReady)")
		return r
	}
	r.access(ctx, a, conn, before, t, want, created, kept, o)
	return r
}

// serverVersion asks the cluster its version, within ctx (discovery's own
// call takes no context, and would wait out an unanswering server).
func serverVersion(ctx context.Context, conn *cluster.Connection) (*version.Info, error) {
	data, err := conn.Client.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return nil, err
	}
	v := &version.Info{}
	return v, json.Unmarshal(data, v)
}

// namespaces puts the tenant's namespaces in place and, with
// PruneNamespaces, deletes those labelled for it that the record no
// longer lists. It returns the namespaces it created (a server dry run
// cannot check writes inside those) and the labelled ones it kept though
// the record no longer lists them (prune clears the tenant's objects
// there).
func (r *Report) namespaces(ctx context.Context, a *apply.Applier, t *tenant.Tenant, want []*corev1.Namespace, o Options) (created map[string]bool, kept []string) {
	var problems []string
	reason := "NamespaceError"
	for _, ns := range want {
		if err := a.Namespace(ctx, t.Name, ns, o.AdoptNamespaces, &r.Results); err != nil {
			if errors.As(err, new(*apply.NamespaceConflict)) {
				reason = "NamespaceConflict"
			}
			problems = append(problems, err.Error())
		}
	}
	created = map[string]bool{}
	for _, x := range r.Results.List() {
		if x.Kind == "Namespace" && x.Outcome == apply.Created {
			created[x.Name] = true
		}
	}
	stale, err := r.staleNamespaces(ctx, a, t)
	if err != nil {
		problems = append(problems, err.Error())
	}
	for _, ns := range stale {
		if !o.PruneNamespaces {
			fmt.Fprintf(o.Warn, "namespace %s is labelled for tenant %q but no longer in its spec: kept (--prune-namespaces deletes it and everything in it)\n", ns, t.Name)
			kept = append(kept, ns)
			continue
		}
		if err := a.DeleteNamespace(ctx, t.Name, ns, &r.Results); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		r.set(tenant.ConditionNamespacesReady, false, reason, strings.Join(problems, "; "))
	} else {
		r.set(tenant.ConditionNamespacesReady, true, "Present", fmt.Sprintf("%d namespaces: %s", len(want), strings.Join(t.Spec.Namespaces, ", ")))
	}
	return created, kept
}

// staleNamespaces are the namespaces labelled for t that its spec does
// not list.
func (r *Report) staleNamespaces(ctx context.Context, a *apply.Applier, t *tenant.Tenant) ([]string, error) {
	list, err := a.Client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: rbac.Selector(t.Name)})
	if apierrors.IsForbidden(err) {
		return nil, nil // without the right to list namespaces, none is pruned
	}
	if err != nil {
		return nil, fmt.Errorf("listing the tenant's namespaces: %w", err)
	}
	var out []string
	for _, ns := range list.Items {
		if !slices.Contains(t.Spec.Namespaces, ns.Name) && ns.DeletionTimestamp == nil {
			out = append(out, ns.Name)
		}
	}
	return out, nil
}

// access applies what the grants mean: the ClusterRoles they bind must
// exist (grants of missing ones are left out and named); then the IAM
// mappings, the tenant's roles, ServiceAccounts and bindings; then, with
// Prune and nothing failed, it removes what no grant asks for.
func (r *Report) access(ctx context.Context, a *apply.Applier, conn *cluster.Connection, before, t *tenant.Tenant, want rbac.Objects, created map[string]bool, stale []string, o Options) {
	var problems []string
	reason := ""
	fail := func(why string, err error) {
		if reason == "" {
			reason = why
		}
		problems = append(problems, err.Error())
	}
	missing, err := missingRoles(ctx, a, t)
	if err != nil {
		fail("GrantFailed", err)
	}
	for _, role := range missing {
		fail("RoleNotFound", fmt.Errorf("no ClusterRole %q in the cluster: create it, or grant admin, edit, view or an existing ClusterRole", role))
	}
	want = withoutRoles(want, missing)

	granted := 0
	for _, g := range t.Spec.Grants {
		if !slices.Contains(missing, g.Role) || g.AccessPolicy != "" {
			granted++
		}
	}
	if !o.SkipIAM {
		if err := r.syncIAM(ctx, conn, before, t, o); err != nil {
			fail("MappingFailed", err)
		}
	}

	// Objects inside namespaces a server dry run has only pretended to
	// create cannot be checked by the server: they are reported as the
	// client would.
	inNew := &apply.Applier{Client: a.Client, ReportOnly: true}
	pick := func(ns string) *apply.Applier {
		if a.DryRun && created[ns] {
			return inNew
		}
		return a
	}
	// The tenant's roles first: binding a role takes holding it, or
	// the role existing for the bind check to read.
	for _, cr := range want.ClusterRoles {
		if err := a.ClusterRole(ctx, cr, &r.Results); err != nil {
			fail("GrantFailed", err)
		}
	}
	for _, sa := range want.ServiceAccounts {
		if err := pick(sa.Namespace).ServiceAccount(ctx, sa, &r.Results); err != nil {
			fail("GrantFailed", err)
		}
	}
	var rbsOld, rbsNew []*rbacv1.RoleBinding
	for _, rb := range want.RoleBindings {
		if pick(rb.Namespace) == inNew {
			rbsNew = append(rbsNew, rb)
		} else {
			rbsOld = append(rbsOld, rb)
		}
	}
	if err := a.RoleBindings(ctx, rbsOld, &r.Results); err != nil {
		fail("GrantFailed", err)
	}
	if err := inNew.RoleBindings(ctx, rbsNew, &r.Results); err != nil {
		fail("GrantFailed", err)
	}
	for _, crb := range want.ClusterRoleBindings {
		if err := a.ClusterRoleBinding(ctx, crb, &r.Results); err != nil {
			fail("GrantFailed", err)
		}
	}

	if o.Prune && len(problems) == 0 {
		if err := r.prune(ctx, a, t, want, stale); err != nil {
			fail("PruneFailed", err)
		}
	}
	if len(problems) > 0 {
		r.Grants = 0
		r.set(tenant.ConditionAccessReady, false, reason, strings.Join(problems, "; "))
		return
	}
	r.Grants = granted
	r.set(tenant.ConditionAccessReady, true, "Granted", fmt.Sprintf("%d grants in place", granted))
}

// prune deletes the tenant's labelled objects that want does not hold,
// in every namespace of its spec and the stale ones kept.
func (r *Report) prune(ctx context.Context, a *apply.Applier, t *tenant.Tenant, want rbac.Objects, stale []string) error {
	keep := map[apply.Key]bool{}
	for _, obj := range want.List() {
		keep[apply.KeyOf(obj)] = true // namespaces too: Prune does not delete them
	}
	return a.Prune(ctx, t.Name, append(slices.Clone(t.Spec.Namespaces), stale...), keep, &r.Results)
}

// syncIAM puts each IAM principal's mapping (aws-auth entry or access
// entry) in step with t's grants; with Prune, principals that before
// granted and t does not lose theirs.
func (r *Report) syncIAM(ctx context.Context, conn *cluster.Connection, before, t *tenant.Tenant, o Options) error {
	type principal struct {
		s   tenant.Subject
		via string
	}
	var ps []principal
	add := func(from *tenant.Tenant) {
		for _, g := range from.Spec.Grants {
			if p := (principal{g.Subject, g.Via}); g.Subject.IsIAM() && !slices.Contains(ps, p) {
				ps = append(ps, p)
			}
		}
	}
	add(t)
	if before != nil && o.Prune {
		add(before)
	}
	if len(ps) == 0 {
		return nil
	}
	if before == nil {
		before = t
	}
	s := iamgrant.NewSyncer(before, conn.Client, o.AWSOptions, o.Mode != Change, o.Out)
	s.ServerDryRun = o.Mode == ServerDryRun
	s.Warn = o.Warn
	s.Force = o.Force
	var errs []error
	for _, p := range ps {
		if _, err := s.Sync(ctx, before, t, p.s, p.via); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// missingRoles are the ClusterRoles t's RBAC grants bind that the cluster
// does not have (the tenant's own roles aside).
func missingRoles(ctx context.Context, a *apply.Applier, t *tenant.Tenant) ([]string, error) {
	var missing, checked []string
	for _, g := range t.Spec.Grants {
		if g.AccessPolicy != "" || t.Role(g.Role) != nil || slices.Contains(checked, g.Role) {
			continue // a tenant role is applied with the grants
		}
		checked = append(checked, g.Role)
		_, err := a.Client.RbacV1().ClusterRoles().Get(ctx, rbac.ClusterRoleFor(t, g.Role), metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			missing = append(missing, g.Role)
		case err != nil:
			return missing, fmt.Errorf("reading ClusterRole %s: %w", g.Role, err)
		}
	}
	return missing, nil
}

// withoutRoles drops the bindings of roles the cluster does not have.
func withoutRoles(want rbac.Objects, roles []string) rbac.Objects {
	if len(roles) == 0 {
		return want
	}
	missing := func(ref rbacv1.RoleRef) bool { return slices.Contains(roles, ref.Name) }
	want.RoleBindings = slices.DeleteFunc(slices.Clone(want.RoleBindings), func(rb *rbacv1.RoleBinding) bool { return missing(rb.RoleRef) })
	want.ClusterRoleBindings = slices.DeleteFunc(slices.Clone(want.ClusterRoleBindings), func(crb *rbacv1.ClusterRoleBinding) bool { return missing(crb.RoleRef) })
	return want
}

// setReady sets Ready: true when the other conditions are, else false
// with the first false one's reason.
func (r *Report) setReady() {
	for _, c := range r.Conditions {
		if c.Status != metav1.ConditionTrue {
			r.set(tenant.ConditionReady, false, c.Reason, c.Type+" is not true: "+c.Message)
			return
		}
	}
	r.set(tenant.ConditionReady, true, "Reconciled", "the cluster is what the spec says")
}

// setWorkload sets the WorkloadRolesReady condition, which an apply
// reports after the reconcile, and Ready again with it.
func (r *Report) setWorkload(ok bool, reason, msg string) {
	r.set(tenant.ConditionWorkloadRolesReady, ok, reason, msg)
	meta.RemoveStatusCondition(&r.Conditions, tenant.ConditionReady)
	r.setReady()
}

func (r *Report) set(typ string, ok bool, reason, msg string) {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&r.Conditions, metav1.Condition{Type: typ, Status: status, Reason: reason, Message: msg})
}
