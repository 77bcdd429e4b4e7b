package capa

import (
	"context"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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
// plugin's and the tenant's labels, else it stays and is reported. The
// Cluster goes first, and is waited for: Cluster API deletes the
// control plane and machine pools with it, and CAPA the EKS cluster and
// its node groups. Then whatever of those is left, each waited for; then
// the identities, last hop first, each only when no control plane or
// identity outside this tenant's uses it; the namespace last. It returns
// what stayed.
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

	for _, obj := range rest {
		res, err := Resource(d.Client, obj)
		if err != nil {
			return kept, err
		}
		cur, err := res.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return kept, fmt.Errorf("reading %s: %w", describe(obj), err)
		}
		if ownerOf(cur.GetLabels()) != tenantName {
			kept = append(kept, describe(obj)+" (not kubectl-tenant's for tenant "+tenantName+")")
			continue
		}
		if obj.GetKind() == "AWSClusterRoleIdentity" {
			user, err := d.identityUser(ctx, obj.GetName())
			if err != nil {
				return kept, err
			}
			if user != "" {
				kept = append(kept, describe(obj)+" (used by "+user+")")
				continue
			}
		}
		opts := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: ptrUID(cur)}}
		if d.DryRun {
			opts.DryRun = []string{metav1.DryRunAll}
		} else {
			policy := metav1.DeletePropagationForeground
			opts.PropagationPolicy = &policy
		}
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

// waitGone waits until obj is gone, saying what it waits for.
func (d Deleter) waitGone(ctx context.Context, obj *unstructured.Unstructured) error {
	res, _ := Resource(d.Client, obj)
	said := false
	err := wait.PollUntilContextTimeout(ctx, d.Interval, d.Timeout, true, func(ctx context.Context) (bool, error) {
		_, err := res.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
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
		return fmt.Errorf("%s is still there after %s: %w; re-run the same command to go on waiting", describe(obj), d.Timeout, err)
	}
	return nil
}

// identityUser names a control plane, or another identity, that uses
// identity name ("" if none): the tenant's own are gone by then.
func (d Deleter) identityUser(ctx context.Context, name string) (string, error) {
	cps, err := d.Client.Resource(resources["AWSManagedControlPlane"]).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("listing control planes, to see who else uses identity %s: %w", name, err)
	}
	for _, cp := range cps.Items {
		kind, _, _ := unstructured.NestedString(cp.Object, "spec", "identityRef", "kind")
		ref, _, _ := unstructured.NestedString(cp.Object, "spec", "identityRef", "name")
		if kind == string(infrav1.ClusterRoleIdentityKind) && ref == name {
			return "AWSManagedControlPlane " + cp.GetNamespace() + "/" + cp.GetName(), nil
		}
	}
	ids, err := d.Client.Resource(resources["AWSClusterRoleIdentity"]).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("listing identities, to see who else uses identity %s: %w", name, err)
	}
	for _, id := range ids.Items {
		kind, _, _ := unstructured.NestedString(id.Object, "spec", "sourceIdentityRef", "kind")
		ref, _, _ := unstructured.NestedString(id.Object, "spec", "sourceIdentityRef", "name")
		if kind == string(infrav1.ClusterRoleIdentityKind) && ref == name && id.GetName() != name {
			return "AWSClusterRoleIdentity " + id.GetName(), nil
		}
	}
	return "", nil
}

func ptrUID(u *unstructured.Unstructured) *types.UID {
	uid := u.GetUID()
	return &uid
}
