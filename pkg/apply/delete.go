package apply

import (
	"context"
	"fmt"
	"path"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
)

// delete makes one deletion: sent with the Applier's dry-run options, or
// with ReportOnly not sent at all (the caller still reports it).
func (a *Applier) delete(ctx context.Context, call func(metav1.DeleteOptions) error) error {
	if a.ReportOnly {
		return nil
	}
	return call(a.deleteOptions())
}

// DeleteTenantObjects deletes every object labelled for the tenant: its
// RoleBindings and ServiceAccounts in the given namespaces, and its
// ClusterRoleBindings and ClusterRoles. Selecting by label means nothing
// the plugin did not make for this tenant is touched.
func (a *Applier) DeleteTenantObjects(ctx context.Context, tenantName string, namespaces []string, results *Results) error {
	return a.Prune(ctx, tenantName, namespaces, nil, results)
}

// Key names one object for Prune: its kind, namespace and name.
type Key struct{ Kind, Namespace, Name string }

// KeyOf is obj's Key.
func KeyOf(obj runtime.Object) Key {
	m, _ := meta.Accessor(obj)
	return Key{Kind: obj.GetObjectKind().GroupVersionKind().Kind, Namespace: m.GetNamespace(), Name: m.GetName()}
}

// Prune deletes the objects labelled for the tenant that keep does not
// hold: RoleBindings and ServiceAccounts in the given namespaces,
// ClusterRoleBindings and ClusterRoles. Selecting by label means nothing
// the plugin did not make for this tenant is touched.
func (a *Applier) Prune(ctx context.Context, tenantName string, namespaces []string, keep map[Key]bool, results *Results) error {
	sel := metav1.ListOptions{LabelSelector: rbac.Selector(tenantName)}
	prune := func(obj runtime.Object, gvk schema.GroupVersionKind, call func(metav1.DeleteOptions) error) error {
		obj.GetObjectKind().SetGroupVersionKind(gvk)
		k := KeyOf(obj)
		if keep[k] {
			return nil
		}
		if err := a.delete(ctx, call); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting %s %s: %w", k.Kind, path.Join(k.Namespace, k.Name), err)
		}
		results.changed(Deleted, obj.(metav1.Object), obj, nil)
		return nil
	}
	rbacGV, coreGV := rbacv1.SchemeGroupVersion, corev1.SchemeGroupVersion
	for _, ns := range namespaces {
		rbs, err := a.Client.RbacV1().RoleBindings(ns).List(ctx, sel)
		if err != nil {
			return fmt.Errorf("listing the tenant's RoleBindings in %s: %w", ns, err)
		}
		for i := range rbs.Items {
			rb := &rbs.Items[i]
			if err := prune(rb, rbacGV.WithKind("RoleBinding"), func(o metav1.DeleteOptions) error {
				return a.Client.RbacV1().RoleBindings(ns).Delete(ctx, rb.Name, o)
			}); err != nil {
				return err
			}
		}
		sas, err := a.Client.CoreV1().ServiceAccounts(ns).List(ctx, sel)
		if err != nil {
			return fmt.Errorf("listing the tenant's ServiceAccounts in %s: %w", ns, err)
		}
		for i := range sas.Items {
			sa := &sas.Items[i]
			if err := prune(sa, coreGV.WithKind("ServiceAccount"), func(o metav1.DeleteOptions) error {
				return a.Client.CoreV1().ServiceAccounts(ns).Delete(ctx, sa.Name, o)
			}); err != nil {
				return err
			}
		}
	}
	crbs, err := a.Client.RbacV1().ClusterRoleBindings().List(ctx, sel)
	if err != nil {
		return fmt.Errorf("listing the tenant's ClusterRoleBindings: %w", err)
	}
	for i := range crbs.Items {
		crb := &crbs.Items[i]
		if err := prune(crb, rbacGV.WithKind("ClusterRoleBinding"), func(o metav1.DeleteOptions) error {
			return a.Client.RbacV1().ClusterRoleBindings().Delete(ctx, crb.Name, o)
		}); err != nil {
			return err
		}
	}
	crs, err := a.Client.RbacV1().ClusterRoles().List(ctx, sel)
	if err != nil {
		return fmt.Errorf("listing the tenant's ClusterRoles: %w", err)
	}
	for i := range crs.Items {
		cr := &crs.Items[i]
		if err := prune(cr, rbacGV.WithKind("ClusterRole"), func(o metav1.DeleteOptions) error {
			return a.Client.RbacV1().ClusterRoles().Delete(ctx, cr.Name, o)
		}); err != nil {
			return err
		}
	}
	return nil
}

// DeleteNamespace deletes a namespace if it carries the tenant's label.
// One that is gone already is no error: a re-run after a failure
// continues where it stopped.
func (a *Applier) DeleteNamespace(ctx context.Context, tenantName, name string, results *Results) error {
	ns, err := a.Client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading namespace %s: %w", name, err)
	}
	if !rbac.IsManaged(ns, tenantName) {
		return fmt.Errorf("namespace %s is not labelled for tenant %q; it is left alone", name, tenantName)
	}
	if err := a.delete(ctx, func(o metav1.DeleteOptions) error { return a.Client.CoreV1().Namespaces().Delete(ctx, name, o) }); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting namespace %s: %w", name, err)
	}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	results.changed(Deleted, ns, ns, nil)
	return nil
}
