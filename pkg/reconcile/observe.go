package reconcile

import (
	"context"
	"io"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Observation is what a tenant's cluster holds of what its record asks
// for, read without changing anything.
type Observation struct {
	// Unreachable says why the cluster could not be read; empty when it
	// answered.
	Unreachable string
	// Namespaces the record lists, and how many of them are there and the
	// tenant's.
	Namespaces, NamespacesPresent int
	// Objects the grants and roles need (bindings, ClusterRoles,
	// ServiceAccounts), and how many are in place as the record says.
	Objects, ObjectsInPlace int
}

// Observe reads tenant t's cluster, through conn, against its record:
// a client dry run of a reconcile, without the IAM mappings (which would
// take AWS calls). It changes nothing.
func Observe(ctx context.Context, conn *cluster.Connection, t *tenant.Tenant) Observation {
	want := rbac.ForTenant(t)
	o := Observation{
		Namespaces: len(want.Namespaces),
		Objects:    len(want.ServiceAccounts) + len(want.RoleBindings) + len(want.ClusterRoles) + len(want.ClusterRoleBindings),
	}
	r := Tenant(ctx, conn, nil, t, Options{Mode: ClientDryRun, SkipIAM: true, Out: io.Discard, Warn: io.Discard})
	if r.ServerVersion == "" {
		for _, c := range r.Conditions {
			if c.Type == tenant.ConditionClusterReady {
				o.Unreachable = c.Message
			}
		}
		return o
	}
	for _, x := range r.Results.List() {
		if x.Outcome != apply.Unchanged {
			continue
		}
		if x.Kind == "Namespace" {
			o.NamespacesPresent++
		} else {
			o.ObjectsInPlace++
		}
	}
	return o
}
