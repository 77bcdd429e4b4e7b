// Package clusterregistry keeps tenant records in a management cluster, as
// Tenant custom resources: what `kubectl tenant init` installs there, and
// how it is installed.
package clusterregistry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"

	"github.com/kubectl-tenant/kubectl-tenant/manifests"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// CRDName is the name of the Tenant CustomResourceDefinition.
const CRDName = "tenants." + tenant.Group

// The resources init writes, by kind: only these kinds are embedded.
var (
	crdResource         = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	clusterRoleResource = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}
	resources           = map[string]schema.GroupVersionResource{
		"CustomResourceDefinition": crdResource,
		"ClusterRole":              clusterRoleResource,
	}
)

// TenantResource is the resource of tenant records.
var TenantResource = schema.GroupVersionResource{Group: tenant.Group, Version: tenant.Version, Resource: "tenants"}

// Objects are what init installs, in order: the Tenant CRD, then the
// registry's ClusterRoles.
func Objects() ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for _, doc := range []string{manifests.TenantCRD, manifests.RegistryRoles} {
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(doc)), 4096)
		for {
			obj := &unstructured.Unstructured{}
			err := dec.Decode(&obj.Object)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("the embedded registry manifests: %w", err)
			}
			if len(obj.Object) == 0 {
				continue
			}
			if _, ok := resources[obj.GetKind()]; !ok {
				return nil, fmt.Errorf("the embedded registry manifests hold a %s, which init does not install", obj.GetKind())
			}
			objs = append(objs, obj)
		}
	}
	return objs, nil
}

// Result is what installing one object did: created, configured or
// unchanged (its resourceVersion did not move).
type Result struct {
	Object *unstructured.Unstructured
	Action string
}

// Install applies objs server-side as kubectl-tenant, reading each first
// so that an object already as it should be is reported unchanged, then
// waits up to timeout for the CRD to be Established. A server dry run
// applies with dryRun=All and waits for nothing. A field another manager
// owns is a conflict, reported, not taken over.
func Install(ctx context.Context, client dynamic.Interface, objs []*unstructured.Unstructured, serverDryRun bool, timeout time.Duration) ([]Result, error) {
	var results []Result
	for _, obj := range objs {
		res := client.Resource(resources[obj.GetKind()])
		before, err := res.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return results, fmt.Errorf("reading %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
		data, err := obj.MarshalJSON()
		if err != nil {
			return results, err
		}
		opts := metav1.PatchOptions{FieldManager: tenant.FieldManager}
		if serverDryRun {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		after, err := res.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, opts)
		if err != nil {
			return results, fmt.Errorf("applying %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
		action := "created"
		switch {
		case before == nil || before.GetResourceVersion() == "":
		case before.GetResourceVersion() == after.GetResourceVersion():
			action = "unchanged"
		default:
			action = "configured"
		}
		results = append(results, Result{Object: after, Action: action})
	}
	if serverDryRun {
		return results, nil
	}
	return results, WaitEstablished(ctx, client, timeout)
}

// WaitEstablished waits until the Tenant CRD is Established, so that the
// next request for tenants is served.
func WaitEstablished(ctx context.Context, client dynamic.Interface, timeout time.Duration) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		crd, err := client.Resource(crdResource).Get(ctx, CRDName, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		conditions, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
		for _, c := range conditions {
			m, _ := c.(map[string]any)
			if m["type"] == "Established" {
				if m["status"] == "True" {
					return true, nil
				}
				last = fmt.Sprintf("%v: %v", m["reason"], m["message"])
			}
		}
		return false, nil
	})
	if err != nil {
		if last == "" {
			last = "no Established condition yet"
		}
		return fmt.Errorf("the Tenant CRD is not Established after %s (%s): %w", timeout, last, err)
	}
	return nil
}
