package capa

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// The resources of the kinds a CAPA tenant is made of, and of the
// identities its chain may start from.
var resources = map[string]schema.GroupVersionResource{
	"Namespace":                    {Version: "v1", Resource: "namespaces"},
	"AWSClusterRoleIdentity":       {Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta2", Resource: "awsclusterroleidentities"},
	"AWSClusterControllerIdentity": {Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta2", Resource: "awsclustercontrolleridentities"},
	"AWSClusterStaticIdentity":     {Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta2", Resource: "awsclusterstaticidentities"},
	"Cluster":                      {Group: "cluster.x-k8s.io", Version: "v1beta2", Resource: "clusters"},
	"AWSManagedCluster":            {Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta2", Resource: "awsmanagedclusters"},
	"AWSManagedControlPlane":       {Group: "controlplane.cluster.x-k8s.io", Version: "v1beta2", Resource: "awsmanagedcontrolplanes"},
	"MachinePool":                  {Group: "cluster.x-k8s.io", Version: "v1beta2", Resource: "machinepools"},
	"AWSManagedMachinePool":        {Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta2", Resource: "awsmanagedmachinepools"},
}

// Resource is the resource of obj's kind, in its namespace.
func Resource(client dynamic.Interface, obj *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvr, ok := resources[obj.GetKind()]
	if !ok {
		return nil, fmt.Errorf("kubectl-tenant does not write a %s", obj.GetKind())
	}
	if obj.GetNamespace() == "" {
		return client.Resource(gvr), nil
	}
	return client.Resource(gvr).Namespace(obj.GetNamespace()), nil
}

// Unstructured is objs as they are written and printed: no empty
// creationTimestamp and no status, which the API server fills in, and no
// empty identity selector (CAPA's Go type always has one; left out, the
// identity says only the list it admits).
func Unstructured(objs []runtime.Object) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, obj := range objs {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return nil, err
		}
		delete(u, "status")
		unstructured.RemoveNestedField(u, "metadata", "creationTimestamp")
		if sel, ok, _ := unstructured.NestedMap(u, "spec", "allowedNamespaces", "selector"); ok && len(sel) == 0 {
			unstructured.RemoveNestedField(u, "spec", "allowedNamespaces", "selector")
		}
		out = append(out, &unstructured.Unstructured{Object: u})
	}
	return out, nil
}

// Applier writes a tenant's CAPA objects to the management cluster.
type Applier struct {
	Client dynamic.Interface
	// DryRun has the API server check each write and keep nothing.
	DryRun bool
}

// Apply reads every object first, and refuses, before anything is
// written, one that exists and is not the tenant's (by the plugin's
// labels): the plugin never takes over an identity, namespace or cluster
// it did not make. Then it applies, server-side as kubectl-tenant, each
// object that differs from what is stored; an object the stored one
// already covers is unchanged and not written, so a re-run writes
// nothing. A field another manager (a GitOps tool, a person) owns is a
// conflict, reported and not taken over.
func (a Applier) Apply(ctx context.Context, tenantName string, objs []*unstructured.Unstructured, results *apply.Results) error {
	live := make([]*unstructured.Unstructured, len(objs))
	for i, obj := range objs {
		res, err := Resource(a.Client, obj)
		if err != nil {
			return err
		}
		cur, err := res.Get(ctx, obj.GetName(), metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return fmt.Errorf("reading %s: %w", describe(obj), err)
		}
		if owner := cur.GetLabels()[tenant.LabelTenant]; cur.GetLabels()[tenant.LabelManagedBy] != tenant.ManagedBy || owner != tenantName {
			return notTheTenants(cur, tenantName, owner)
		}
		live[i] = cur
	}
	for i, obj := range objs {
		if live[i] != nil && Covers(live[i].Object, obj.Object) {
			results.Add(obj.GetKind(), obj.GetNamespace(), obj.GetName(), apply.Unchanged)
			continue
		}
		res, _ := Resource(a.Client, obj)
		data, err := json.Marshal(obj.Object)
		if err != nil {
			return err
		}
		opts := metav1.PatchOptions{FieldManager: tenant.FieldManager}
		if a.DryRun {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		if _, err := res.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, opts); err != nil {
			if apierrors.IsConflict(err) {
				return fmt.Errorf("applying %s: %w (another manager owns these fields; kubectl-tenant does not take them over: change them back, or change the tenant to match)", describe(obj), err)
			}
			return fmt.Errorf("applying %s: %w", describe(obj), err)
		}
		outcome := apply.Created
		if live[i] != nil {
			outcome = apply.Updated
		}
		results.Add(obj.GetKind(), obj.GetNamespace(), obj.GetName(), outcome)
	}
	return nil
}

// notTheTenants is the refusal to write over an object the tenant does
// not own: another tenant's, or one the plugin did not make.
func notTheTenants(cur *unstructured.Unstructured, tenantName, owner string) error {
	whose := "was not made by kubectl-tenant"
	if owner != "" && cur.GetLabels()[tenant.LabelManagedBy] == tenant.ManagedBy {
		whose = fmt.Sprintf("belongs to tenant %q", owner)
	}
	fix := "choose another tenant name"
	switch cur.GetKind() {
	case "Namespace":
		fix = "choose another namespace with --management-namespace"
	case "AWSClusterRoleIdentity":
		fix = "the plugin names a tenant's identities TENANT and TENANT-hop-N: choose another tenant name, or remove or rename that identity"
	}
	return fmt.Errorf("%s %s in the management cluster; kubectl-tenant does not take it over for tenant %q: %s", describe(cur), whose, tenantName, fix)
}

// describe names an object for a message: KIND NAME or KIND NS/NAME.
func describe(obj *unstructured.Unstructured) string {
	if obj.GetNamespace() != "" {
		return obj.GetKind() + " " + obj.GetNamespace() + "/" + obj.GetName()
	}
	return obj.GetKind() + " " + obj.GetName()
}

// Covers reports whether live already holds everything want says: each
// field of want is in live with the same value (maps are compared key
// by key, so what the API server or CAPA added is ignored; lists element
// by element, of the same length).
func Covers(live, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			return len(w) == 0 && live == nil
		}
		for k, v := range w {
			if !Covers(l[k], v) {
				return false
			}
		}
		return true
	case []any:
		l, ok := live.([]any)
		if !ok || len(l) != len(w) {
			return len(w) == 0 && live == nil
		}
		for i := range w {
			if !Covers(l[i], w[i]) {
				return false
			}
		}
		return true
	case int64:
		switch l := live.(type) {
		case int64:
			return l == w
		case float64:
			return l == float64(w)
		}
		return false
	}
	return reflect.DeepEqual(live, want)
}
