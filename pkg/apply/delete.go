package apply

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
	sel := metav1.ListOptions{LabelSelector: rbac.Selector(tenantName)}
	for _, ns := range namespaces {
		rbs, err := a.Client.RbacV1().RoleBindings(ns).List(ctx, sel)
		if err != nil {
			return fmt.Errorf("listing the tenant's RoleBindings in %s: %w", ns, err)
		}
		for _, rb := range rbs.Items {
			if err := a.delete(ctx, func(o metav1.DeleteOptions) error { return a.Client.RbacV1().RoleBindings(ns).Delete(ctx, rb.Name, o) }); err != nil {
				return fmt.Errorf("deleting RoleBinding %s/%s: %w", ns, rb.Name, err)
			}
			results.add("RoleBinding", ns, rb.Name, Deleted)
		}
		sas, err := a.Client.CoreV1().ServiceAccounts(ns).List(ctx, sel)
		if err != nil {
			return fmt.Errorf("listing the tenant's ServiceAccounts in %s: %w", ns, err)
		}
		for _, sa := range sas.Items {
			if err := a.delete(ctx, func(o metav1.DeleteOptions) error {
				return a.Client.CoreV1().ServiceAccounts(ns).Delete(ctx, sa.Name, o)
			}); err != nil {
				return fmt.Errorf("deleting ServiceAccount %s/%s: %w", ns, sa.Name, err)
			}
			results.add("ServiceAccount", ns, sa.Name, Deleted)
		}
	}
	crbs, err := a.Client.RbacV1().ClusterRoleBindings().List(ctx, sel)
	if err != nil {
		return fmt.Errorf("listing the tenant's ClusterRoleBindings: %w", err)
	}
	for _, crb := range crbs.Items {
		if err := a.delete(ctx, func(o metav1.DeleteOptions) error {
			return a.Client.RbacV1().ClusterRoleBindings().Delete(ctx, crb.Name, o)
		}); err != nil {
			return fmt.Errorf("deleting ClusterRoleBinding %s: %w", crb.Name, err)
		}
		results.add("ClusterRoleBinding", "", crb.Name, Deleted)
	}
	crs, err := a.Client.RbacV1().ClusterRoles().List(ctx, sel)
	if err != nil {
		return fmt.Errorf("listing the tenant's ClusterRoles: %w", err)
	}
	for _, cr := range crs.Items {
		if err := a.delete(ctx, func(o metav1.DeleteOptions) error { return a.Client.RbacV1().ClusterRoles().Delete(ctx, cr.Name, o) }); err != nil {
			return fmt.Errorf("deleting ClusterRole %s: %w", cr.Name, err)
		}
		results.add("ClusterRole", "", cr.Name, Deleted)
	}
	return nil
}

// DeleteNamespace deletes a namespace if it carries the tenant's label.
func (a *Applier) DeleteNamespace(ctx context.Context, tenantName, name string, results *Results) error {
	ns, err := a.Client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading namespace %s: %w", name, err)
	}
	if !rbac.IsManaged(ns, tenantName) {
		return fmt.Errorf("namespace %s is not labelled for tenant %q; it is left alone", name, tenantName)
	}
	if err := a.delete(ctx, func(o metav1.DeleteOptions) error { return a.Client.CoreV1().Namespaces().Delete(ctx, name, o) }); err != nil {
		return fmt.Errorf("deleting namespace %s: %w", name, err)
	}
	results.add("Namespace", "", name, Deleted)
	return nil
}
