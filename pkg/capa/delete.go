package capa

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	infrav1 "sigs.k8s.io/cluster-api-provider-aws/v2/api/v1beta2"
)

// Deleter removes a CAPA tenant's objects from the management cluster.
type Deleter struct {
	Client dynamic.Interface
	// DryRun has the API server check each deletion and keep everything;
	// nothing is waited for.
	DryRun bool
	// Timeout bounds the wait for each object to be gone; Interval is how
	// often it is read; Progress hears what is waited for.
	Timeout, Interval time.Duration
	Progress          func(string)
}

// Delete removes what the plugin made for tenantName (objs, as Objects
// gives them), each checked at the point of deletion: it must carry the
// plugin's and the tenant's labels. The cluster's own objects (Cluster,
// control plane, AWSManagedCluster, machine pools) are checked before any
// goes: if one is not the tenant's, nothing is deleted, since deleting
// the others would have CAPA delete the EKS cluster all the same. The
// Cluster goes first, and is waited for: Cluster API deletes the control
// plane and machine pools with it, and CAPA the EKS cluster and its node
// groups. Then whatever of those is left, each waited for; then the
// identities, last hop first, each only when nothing else uses it; the
// namespace last, only when it holds nothing but what Cluster API and
// CAPA made for the cluster. It returns what stayed, and why.
func (d Deleter) Delete(ctx context.Context, tenantName string, objs []*unstructured.Unstructured) (kept []string, err error) {
	order := map[string]int{"Cluster": 0, "MachinePool": 1, "AWSManagedMachinePool": 2, "AWSManagedControlPlane": 3, "AWSManagedCluster": 4, "AWSClusterRoleIdentity": 5, "Namespace": 6}
	sorted := slices.Clone(objs)
	slices.SortStableFunc(sorted, func(a, b *unstructured.Unstructured) int { return order[a.GetKind()] - order[b.GetKind()] })
	// Identities last hop first: each names the one before as its source.
	var ids []*unstructured.Unstructured
	rest := sorted[:0:0]
	for _, o := range sorted {
		if o.GetKind() == "AWSClusterRoleIdentity" {
			ids = append([]*unstructured.Unstructured{o}, ids...)
			continue
		}
		rest = append(rest, o)
	}
	ns := rest[len(rest)-1]
	rest = append(append(rest[:len(rest)-1:len(rest)-1], ids...), ns)

	// The tenant's own objects, which a dry run finds still there and an
	// identity check must not count as users.
	own := map[string]bool{}
	for _, obj := range rest {
		own[describe(obj)] = true
		if order[obj.GetKind()] > order["AWSManagedCluster"] {
			continue
		}
		cur, err := d.get(ctx, obj)
		if err != nil {
			return nil, err
		}
		if cur != nil && ownerOf(cur.GetLabels()) != tenantName {
			return nil, fmt.Errorf("%s is not kubectl-tenant's for tenant %q: nothing of the cluster is deleted, since deleting the rest would have CAPA delete the EKS cluster all the same", describe(obj), tenantName)
		}
	}
	for _, obj := range rest {
		cur, err := d.get(ctx, obj)
		if err != nil {
			return kept, err
		}
		if cur == nil {
			continue
		}
		if ownerOf(cur.GetLabels()) != tenantName {
			kept = append(kept, describe(obj)+" (not kubectl-tenant's for tenant "+tenantName+")")
			continue
		}
		var user string
		switch obj.GetKind() {
		case "AWSClusterRoleIdentity":
			user, err = d.identityUser(ctx, obj.GetName(), own)
		case "Namespace":
			user, err = d.namespaceUser(ctx, obj.GetName(), rest[0].GetName(), own) // rest[0] is the Cluster
		}
		if err != nil {
			return kept, err
		}
		if user != "" {
			kept = append(kept, describe(obj)+" (used by "+user+")")
			continue
		}
		opts := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: ptrUID(cur)}}
		if d.DryRun {
			opts.DryRun = []string{metav1.DryRunAll}
		} else {
			policy := metav1.DeletePropagationBackground // as Cluster API documents: its controllers delete the rest in order
			opts.PropagationPolicy = &policy
		}
		res, _ := Resource(d.Client, obj)
		if err := res.Delete(ctx, obj.GetName(), opts); err != nil && !apierrors.IsNotFound(err) {
			return kept, fmt.Errorf("deleting %s: %w", describe(obj), err)
		}
		if d.DryRun {
			d.Progress(describe(obj) + " would be deleted")
			continue
		}
		if err := d.waitGone(ctx, obj); err != nil {
			return kept, err
		}
		d.Progress(describe(obj) + " deleted")
	}
	return kept, nil
}

// get reads obj as stored: nil when there is none.
func (d Deleter) get(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	res, err := Resource(d.Client, obj)
	if err != nil {
		return nil, err
	}
	cur, err := res.Get(ctx, obj.GetName(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", describe(obj), err)
	}
	return cur, nil
}

// namespaceUser names what keeps namespace ns ("" if nothing): a Cluster
// API or CAPA object that is not the tenant's (own), or a Secret that is
// not one Cluster API or CAPA made for cluster (named CLUSTER-...).
func (d Deleter) namespaceUser(ctx context.Context, ns, cluster string, own map[string]bool) (string, error) {
	for kind, gvr := range resources {
		if kind == "Namespace" || strings.HasPrefix(kind, "AWSCluster") && strings.HasSuffix(kind, "Identity") {
			continue
		}
		list, err := d.Client.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(err) {
			continue // not served here
		}
		if err != nil {
			return "", fmt.Errorf("listing the %s of namespace %s: %w", gvr.Resource, ns, err)
		}
		for _, item := range list.Items {
			item.SetKind(kind)
			if d.DryRun && own[describe(&item)] {
				continue // still there only because nothing was deleted
			}
			return describe(&item), nil
		}
	}
	secrets, err := d.Client.Resource(schema.GroupVersionResource{Version: "v1", Resource: "secrets"}).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("listing the Secrets of namespace %s: %w", ns, err)
	}
	for _, item := range secrets.Items {
		if !strings.HasPrefix(item.GetName(), cluster+"-") {
			return "Secret " + ns + "/" + item.GetName(), nil
		}
	}
	return "", nil
}

// waitGone waits until obj is gone, saying what it waits for.
func (d Deleter) waitGone(ctx context.Context, obj *unstructured.Unstructured) error {
	res, _ := Resource(d.Client, obj)
	said, last := false, error(nil)
	err := wait.PollUntilContextTimeout(ctx, d.Interval, d.Timeout, true, func(ctx context.Context) (bool, error) {
		_, err := res.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		last = err
		if !said && err == nil {
			msg := "waiting for " + describe(obj) + " to go"
			if obj.GetKind() == "Cluster" || obj.GetKind() == "AWSManagedControlPlane" {
				msg = "waiting for Cluster API and CAPA to delete the EKS cluster and let " + describe(obj) + " go"
			}
			d.Progress(msg)
			said = true
		}
		return false, nil
	})
	if err != nil {
		if last != nil {
			err = fmt.Errorf("%w (last read: %v)", err, last)
		}
		return fmt.Errorf("%s is still there after %s: %w; re-run the same command to go on waiting", describe(obj), d.Timeout, err)
	}
	return nil
}

// identityUsers are the kinds whose objects name an identity, and where:
// CAPA's EKS control planes and self-managed AWSClusters (identityRef),
// and identities chained from it (sourceIdentityRef).
var identityUsers = []struct {
	kind  string
	gvr   schema.GroupVersionResource
	field string
}{
	{"AWSManagedControlPlane", resources["AWSManagedControlPlane"], "identityRef"},
	{"AWSCluster", schema.GroupVersionResource{Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta2", Resource: "awsclusters"}, "identityRef"},
	{"AWSClusterRoleIdentity", resources["AWSClusterRoleIdentity"], "sourceIdentityRef"},
}

// identityUser names an object other than the tenant's own that uses
// identity name ("" if none). A kind the management cluster does not
// serve has no users.
func (d Deleter) identityUser(ctx context.Context, name string, own map[string]bool) (string, error) {
	for _, u := range identityUsers {
		list, err := d.Client.Resource(u.gvr).List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("listing %s, to see who else uses identity %s: %w", u.gvr.Resource, name, err)
		}
		for _, item := range list.Items {
			item.SetKind(u.kind)
			kind, _, _ := unstructured.NestedString(item.Object, "spec", u.field, "kind")
			ref, _, _ := unstructured.NestedString(item.Object, "spec", u.field, "name")
			if kind == string(infrav1.ClusterRoleIdentityKind) && ref == name && !own[describe(&item)] {
				return describe(&item), nil
			}
		}
	}
	return "", nil
}

func ptrUID(u *unstructured.Unstructured) *types.UID {
	uid := u.GetUID()
	return &uid
}
