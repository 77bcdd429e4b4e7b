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

// Unstructured is objs as they are written and printed: only what the
// plugin means to say, so that server-side apply makes it the owner of
// nothing else. CAPA's Go types write some structs whether set or not;
// left out are the empty ones, the zero controlPlaneEndpoint (CAPA fills
// it in: owning it would make every re-run conflict with CAPA), a
// bastion that is not enabled, an empty identity selector (the identity
// then says only the list it admits), and the creationTimestamp and
// status the API server fills in.
func Unstructured(objs []runtime.Object) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, obj := range objs {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return nil, err
		}
		delete(u, "status")
		unstructured.RemoveNestedField(u, "metadata", "creationTimestamp")
		if ep, _, _ := unstructured.NestedMap(u, "spec", "controlPlaneEndpoint"); ep["host"] == "" && (ep["port"] == int64(0) || ep["port"] == nil) {
			unstructured.RemoveNestedField(u, "spec", "controlPlaneEndpoint")
		}
		if b, ok, _ := unstructured.NestedMap(u, "spec", "bastion"); ok && len(b) == 1 && b["enabled"] == false {
			unstructured.RemoveNestedField(u, "spec", "bastion")
		}
		pruneEmpty(u)
		out = append(out, &unstructured.Unstructured{Object: u})
	}
	return out, nil
}

// pruneEmpty removes, depth first, every field of m whose value is an
// empty map.
func pruneEmpty(m map[string]any) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			pruneEmpty(sub)
			if len(sub) == 0 {
				delete(m, k)
			}
		}
	}
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
// it did not make. It then has the API server check every object with a
// server-side dry run of its apply (a new namespace is made first, since
// a dry run cannot put objects in a namespace that does not exist), so
// that an object the server or an admission webhook refuses stops the
// run before CAPA sees any of the others; an object whose dry run gives
// back what is stored is unchanged and not written, so a re-run writes
// nothing. The rest are applied, server-side as kubectl-tenant. A field
// another manager (CAPA, a GitOps tool, a person) owns is a conflict,
// reported and not taken over.
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
	written := make([]bool, len(objs))
	for i, obj := range objs {
		if obj.GetKind() == "Namespace" && live[i] == nil && !a.DryRun {
			if _, err := a.patch(ctx, obj, false); err != nil {
				return err
			}
			results.Add(obj.GetKind(), "", obj.GetName(), apply.Created)
			written[i] = true
		}
	}
	changed := make([]bool, len(objs))
	for i, obj := range objs {
		if written[i] {
			continue
		}
		got, err := a.patch(ctx, obj, true)
		if err != nil {
			return err
		}
		changed[i] = live[i] == nil || !sameObject(live[i], got)
	}
	for i, obj := range objs {
		outcome := apply.Unchanged
		switch {
		case written[i]:
			continue
		case changed[i] && live[i] == nil:
			outcome = apply.Created
		case changed[i]:
			outcome = apply.Updated
		}
		if changed[i] && !a.DryRun {
			if _, err := a.patch(ctx, obj, false); err != nil {
				return err
			}
		}
		results.Add(obj.GetKind(), obj.GetNamespace(), obj.GetName(), outcome)
	}
	return nil
}

// patch applies obj server-side as kubectl-tenant, or only checks it
// (dryRun), and returns what is, or would be, stored.
func (a Applier) patch(ctx context.Context, obj *unstructured.Unstructured, dryRun bool) (*unstructured.Unstructured, error) {
	res, err := Resource(a.Client, obj)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return nil, err
	}
	opts := metav1.PatchOptions{FieldManager: tenant.FieldManager}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	got, err := res.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, opts)
	switch {
	case apierrors.IsConflict(err):
		return nil, fmt.Errorf("applying %s: %w (another manager owns these fields; kubectl-tenant does not take them over: change them back, or change the tenant to match)", describe(obj), err)
	case err != nil:
		return nil, fmt.Errorf("applying %s: %w", describe(obj), err)
	}
	return got, nil
}

// sameObject reports whether an apply's result stores nothing new:
// equal but for what every write changes (resourceVersion, generation,
// managedFields' times) and the status, which only CAPA writes and which
// may move between the read and the dry run.
func sameObject(live, got *unstructured.Unstructured) bool {
	strip := func(u *unstructured.Unstructured) map[string]any {
		c := u.DeepCopy().Object
		for _, f := range []string{"resourceVersion", "generation", "managedFields"} {
			unstructured.RemoveNestedField(c, "metadata", f)
		}
		delete(c, "status") // CAPA's, and no apply of the plugin's changes it
		return c
	}
	return reflect.DeepEqual(strip(live), strip(got))
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
		fix = "choose another namespace (--management-namespace, or spec.cluster.capa.namespace)"
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
