package clusterregistry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Registry keeps tenant records as Tenant objects in a management
// cluster: shared by a team, guarded by its RBAC, stored in etcd. Writes
// are optimistic: each carries the resourceVersion it read, and Edit
// reads, changes and writes again on a conflict, so two people never lose
// each other's change. The spec is written to the object and the status
// through its status subresource.
type Registry struct {
	client dynamic.ResourceInterface
}

var _ tenant.Registry = (*Registry)(nil)

// conflictBackoff paces the retries of a write that lost a race: up to
// 100 tries, each after a wait drawn from 20-100 ms, so that every one of
// many writers of one tenant gets its turn (with N writers the last may
// lose N-1 times). The wait does not grow: wait.Backoff ends the retries
// once a growing wait reaches its Cap, which left about ten tries.
var conflictBackoff = wait.Backoff{Steps: 100, Duration: 20 * time.Millisecond, Factor: 1, Jitter: 4}

// NewRegistry is the registry served by the cluster client talks to.
func NewRegistry(client dynamic.Interface) *Registry {
	return &Registry{client: client.Resource(TenantResource)}
}

// Get implements tenant.Registry.
func (r *Registry) Get(ctx context.Context, name string) (*tenant.Tenant, error) {
	obj, err := r.client.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		known, lerr := r.names(ctx)
		if lerr != nil {
			return nil, lerr
		}
		return nil, &tenant.NotFoundError{Name: name, Known: known}
	}
	if err != nil {
		return nil, registryError("reading tenant "+name, err)
	}
	return fromObject(obj)
}

// List implements tenant.Registry.
func (r *Registry) List(ctx context.Context) ([]tenant.Tenant, error) {
	list, err := r.client.List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, registryError("listing tenants", err)
	}
	tenants := make([]tenant.Tenant, 0, len(list.Items))
	for i := range list.Items {
		t, err := fromObject(&list.Items[i])
		if err != nil {
			return nil, err
		}
		tenants = append(tenants, *t)
	}
	sort.Slice(tenants, func(i, j int) bool { return tenants[i].Name < tenants[j].Name })
	return tenants, nil
}

// Put implements tenant.Registry: it creates the tenant, or replaces the
// one there, whatever its resourceVersion.
func (r *Registry) Put(ctx context.Context, t *tenant.Tenant) error {
	if errs := tenant.Validate(t); len(errs) > 0 {
		return fmt.Errorf("tenant %q is not valid: %w", t.Name, errs.ToAggregate())
	}
	// Another writer may create it between the read and the create:
	// read again and replace it, as after a conflict.
	raced := func(err error) bool { return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) }
	return retry.OnError(conflictBackoff, raced, func() error {
		current, err := r.client.Get(ctx, t.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			current = nil
		} else if err != nil {
			return registryError("reading tenant "+t.Name, err)
		}
		// What the server owns comes from this cluster's object, not the
		// record (which may come from a file or another cluster).
		next := t.DeepCopy()
		next.ObjectMeta = metav1.ObjectMeta{Name: t.Name, Labels: t.Labels, Annotations: t.Annotations}
		if current != nil {
			next.ResourceVersion = current.GetResourceVersion()
		}
		return r.write(ctx, current, next)
	})
}

// CheckWrite implements tenant.Registry: a server dry run of recording
// t, so that the API server checks the caller's rights and the record.
func (r *Registry) CheckWrite(ctx context.Context, t *tenant.Tenant) error {
	next := t.DeepCopy()
	next.ObjectMeta = metav1.ObjectMeta{Name: t.Name, Labels: t.Labels, Annotations: t.Annotations}
	obj, err := toObject(next)
	if err != nil {
		return err
	}
	current, err := r.client.Get(ctx, t.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = r.client.Create(ctx, obj, metav1.CreateOptions{FieldManager: tenant.FieldManager, DryRun: []string{metav1.DryRunAll}})
	case err == nil:
		obj.SetResourceVersion(current.GetResourceVersion())
		_, err = r.client.Update(ctx, obj, metav1.UpdateOptions{FieldManager: tenant.FieldManager, DryRun: []string{metav1.DryRunAll}})
	}
	if err != nil {
		return registryError("checking that tenant "+t.Name+" can be recorded", err)
	}
	return nil
}

// Create implements tenant.Registry.
func (r *Registry) Create(ctx context.Context, t *tenant.Tenant) error {
	if errs := tenant.Validate(t); len(errs) > 0 {
		return fmt.Errorf("tenant %q is not valid: %w", t.Name, errs.ToAggregate())
	}
	next := t.DeepCopy()
	next.ObjectMeta = metav1.ObjectMeta{Name: t.Name, Labels: t.Labels, Annotations: t.Annotations}
	err := r.write(ctx, nil, next)
	if apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("tenant %q: %w", t.Name, tenant.ErrExists)
	}
	return err
}

// Delete implements tenant.Registry.
func (r *Registry) Delete(ctx context.Context, name string) error {
	err := r.client.Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return registryError("deleting tenant "+name, err)
	}
	return nil
}

// Edit implements tenant.Registry. Unlike the file registry, it does not
// hold others off while change runs: it reads, runs change, and writes
// with the resourceVersion it read; when someone else wrote first, it
// reads again and runs change again on their record. change must
// therefore be safe to run more than once, which the commands' changes are:
// they read what is in place before they write.
func (r *Registry) Edit(ctx context.Context, name string, change func(*tenant.Tenant) (bool, error)) error {
	var changeErr error
	err := retry.RetryOnConflict(conflictBackoff, func() error {
		obj, err := r.client.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) {
				_, err = r.Get(ctx, name) // the error that names the known tenants
			}
			return err
		}
		t, err := fromObject(obj)
		if err != nil {
			return err
		}
		changed, err := change(t)
		changeErr = err
		if !changed {
			return nil
		}
		if errs := tenant.Validate(t); len(errs) > 0 {
			return fmt.Errorf("tenant %q is not valid: %w", t.Name, errs.ToAggregate())
		}
		return r.write(ctx, obj, t)
	})
	return errors.Join(changeErr, err)
}

// write stores next over current (nil: a new tenant): the object, then
// its status through the status subresource when that differs. A
// conflict is returned as it is, for the caller to retry.
func (r *Registry) write(ctx context.Context, current *unstructured.Unstructured, next *tenant.Tenant) error {
	obj, err := toObject(next)
	if err != nil {
		return err
	}
	var stored *unstructured.Unstructured
	switch {
	case current == nil:
		stored, err = r.client.Create(ctx, obj, metav1.CreateOptions{FieldManager: tenant.FieldManager})
	case sameObject(current, obj):
		stored = current.DeepCopy() // only the status changes: one write, not two
	default:
		stored, err = r.client.Update(ctx, obj, metav1.UpdateOptions{FieldManager: tenant.FieldManager})
	}
	if err != nil {
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			return err // Put reads again and updates; Create says so
		}
		return registryError("writing tenant "+next.Name, err)
	}
	want, _, _ := unstructured.NestedFieldNoCopy(obj.Object, "status")
	have, _, _ := unstructured.NestedFieldNoCopy(stored.Object, "status")
	if want == nil || reflect.DeepEqual(want, have) {
		return nil
	}
	if err := unstructured.SetNestedField(stored.Object, want, "status"); err != nil {
		return err
	}
	if _, err := r.client.UpdateStatus(ctx, stored, metav1.UpdateOptions{FieldManager: tenant.FieldManager}); err != nil {
		if apierrors.IsConflict(err) {
			return err
		}
		return registryError("writing the status of tenant "+next.Name, err)
	}
	return nil
}

// sameObject reports whether next says what current does, status aside:
// spec, labels and annotations.
func sameObject(current, next *unstructured.Unstructured) bool {
	return reflect.DeepEqual(current.Object["spec"], next.Object["spec"]) &&
		maps.Equal(current.GetLabels(), next.GetLabels()) && maps.Equal(current.GetAnnotations(), next.GetAnnotations())
}

// names are the names of the registry's tenants.
func (r *Registry) names(ctx context.Context) ([]string, error) {
	tenants, err := r.List(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(tenants))
	for i, t := range tenants {
		names[i] = t.Name
	}
	return names, nil
}

// fromObject reads a Tenant object as a record, without its managed
// fields.
func fromObject(obj *unstructured.Unstructured) (*tenant.Tenant, error) {
	data, err := obj.MarshalJSON()
	if err != nil {
		return nil, err
	}
	t := &tenant.Tenant{}
	if err := json.Unmarshal(data, t); err != nil {
		return nil, fmt.Errorf("tenant %s in the cluster registry: %w", obj.GetName(), err)
	}
	// Who set which field is the server's bookkeeping, not the record's;
	// kubectl get leaves it out too.
	t.ManagedFields = nil
	return t, nil
}

// toObject writes a record as a Tenant object.
func toObject(t *tenant.Tenant) (*unstructured.Unstructured, error) {
	t = t.DeepCopy()
	t.APIVersion, t.Kind = tenant.APIVersion, tenant.Kind
	data, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	if st, ok := obj.Object["status"].(map[string]any); ok && len(st) == 0 {
		delete(obj.Object, "status")
	}
	return obj, nil
}

// registryError says what a refusal of the registry's cluster means: a
// missing CRD needs init, a forbidden request the registry's RBAC.
func registryError(what string, err error) error {
	switch {
	case apierrors.IsNotFound(err) && isNoTenantResource(err):
		return fmt.Errorf("%s: the cluster has no tenant registry: run 'kubectl tenant init' against it (%w)", what, err)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%s: %w (the registry's ClusterRoles kubectl-tenant:registry-viewer and kubectl-tenant:registry-admin grant reading and changing tenants)", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// isNoTenantResource reports whether a NotFound is about the resource
// itself (no CRD), not one tenant.
func isNoTenantResource(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return false
	}
	d := status.Status().Details
	return d == nil || d.Name == ""
}
