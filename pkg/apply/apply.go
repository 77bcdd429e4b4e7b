// Package apply puts the plugin's labelled objects into a cluster with
// server-side apply (field manager kubectl-tenant), reading first and
// writing only what differs, so that re-running a command writes nothing.
// It also removes objects, but only ones that carry the plugin's label.
package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Concurrency bounds the writes in flight at once.
const Concurrency = 16

// Applier applies objects to one cluster.
type Applier struct {
	Client kubernetes.Interface
	// DryRun asks the server to validate and not persist (--dry-run=server).
	DryRun bool
	// ReportOnly makes every change read and report what it would do, and
	// send nothing (--dry-run=client).
	ReportOnly bool
}

// Outcome is what happened to one object.
type Outcome string

// The outcomes Apply reports.
const (
	Created   Outcome = "created"
	Updated   Outcome = "configured"
	Unchanged Outcome = "unchanged"
	Deleted   Outcome = "deleted"
)

// Result is one object and its outcome. A change carries the object as
// it was (Live, nil when created) and as it is or would be stored
// (Merged, nil when deleted), for a diff.
type Result struct {
	Kind, Namespace, Name string
	Outcome               Outcome
	Live, Merged          runtime.Object
}

// Results collects results from concurrent work.
type Results struct {
	mu   sync.Mutex
	list []Result
}

func (r *Results) add(kind, ns, name string, o Outcome) { r.Add(kind, ns, name, o) }

// Add records the outcome of an object another package wrote.
func (r *Results) Add(kind, ns, name string, o Outcome) {
	r.put(Result{Kind: kind, Namespace: ns, Name: name, Outcome: o})
}

// changed records a change of obj from live (nil: none) to merged (nil:
// deleted).
func (r *Results) changed(o Outcome, obj metav1.Object, live, merged runtime.Object) {
	kind := ""
	for _, x := range []runtime.Object{merged, live} {
		if x != nil && kind == "" {
			kind = x.GetObjectKind().GroupVersionKind().Kind
		}
	}
	r.put(Result{Kind: kind, Namespace: obj.GetNamespace(), Name: obj.GetName(), Outcome: o, Live: live, Merged: merged})
}

func (r *Results) put(x Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, x)
}

// List returns the results so far.
func (r *Results) List() []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Result(nil), r.list...)
}

// Print writes one line per object: KIND NAMESPACE/NAME OUTCOME, marked
// as a dry run when a's was one.
func (r *Results) Print(w io.Writer, a *Applier) {
	suffix := ""
	switch {
	case a.ReportOnly:
		suffix = " (dry run)"
	case a.DryRun:
		suffix = " (server dry run)"
	}
	for _, x := range r.List() {
		name := x.Name
		if x.Namespace != "" {
			name = x.Namespace + "/" + x.Name
		}
		fmt.Fprintf(w, "%s %s %s%s\n", x.Kind, name, x.Outcome, suffix)
	}
}

// Writes counts the results that changed something.
func (r *Results) Writes() int {
	n := 0
	for _, x := range r.List() {
		if x.Outcome != Unchanged {
			n++
		}
	}
	return n
}

func (a *Applier) applyOptions() metav1.ApplyOptions {
	o := metav1.ApplyOptions{FieldManager: tenant.FieldManager, Force: true}
	if a.DryRun {
		o.DryRun = []string{metav1.DryRunAll}
	}
	return o
}

// send makes one apply call, or with ReportOnly none: what would be
// stored is then want itself. The stored object comes back with its kind
// set (client-go clears it).
func (a *Applier) send(want runtime.Object, call func(metav1.ApplyOptions) (runtime.Object, error)) (runtime.Object, error) {
	if a.ReportOnly {
		return want, nil
	}
	got, err := call(a.applyOptions())
	if err != nil {
		return nil, err
	}
	got.GetObjectKind().SetGroupVersionKind(want.GetObjectKind().GroupVersionKind())
	return got, nil
}

// withKind sets the kind client-go clears on objects it reads.
func withKind[T runtime.Object](obj T, from runtime.Object) T {
	obj.GetObjectKind().SetGroupVersionKind(from.GetObjectKind().GroupVersionKind())
	return obj
}

func (a *Applier) deleteOptions() metav1.DeleteOptions {
	o := metav1.DeleteOptions{}
	if a.DryRun {
		o.DryRun = []string{metav1.DryRunAll}
	}
	return o
}

// toApply converts a typed object into its apply configuration: the same
// JSON, so unset fields stay unset and are not claimed.
func toApply[T any](obj any) (*T, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	out := new(T)
	return out, json.Unmarshal(data, out)
}

// RoleBindings applies bindings, reading the existing ones first with one
// list per name. A binding whose roleRef changed is deleted and created,
// since roleRef cannot be updated.
func (a *Applier) RoleBindings(ctx context.Context, want []*rbacv1.RoleBinding, results *Results) error {
	have, err := a.existingRoleBindings(ctx, want)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(Concurrency)
	for _, rb := range want {
		cur := have[rb.Namespace+"/"+rb.Name]
		// slices.Equal takes nil and empty alike: the server returns no subjects as nil.
		if cur != nil && labelsCover(cur.Labels, rb.Labels) && slices.Equal(cur.Subjects, rb.Subjects) && cur.RoleRef == rb.RoleRef {
			results.add("RoleBinding", rb.Namespace, rb.Name, Unchanged)
			continue
		}
		g.Go(func() error {
			client := a.Client.RbacV1().RoleBindings(rb.Namespace)
			if cur != nil && cur.RoleRef != rb.RoleRef {
				if err := a.delete(ctx, func(o metav1.DeleteOptions) error { return client.Delete(ctx, rb.Name, o) }); err != nil && !apierrors.IsNotFound(err) {
					return fmt.Errorf("replacing RoleBinding %s/%s: %w", rb.Namespace, rb.Name, err)
				}
			}
			ac, err := toApply[rbacv1ac.RoleBindingApplyConfiguration](rb)
			if err != nil {
				return err
			}
			got, err := a.send(rb, func(o metav1.ApplyOptions) (runtime.Object, error) { return client.Apply(ctx, ac, o) })
			if err != nil {
				return fmt.Errorf("applying RoleBinding %s/%s: %w", rb.Namespace, rb.Name, err)
			}
			results.changed(outcome(cur != nil), rb, liveIf(cur != nil, cur, rb), got)
			return nil
		})
	}
	return g.Wait()
}

// existingRoleBindings reads the bindings named in want. A grant's
// bindings share one name across namespaces, so one cluster-wide list per
// name (a field selector on metadata.name) finds them all, the plugin's
// or anyone's; a binding of that name the plugin did not make is an
// error, never taken over. Without the right to list cluster-wide it
// falls back to one get per binding.
func (a *Applier) existingRoleBindings(ctx context.Context, want []*rbacv1.RoleBinding) (map[string]*rbacv1.RoleBinding, error) {
	have := map[string]*rbacv1.RoleBinding{}
	wanted := map[string]*rbacv1.RoleBinding{}
	var names []string
	for _, rb := range want {
		if _, seen := wanted[rb.Name]; !seen {
			names = append(names, rb.Name)
		}
		wanted[rb.Namespace+"/"+rb.Name] = rb
		wanted[rb.Name] = rb
	}
	for _, name := range names {
		list, err := a.Client.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
		if apierrors.IsForbidden(err) {
			return a.getRoleBindings(ctx, want)
		}
		if err != nil {
			return nil, fmt.Errorf("listing RoleBindings named %s: %w", name, err)
		}
		for i := range list.Items {
			cur := &list.Items[i]
			rb := wanted[cur.Namespace+"/"+cur.Name]
			if rb == nil {
				continue // same name in a namespace this grant does not cover
			}
			if !labelsCover(cur.Labels, rb.Labels) {
				return nil, notOurs("RoleBinding", cur.Namespace, cur.Name)
			}
			have[cur.Namespace+"/"+cur.Name] = cur
		}
	}
	return have, nil
}

// getRoleBindings reads each wanted binding with its own get.
func (a *Applier) getRoleBindings(ctx context.Context, want []*rbacv1.RoleBinding) (map[string]*rbacv1.RoleBinding, error) {
	have := map[string]*rbacv1.RoleBinding{}
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(Concurrency)
	for _, rb := range want {
		g.Go(func() error {
			cur, err := a.Client.RbacV1().RoleBindings(rb.Namespace).Get(ctx, rb.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("reading RoleBinding %s/%s: %w", rb.Namespace, rb.Name, err)
			}
			if !labelsCover(cur.Labels, rb.Labels) {
				return notOurs("RoleBinding", rb.Namespace, rb.Name)
			}
			mu.Lock()
			have[rb.Namespace+"/"+rb.Name] = cur
			mu.Unlock()
			return nil
		})
	}
	return have, g.Wait()
}

// ClusterRoleBinding applies a cluster-wide binding if it differs.
func (a *Applier) ClusterRoleBinding(ctx context.Context, want *rbacv1.ClusterRoleBinding, results *Results) error {
	client := a.Client.RbacV1().ClusterRoleBindings()
	cur, err := client.Get(ctx, want.Name, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("reading ClusterRoleBinding %s: %w", want.Name, err)
	}
	exists := err == nil
	if exists && !labelsCover(cur.Labels, want.Labels) {
		return notOurs("ClusterRoleBinding", "", want.Name)
	}
	if exists && slices.Equal(cur.Subjects, want.Subjects) && cur.RoleRef == want.RoleRef {
		results.add("ClusterRoleBinding", "", want.Name, Unchanged)
		return nil
	}
	if exists && cur.RoleRef != want.RoleRef {
		if err := a.delete(ctx, func(o metav1.DeleteOptions) error { return client.Delete(ctx, want.Name, o) }); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("replacing ClusterRoleBinding %s: %w", want.Name, err)
		}
	}
	ac, err := toApply[rbacv1ac.ClusterRoleBindingApplyConfiguration](want)
	if err != nil {
		return err
	}
	got, err := a.send(want, func(o metav1.ApplyOptions) (runtime.Object, error) { return client.Apply(ctx, ac, o) })
	if err != nil {
		return fmt.Errorf("applying ClusterRoleBinding %s: %w", want.Name, err)
	}
	results.changed(outcome(exists), want, liveIf(exists, cur, want), got)
	return nil
}

// ClusterRole applies a ClusterRole if it differs.
func (a *Applier) ClusterRole(ctx context.Context, want *rbacv1.ClusterRole, results *Results) error {
	client := a.Client.RbacV1().ClusterRoles()
	cur, err := client.Get(ctx, want.Name, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("reading ClusterRole %s: %w", want.Name, err)
	}
	exists := err == nil
	if exists && !labelsCover(cur.Labels, want.Labels) {
		return notOurs("ClusterRole", "", want.Name)
	}
	if exists && reflect.DeepEqual(cur.Rules, want.Rules) {
		results.add("ClusterRole", "", want.Name, Unchanged)
		return nil
	}
	ac, err := toApply[rbacv1ac.ClusterRoleApplyConfiguration](want)
	if err != nil {
		return err
	}
	got, err := a.send(want, func(o metav1.ApplyOptions) (runtime.Object, error) { return client.Apply(ctx, ac, o) })
	if err != nil {
		return fmt.Errorf("applying ClusterRole %s: %w%s", want.Name, err, escalation(err))
	}
	results.changed(outcome(exists), want, liveIf(exists, cur, want), got)
	return nil
}

// ServiceAccount creates a ServiceAccount if none of that name exists. An
// existing one, the plugin's or not, is left as it is.
func (a *Applier) ServiceAccount(ctx context.Context, want *corev1.ServiceAccount, results *Results) error {
	client := a.Client.CoreV1().ServiceAccounts(want.Namespace)
	_, err := client.Get(ctx, want.Name, metav1.GetOptions{})
	if err == nil {
		results.add("ServiceAccount", want.Namespace, want.Name, Unchanged)
		return nil
	}
	if !apierrors.IsNotFound(err) {
		return fmt.Errorf("reading ServiceAccount %s/%s: %w", want.Namespace, want.Name, err)
	}
	ac, err := toApply[corev1ac.ServiceAccountApplyConfiguration](want)
	if err != nil {
		return err
	}
	got, err := a.send(want, func(o metav1.ApplyOptions) (runtime.Object, error) { return client.Apply(ctx, ac, o) })
	if err != nil {
		return fmt.Errorf("creating ServiceAccount %s/%s: %w", want.Namespace, want.Name, err)
	}
	results.changed(Created, want, nil, got)
	return nil
}

// Namespace creates a tenant namespace, or checks that an existing one is
// the tenant's. An unlabelled one is adopted (labelled) only with adopt;
// one labelled for another tenant is always an error.
func (a *Applier) Namespace(ctx context.Context, tenantName string, want *corev1.Namespace, adopt bool, results *Results) error {
	client := a.Client.CoreV1().Namespaces()
	cur, err := client.Get(ctx, want.Name, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("reading namespace %s: %w", want.Name, err)
	}
	exists := err == nil
	if exists {
		owner := cur.Labels[tenant.LabelTenant]
		switch {
		case labelsCover(cur.Labels, want.Labels):
			results.add("Namespace", "", want.Name, Unchanged)
			return nil
		case owner != "" && owner != tenantName:
			return &NamespaceConflict{fmt.Sprintf("namespace %s belongs to tenant %q; choose another namespace", want.Name, owner)}
		case !adopt:
			return &NamespaceConflict{fmt.Sprintf("namespace %s already exists and no tenant owns it; pass --adopt-namespaces to adopt it", want.Name)}
		}
	}
	ac, err := toApply[corev1ac.NamespaceApplyConfiguration](want)
	if err != nil {
		return err
	}
	got, err := a.send(want, func(o metav1.ApplyOptions) (runtime.Object, error) { return client.Apply(ctx, ac, o) })
	if err != nil {
		return fmt.Errorf("applying namespace %s: %w", want.Name, err)
	}
	results.changed(outcome(exists), want, liveIf(exists, cur, want), got)
	return nil
}

// DeleteRoleBindings deletes the named bindings that carry the tenant's
// label; any other object of that name is left alone.
func (a *Applier) DeleteRoleBindings(ctx context.Context, tenantName string, bindings []*rbacv1.RoleBinding, results *Results) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(Concurrency)
	for _, rb := range bindings {
		g.Go(func() error {
			client := a.Client.RbacV1().RoleBindings(rb.Namespace)
			cur, err := client.Get(ctx, rb.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("reading RoleBinding %s/%s: %w", rb.Namespace, rb.Name, err)
			}
			if !labelsCover(cur.Labels, rb.Labels) {
				return nil
			}
			pre := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &cur.UID}, DryRun: a.deleteOptions().DryRun}
			if err := client.Delete(ctx, rb.Name, pre); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("deleting RoleBinding %s/%s: %w", rb.Namespace, rb.Name, err)
			}
			results.add("RoleBinding", rb.Namespace, rb.Name, Deleted)
			return nil
		})
	}
	return g.Wait()
}

// DeleteClusterRoleBinding deletes a cluster-wide binding that carries the
// tenant's label.
func (a *Applier) DeleteClusterRoleBinding(ctx context.Context, want *rbacv1.ClusterRoleBinding, results *Results) error {
	return deleteLabelled[*rbacv1.ClusterRoleBinding](ctx, a, "ClusterRoleBinding", want, a.Client.RbacV1().ClusterRoleBindings(), results)
}

// DeleteClusterRole deletes a ClusterRole that carries the tenant's
// label.
func (a *Applier) DeleteClusterRole(ctx context.Context, want *rbacv1.ClusterRole, results *Results) error {
	return deleteLabelled[*rbacv1.ClusterRole](ctx, a, "ClusterRole", want, a.Client.RbacV1().ClusterRoles(), results)
}

// DeleteServiceAccount deletes a ServiceAccount only if the plugin created
// it for this tenant.
func (a *Applier) DeleteServiceAccount(ctx context.Context, want *corev1.ServiceAccount, results *Results) error {
	return deleteLabelled[*corev1.ServiceAccount](ctx, a, "ServiceAccount", want, a.Client.CoreV1().ServiceAccounts(want.Namespace), results)
}

// getDeleter is the part of a typed client-go client deleteLabelled uses.
type getDeleter[T metav1.Object] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
}

// deleteLabelled deletes the object named as want if it carries want's
// labels (the plugin made it for this tenant); another object of that
// name is left alone, and a missing one is no error. With ReportOnly it
// is only reported.
func deleteLabelled[T metav1.Object](ctx context.Context, a *Applier, kind string, want metav1.Object, client getDeleter[T], results *Results) error {
	name := want.GetName()
	if ns := want.GetNamespace(); ns != "" {
		name = ns + "/" + name
	}
	cur, err := client.Get(ctx, want.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s %s: %w", kind, name, err)
	}
	if !labelsCover(cur.GetLabels(), want.GetLabels()) {
		return nil
	}
	del := func(opts metav1.DeleteOptions) error { return client.Delete(ctx, want.GetName(), opts) }
	if err := a.delete(ctx, del); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting %s %s: %w", kind, name, err)
	}
	results.add(kind, want.GetNamespace(), want.GetName(), Deleted)
	return nil
}

// escalation explains the API server's refusal of a role that holds more
// than its writer does; it is empty for any other error.
func escalation(err error) string {
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "attempting to grant RBAC permissions not currently held") {
		return ""
	}
	return " (the API server's escalation check: a role may hold only rights its writer holds; have someone who holds them apply it, or be granted the escalate verb on clusterroles)"
}

// NamespaceConflict is a namespace that exists and is not the tenant's
// to take: another tenant's, or (without adopting) nobody's.
type NamespaceConflict struct{ msg string }

func (e *NamespaceConflict) Error() string { return e.msg }

func labelsCover(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func notOurs(kind, ns, name string) error {
	if ns != "" {
		name = ns + "/" + name
	}
	return fmt.Errorf("%s %s exists and was not made by kubectl-tenant for this tenant; it is left alone: remove or rename it first", kind, name)
}

// liveIf is the object read before a change, with its kind, or nil when
// there was none.
func liveIf[T runtime.Object](exists bool, cur T, want runtime.Object) runtime.Object {
	if !exists {
		return nil
	}
	return withKind(cur, want)
}

func outcome(existed bool) Outcome {
	if existed {
		return Updated
	}
	return Created
}
