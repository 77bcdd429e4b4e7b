package aws

import (
	"context"
	"errors"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

func TestOwned(t *testing.T) {
	acme := Claim{Tenant: "acme", Made: true}
	for _, tc := range []struct {
		name string
		tags map[string]string
		c    Claim
		ok   bool
	}{
		{"own", ownTags("acme"), acme, true},
		{"own, legacy keys", map[string]string{"created-by": "kubectl-tenant", "kubectl-tenant.io/tenant": "acme"}, acme, true},
		{"foreign", map[string]string{"team": "x"}, acme, false},
		{"no tags", nil, acme, false},
		{"another tenant's", ownTags("globex"), acme, false},
		{"the plugin's for no tenant", map[string]string{"app.kubernetes.io/managed-by": "kubectl-tenant"}, acme, false},
		{"own tags, adopted by the record", ownTags("acme"), Claim{Tenant: "acme"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Owned("thing", tc.tags, tc.c)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrNotOwned)) {
				t.Errorf("Owned: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// Every kind the plugin deletes, each as a foreign, another tenant's and
// an own copy, against moto: only the own copy goes, and only when the
// record says the plugin made it for this tenant.
func TestDeleteOnlyWhatIsOwned(t *testing.T) {
	ctx := context.Background()
	cfg := mustConfig(t, "ap-south-1")
	subnets, err := DefaultSubnets(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	roleARN, _, err := EnsureClusterRole(ctx, cfg, "owner-test-eks", "acme")
	if err != nil {
		t.Fatal(err)
	}
	client := eks.NewFromConfig(cfg)
	acme := Claim{Tenant: "acme", Made: true}
	adopted := Claim{Tenant: "acme"}

	t.Run("cluster", func(t *testing.T) {
		if _, err := client.CreateCluster(ctx, &eks.CreateClusterInput{Name: awssdk.String("foreign"), RoleArn: awssdk.String(roleARN),
			ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: subnets}}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []ClusterSpec{{Name: "globex-c", Tenant: "globex"}, {Name: "acme-c", Tenant: "acme"}} {
			c.SubnetIDs, c.RoleARN = subnets, roleARN
			if err := CreateCluster(ctx, cfg, c); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name  string
			claim Claim
			gone  bool
		}{
			{"foreign", acme, false},
			{"globex-c", acme, false},
			{"acme-c", adopted, false},
			{"acme-c", acme, true},
		} {
			err := DeleteCluster(ctx, cfg, tc.name, tc.claim, time.Minute, func(string) {})
			_, described := DescribeCluster(ctx, cfg, tc.name)
			if gone := errors.Is(described, ErrNoCluster); gone != tc.gone || (err != nil) == tc.gone || (err != nil && !errors.Is(err, ErrNotOwned)) {
				t.Errorf("DeleteCluster %s as %+v: %v; gone %v, want %v", tc.name, tc.claim, err, gone, tc.gone)
			}
		}
		// Gone already: a re-run is no error.
		if err := DeleteCluster(ctx, cfg, "acme-c", acme, time.Minute, func(string) {}); err != nil {
			t.Errorf("deleting a deleted cluster: %v", err)
		}
	})

	t.Run("node group", func(t *testing.T) {
		if err := CreateCluster(ctx, cfg, ClusterSpec{Name: "acme-ng", Tenant: "acme", SubnetIDs: subnets, RoleARN: roleARN}); err != nil {
			t.Fatal(err)
		}
		if _, err := client.CreateNodegroup(ctx, &eks.CreateNodegroupInput{ClusterName: awssdk.String("acme-ng"), NodegroupName: awssdk.String("foreign"),
			NodeRole: awssdk.String(roleARN), Subnets: subnets}); err != nil {
			t.Fatal(err)
		}
		for _, ng := range []NodegroupSpec{{Name: "globex-ng", Tenant: "globex"}, {Name: "own", Tenant: "acme"}} {
			ng.Cluster, ng.NodeRoleARN, ng.SubnetIDs, ng.Desired, ng.Min, ng.Max = "acme-ng", roleARN, subnets, 1, 1, 1
			if err := CreateNodegroup(ctx, cfg, ng); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name  string
			claim Claim
			gone  bool
		}{
			{"foreign", acme, false},
			{"globex-ng", acme, false},
			{"own", adopted, false},
			{"own", acme, true},
		} {
			err := DeleteNodegroup(ctx, cfg, "acme-ng", tc.name, tc.claim, time.Minute, func(string) {})
			_, described := DescribeNodegroup(ctx, cfg, "acme-ng", tc.name)
			if gone := errors.Is(described, ErrNoNodegroup); gone != tc.gone || (err != nil) == tc.gone {
				t.Errorf("DeleteNodegroup %s as %+v: %v; gone %v, want %v", tc.name, tc.claim, err, gone, tc.gone)
			}
		}
		// The own cluster with a foreign node group in it stays whole.
		if err := DeleteCluster(ctx, cfg, "acme-ng", acme, time.Minute, func(string) {}); !errors.Is(err, ErrNotOwned) {
			t.Errorf("deleting a cluster with someone's node group: %v", err)
		}
		if _, err := DescribeCluster(ctx, cfg, "acme-ng"); err != nil {
			t.Errorf("the cluster went with someone's node group in it: %v", err)
		}
	})

	t.Run("IAM role", func(t *testing.T) {
		iamc := iam.NewFromConfig(cfg)
		if _, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: awssdk.String("foreign-role"), AssumeRolePolicyDocument: awssdk.String(`{"Version":"2012-10-17","Statement":[]}`)}); err != nil {
			t.Fatal(err)
		}
		globex, _, err := EnsureNodeRole(ctx, cfg, "globex-role", "globex")
		if err != nil {
			t.Fatal(err)
		}
		own, _, err := EnsureNodeRole(ctx, cfg, "acme-role", "acme")
		if err != nil {
			t.Fatal(err)
		}
		foreign := "arn:aws:iam::333333333333:role/foreign-role"
		for _, tc := range []struct {
			arn   string
			claim Claim
			gone  bool
		}{
			{foreign, acme, false},
			{globex, acme, false},
			{own, adopted, false},
			{own, acme, true},
		} {
			err := DeleteOwnedRole(ctx, cfg, tc.arn, tc.claim)
			_, found, _ := FindRole(ctx, cfg, iamarn.NameOf(tc.arn))
			if found == tc.gone || (err != nil) == tc.gone {
				t.Errorf("DeleteOwnedRole %s as %+v: %v; found %v", tc.arn, tc.claim, err, found)
			}
		}
		if err := DeleteOwnedRole(ctx, cfg, own, acme); err != nil {
			t.Errorf("deleting a deleted role: %v", err)
		}
	})

	t.Run("access entry", func(t *testing.T) {
		// moto does not serve access entries: the SDK-level fake does.
		fake := testenv.NewAccessEntries()
		ecfg := cfg.Copy()
		for _, opt := range fake.Options() {
			var lo config.LoadOptions
			if err := opt(&lo); err != nil {
				t.Fatal(err)
			}
			ecfg.APIOptions = append(ecfg.APIOptions, lo.APIOptions...)
		}
		ec := eks.NewFromConfig(ecfg)
		for principal, tags := range map[string]map[string]string{
			"arn:aws:iam::333333333333:role/foreign": {"team": "x"},
			"arn:aws:iam::333333333333:role/globex":  ownTags("globex"),
			"arn:aws:iam::333333333333:role/own":     ownTags("acme"),
		} {
			if _, err := ec.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: awssdk.String("c"), PrincipalArn: awssdk.String(principal), Tags: tags}); err != nil {
				t.Fatal(err)
			}
		}
		for principal, gone := range map[string]bool{
			"arn:aws:iam::333333333333:role/foreign": false,
			"arn:aws:iam::333333333333:role/globex":  false,
			"arn:aws:iam::333333333333:role/own":     true,
		} {
			steps, err := PlanAccessEntry(ctx, ecfg, AccessEntry{Cluster: "c", Tenant: "acme", PrincipalARN: principal}, nil)
			if err == nil {
				err = Run(ctx, steps)
			}
			entry, _ := fake.Entry(principal)
			if (entry == nil) != gone || (err != nil) == gone {
				t.Errorf("removing the access entry of %s: %v; gone %v, want %v", principal, err, entry == nil, gone)
			}
		}
		// Checked again at the point of deletion: an entry that became
		// another tenant's between the plan and the call stays.
		swapped := awssdk.String("arn:aws:iam::333333333333:role/swapped")
		if _, err := ec.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: awssdk.String("c"), PrincipalArn: swapped, Tags: ownTags("acme")}); err != nil {
			t.Fatal(err)
		}
		steps, err := PlanAccessEntry(ctx, ecfg, AccessEntry{Cluster: "c", Tenant: "acme", PrincipalARN: *swapped}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ec.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: awssdk.String("c"), PrincipalArn: swapped}); err != nil {
			t.Fatal(err)
		}
		if _, err := ec.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: awssdk.String("c"), PrincipalArn: swapped, Tags: ownTags("globex")}); err != nil {
			t.Fatal(err)
		}
		if err := Run(ctx, steps); !errors.Is(err, ErrNotOwned) {
			t.Errorf("a planned delete of an entry that is now globex's: %v", err)
		}
		if entry, _ := fake.Entry(*swapped); entry == nil {
			t.Error("globex's access entry was deleted by acme's plan")
		}
	})
}
