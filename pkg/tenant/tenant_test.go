package tenant

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func validTenant(name string) *Tenant {
	t := New(name)
	t.Spec.Cluster = Cluster{Context: "kind-dev", Server: "https://127.0.0.1:6443"}
	t.Spec.Namespaces = []string{name, name + "-ci"}
	t.Spec.Grants = []Grant{
		{Subject: Subject{Kind: SubjectServiceAccount, Namespace: name, Name: "deployer"}, Role: "edit"},
		{Subject: Subject{Kind: SubjectUser, Name: "alice@example.com"}, Role: "view", Namespaces: []string{name + "-ci"}},
	}
	return t
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Tenant)
		want   []string // one substring per expected error
	}{
		{"valid", func(*Tenant) {}, nil},
		{"bad name", func(t *Tenant) { t.Name = "Acme_Corp" }, []string{"metadata.name: Invalid value: \"Acme_Corp\""}},
		{"no namespaces", func(t *Tenant) { t.Spec.Namespaces = nil; t.Spec.Grants = nil }, []string{"spec.namespaces: Required value"}},
		{"duplicate namespace", func(t *Tenant) { t.Spec.Namespaces = []string{"a", "a"}; t.Spec.Grants = nil }, []string{"spec.namespaces[1]: Duplicate value"}},
		{"grant outside", func(t *Tenant) { t.Spec.Grants[1].Namespaces = []string{"kube-system"} },
			[]string{`spec.grants[1].namespaces[0]: Invalid value: "kube-system": not one of the tenant's namespaces`}},
		{"subject kind", func(t *Tenant) { t.Spec.Grants[0].Subject.Kind = "Robot" }, []string{`spec.grants[0].subject.kind: Unsupported value: "Robot"`}},
		{"sa without namespace", func(t *Tenant) { t.Spec.Grants[0].Subject.Namespace = "" }, []string{"spec.grants[0].subject.namespace: Required value"}},
		{"no role", func(t *Tenant) { t.Spec.Grants[0].Role = "" }, []string{"spec.grants[0].role: Required value"}},
		{"role with slash", func(t *Tenant) { t.Spec.Grants[0].Role = "a/b" }, []string{"spec.grants[0].role: Invalid value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn := validTenant("acme")
			tt.change(tn)
			errs := Validate(tn)
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d errors, want %d: %v", len(errs), len(tt.want), errs)
			}
			for i, w := range tt.want {
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("error %d = %q, want it to contain %q", i, errs[i].Error(), w)
				}
			}
		})
	}
}

func TestFileRegistry(t *testing.T) {
	ctx := context.Background()
	r := &FileRegistry{Path: filepath.Join(t.TempDir(), "kubectl-tenant", "tenants.yaml")}

	if _, err := r.Get(ctx, "acme"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "registry is empty") {
		t.Fatalf("Get from an empty registry: %v", err)
	}
	for _, name := range []string{"zeta", "acme"} {
		if err := r.Put(ctx, validTenant(name)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := r.Get(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	want := validTenant("acme")
	want.Generation = 1 // a new record's, as the API server counts
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	list, err := r.List(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "acme" {
		t.Errorf("List: %v %v", list, err)
	}
	fi, err := os.Stat(r.Path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("registry mode %v %v, want 0600", fi.Mode(), err)
	}

	bad := validTenant("bad")
	bad.Spec.Namespaces = nil
	if err := r.Put(ctx, bad); err == nil || !strings.Contains(err.Error(), "spec.namespaces") {
		t.Errorf("Put of an invalid tenant: %v", err)
	}
	if err := r.Delete(ctx, "zeta"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, "zeta"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "known tenants: [acme]") {
		t.Errorf("Get after Delete: %v", err)
	}
}

func TestFileRegistryRefusesWhatItWouldLose(t *testing.T) {
	ctx := context.Background()
	r := &FileRegistry{Path: filepath.Join(t.TempDir(), "tenants.yaml")}
	content := "apiVersion: tenancy.kubectl-tenant.io/v1alpha1\nkind: TenantList\nitems:\n- metadata: {name: a}\n  spec: {namespaces: [a], cluster: {}, futureField: x}\n"
	if err := os.WriteFile(r.Path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.Put(ctx, validTenant("acme")); err == nil || !strings.Contains(err.Error(), "futureField") {
		t.Fatalf("Put over an unknown field: %v", err)
	}
	if got, _ := os.ReadFile(r.Path); string(got) != content {
		t.Error("the registry changed")
	}
}

func TestFileRegistryConcurrentPuts(t *testing.T) {
	ctx := context.Background()
	r := &FileRegistry{Path: filepath.Join(t.TempDir(), "tenants.yaml")}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Put(ctx, validTenant(fmt.Sprintf("t%02d", i))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if list, err := r.List(ctx); err != nil || len(list) != 20 {
		t.Errorf("after 20 concurrent puts: %d tenants, %v", len(list), err)
	}
}

// Create records a new tenant once: a second Create of the name, as from
// another first apply meanwhile, is ErrExists and keeps the first record.
func TestFileRegistryCreate(t *testing.T) {
	ctx := context.Background()
	reg := &FileRegistry{Path: filepath.Join(t.TempDir(), "tenants.yaml")}
	first := validTenant("acme")
	if err := reg.Create(ctx, first); err != nil {
		t.Fatal(err)
	}
	second := validTenant("acme")
	second.Spec.Namespaces = append(second.Spec.Namespaces, "acme-qa")
	if err := reg.Create(ctx, second); !errors.Is(err, ErrExists) {
		t.Fatalf("a second Create: %v; want ErrExists", err)
	}
	got, err := reg.Get(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if got.Generation != 1 || len(got.Spec.Namespaces) != len(first.Spec.Namespaces) {
		t.Errorf("after a refused Create the record is %+v at generation %d; want the first one's at 1", got.Spec.Namespaces, got.Generation)
	}
	bad := validTenant("Bad")
	if err := reg.Create(ctx, bad); err == nil || errors.Is(err, ErrExists) {
		t.Errorf("Create of an invalid tenant: %v", err)
	}
}

// CheckWrite says whether a record could be written, and writes nothing.
func TestFileRegistryCheckWrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	rec := New("acme")
	rec.Spec.Cluster.Context = "admin"
	rec.Spec.Namespaces = []string{"acme"}
	fresh := &FileRegistry{Path: filepath.Join(dir, "not", "yet", "tenants.yaml")}
	if err := fresh.CheckWrite(ctx, rec); err != nil {
		t.Errorf("a registry in directories still to be made: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("CheckWrite left %v", entries)
	}
	if err := os.WriteFile(filepath.Join(dir, "afile"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	under := &FileRegistry{Path: filepath.Join(dir, "afile", "tenants.yaml")}
	if err := under.CheckWrite(ctx, rec); err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Errorf("a registry under a file: %v", err)
	}
	bad := rec.DeepCopy()
	bad.Spec.Namespaces = nil
	if err := fresh.CheckWrite(ctx, bad); err == nil {
		t.Error("an invalid record passed CheckWrite")
	}
}
