package registrycmd

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// listedEarlier is a registry as migrate listed it before someone else
// recorded a tenant in it: its List misses what it holds.
type listedEarlier struct{ tenant.Registry }

func (listedEarlier) List(context.Context) ([]tenant.Tenant, error) { return nil, nil }

// A record created in the target after migrate listed it is kept, and
// reported as differing; the others are copied.
func TestMigrateKeepsARecordMadeMeanwhile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	from, err := tenant.OpenRegistry(filepath.Join(dir, "from.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	to, err := tenant.OpenRegistry(filepath.Join(dir, "to.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	record := func(name, ns string) *tenant.Tenant {
		x := tenant.New(name)
		x.Spec.Cluster.Context = "admin"
		x.Spec.Namespaces = []string{ns}
		return x
	}
	for _, x := range []*tenant.Tenant{record("acme", "acme"), record("globex", "globex")} {
		if err := from.Put(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if err := to.Put(ctx, record("acme", "acme-theirs")); err != nil {
		t.Fatal(err)
	}
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	o := &MigrateOptions{IOStreams: streams, from: from, to: listedEarlier{to}}
	err = o.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "[acme]") {
		t.Errorf("migrate over a record made meanwhile: %v", err)
	}
	if !strings.Contains(out.String(), "tenant.tenancy.kubectl-tenant.io/acme was created in the target meanwhile: left as it is there") || !strings.Contains(out.String(), "tenant.tenancy.kubectl-tenant.io/globex copied") {
		t.Errorf("migrate said:\n%s", out)
	}
	if got, err := to.Get(ctx, "acme"); err != nil || got.Spec.Namespaces[0] != "acme-theirs" {
		t.Errorf("the target's acme: %+v %v", got, err)
	}
	if _, err := to.Get(ctx, "globex"); err != nil {
		t.Errorf("globex was not copied: %v", err)
	}
}
