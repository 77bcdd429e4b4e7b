package provision_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/provision"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunWithMoto(m, nil)) }

func eksTenant(name, cluster string) *tenant.Tenant {
	t := tenant.New(name)
	t.Spec.Namespaces = []string{name}
	t.Spec.Cluster.EKS = &tenant.EKSCluster{Name: cluster, AuthenticationMode: "API", Tags: map[string]string{"team": "payments"},
		Nodegroup: &tenant.Nodegroup{Name: "general", Nodes: 1}}
	t.Spec.AWS = &tenant.AWS{Region: "eu-west-1"}
	return t
}

// What Cluster does with each state of the account, against moto: a
// missing cluster is made (with its role and the document's parameters);
// made again, it is picked up; another tenant's is refused without
// Adopt, and adopted with it as not the adopter's to delete; with
// MustExist a missing cluster is an error. Preview says each without a
// write.
func TestCluster(t *testing.T) {
	ctx := context.Background()
	cfg, err := aws.Identity{Region: "eu-west-1"}.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	opts := provision.Options{AdoptHint: "--adopt-clusters", Wait: true, Timeout: time.Minute}
	acme := eksTenant("acme", "acme-prod")

	var preview bytes.Buffer
	if err := provision.Preview(ctx, cfg, acme, opts, &preview); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"would create or reuse IAM role kubectl-tenant-acme-cluster", "would create EKS cluster acme-prod in eu-west-1 (authentication API, endpoint public)", "would create node group general unless it exists: 1 x m5.large (min 1, max 1)"} {
		if !strings.Contains(preview.String(), want) {
			t.Errorf("Preview lacks %q:\n%s", want, preview.String())
		}
	}
	if _, err := aws.DescribeCluster(ctx, cfg, "acme-prod"); err == nil {
		t.Fatal("Preview made the cluster")
	}

	rec, c, outcome, err := provision.Cluster(ctx, cfg, acme, opts)
	if err != nil {
		t.Fatal(err)
	}
	// (moto keeps no authentication mode; the local EKS's front does, and
	// the e2e tests check it.)
	if outcome != provision.Created || !rec.CreatedByPlugin || !rec.ClusterRoleCreated || rec.ARN != c.ARN || c.Tags["team"] != "payments" || c.TenantOf() != "acme" {
		t.Errorf("a new cluster: %s, record %+v, cluster tags %v", outcome, rec, c.Tags)
	}
	if err := provision.Nodegroup(ctx, cfg, "acme", c, rec, opts); err != nil {
		t.Fatal(err)
	}
	if !rec.NodeRoleCreated || rec.NodeRoleARN == "" {
		t.Errorf("the node group's role: %+v", rec)
	}

	again, _, outcome, err := provision.Cluster(ctx, cfg, acme, opts)
	if err != nil || outcome != provision.PickedUp || !again.CreatedByPlugin || !again.ClusterRoleCreated {
		t.Errorf("the same tenant again: %s, %+v, %v; want picked up, the plugin's", outcome, again, err)
	}

	other := eksTenant("globex", "acme-prod")
	if _, _, _, err := provision.Cluster(ctx, cfg, other, opts); err == nil || !strings.Contains(err.Error(), "already exists in eu-west-1: add --adopt-clusters") {
		t.Errorf("another tenant on acme's cluster: %v", err)
	}
	adopt := opts
	adopt.Adopt = true
	adopted, _, outcome, err := provision.Cluster(ctx, cfg, other, adopt)
	if err != nil || outcome != provision.Adopted || adopted.CreatedByPlugin || adopted.ClusterRoleCreated {
		t.Errorf("another tenant adopting acme's cluster: %s, %+v, %v; want adopted, not its to delete", outcome, adopted, err)
	}

	mustExist := adopt
	mustExist.MustExist = true
	if _, _, _, err := provision.Cluster(ctx, cfg, eksTenant("initech", "initech"), mustExist); err == nil || !strings.Contains(err.Error(), "adopting") {
		t.Errorf("adopting a cluster that does not exist: %v", err)
	}
	if _, err := aws.DescribeCluster(ctx, cfg, "initech"); err == nil {
		t.Error("adopting a missing cluster made one")
	}
}
