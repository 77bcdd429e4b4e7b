package clusterregistry_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/clusterregistry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// The cluster registry behaves as the file registry does, through the
// same interface: put, get, list, edit and delete a record, with its
// status kept through the status subresource.
func TestRegistryKeepsRecords(t *testing.T) {
	ctx := context.Background()
	reg := clusterregistry.NewRegistry(install(t))
	rec := tenant.New("keep")
	rec.Spec = tenant.Spec{Cluster: tenant.Cluster{Context: "workload"}, AWS: &tenant.AWS{Region: "eu-west-1"}, Namespaces: []string{"keep"}}
	rec.Status.KubernetesVersion = "v1.36.3"
	rec.Status.CAData = []byte("-----BEGIN CERTIFICATE-----")
	if err := reg.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Delete(ctx, "keep") })
	got, err := reg.Get(ctx, "keep")
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.AWS.Region != "eu-west-1" || got.Status.KubernetesVersion != "v1.36.3" || string(got.Status.CAData) != "-----BEGIN CERTIFICATE-----" {
		t.Errorf("the record came back as %+v, status %+v", got.Spec, got.Status)
	}
	// A record read elsewhere (another cluster, a stale copy) replaces
	// this one: Put takes nothing the server owns from it.
	foreign := got.DeepCopy()
	foreign.UID, foreign.ResourceVersion, foreign.Generation = "0d0c7f36-0000-4000-8000-000000000000", "1", 7
	if err := reg.Put(ctx, foreign); err != nil {
		t.Fatalf("putting a record read elsewhere: %v", err)
	}
	err = reg.Edit(ctx, "keep", func(t *tenant.Tenant) (bool, error) {
		t.Spec.Namespaces = append(t.Spec.Namespaces, "keep-ci")
		t.Status.KubernetesVersion = "v1.36.4"
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	list, err := reg.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list, func(t tenant.Tenant) bool { return t.Name == "keep" })
	if i < 0 || !slices.Equal(list[i].Spec.Namespaces, []string{"keep", "keep-ci"}) || list[i].Status.KubernetesVersion != "v1.36.4" {
		t.Errorf("after the edit the list holds %+v", list)
	}
	bad := func(t *tenant.Tenant) (bool, error) { t.Spec.Namespaces = nil; return true, nil }
	if err := reg.Edit(ctx, "keep", bad); err == nil {
		t.Error("an edit that leaves no namespace was stored")
	}
	if err := reg.Delete(ctx, "keep"); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Get(ctx, "keep"); !errors.Is(err, tenant.ErrNotFound) {
		t.Errorf("after delete, get says %v", err)
	}
	if err := reg.Delete(ctx, "keep"); err != nil {
		t.Errorf("deleting a deleted tenant: %v", err)
	}
}

// Twenty writers edit one tenant at once, each adding its own grant: the
// conflicts the apiserver reports are retried on the newer record, and no
// grant is lost.
func TestRegistryConcurrentEditsLoseNothing(t *testing.T) {
	ctx := context.Background()
	reg := clusterregistry.NewRegistry(install(t))
	rec := tenant.New("race")
	rec.Spec = tenant.Spec{Cluster: tenant.Cluster{Context: "workload"}, Namespaces: []string{"race"}}
	if err := reg.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Delete(ctx, "race") })
	const writers = 20
	var runs atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			errs <- reg.Edit(ctx, "race", func(t *tenant.Tenant) (bool, error) {
				runs.Add(1)
				t.Spec.Grants = append(t.Spec.Grants, tenant.Grant{Subject: tenant.Subject{Kind: tenant.SubjectUser, Name: fmt.Sprintf("user-%02d", i)}, Role: "view"})
				return true, nil
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	got, err := reg.Get(ctx, "race")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Spec.Grants) != writers {
		t.Errorf("%d of %d grants survived", len(got.Spec.Grants), writers)
	}
	t.Logf("%d writers ran their change %d times", writers, runs.Load())
	if runs.Load() == writers {
		t.Log("no write conflicted this time: the retry path was not exercised")
	}
}
