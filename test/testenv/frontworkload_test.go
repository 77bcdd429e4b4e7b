package testenv

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workload"
)

// What the local EKS stands in for of workload identity, as EKS answers
// it on the wire: each cluster its own OIDC issuer, which its data plane
// signs ServiceAccount tokens as (so an IRSA trust policy is checked
// against real tokens: the test evaluates it, as moto's STS does not);
// Pod Identity associations, one per ServiceAccount; and add-ons, CREATING
// then ACTIVE, whose Pod Identity associations go with them.
func TestLocalEKSWorkloadIdentity(t *testing.T) {
	ctx := context.Background()
	l := startLocalEKS(t)
	admin, err := aws.Identity{Region: "us-east-1", Roles: []aws.Hop{{RoleARN: "arn:aws:iam::222222222222:role/tenant-acme"}}}.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	subnets, err := aws.DefaultSubnets(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if err := aws.CreateCluster(ctx, admin, aws.ClusterSpec{Name: "acme", Tenant: "acme", SubnetIDs: subnets, RoleARN: "arn:aws:iam::222222222222:role/eks"}); err != nil {
		t.Fatal(err)
	}
	if _, err := aws.WaitActive(ctx, admin, "acme", 0, func(string) {}); err != nil {
		t.Fatal(err)
	}
	client := eks.NewFromConfig(admin)
	out, err := client.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: awssdk.String("acme")})
	if err != nil {
		t.Fatal(err)
	}
	issuer := awssdk.ToString(out.Cluster.Identity.Oidc.Issuer)
	plane, err := l.Front.DataPlane("acme")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(issuer, "https://oidc.eks.us-east-1.amazonaws.com/id/") || issuer != plane.ServiceAccountIssuer {
		t.Fatalf("acme's issuer %q; its data plane signs as %q", issuer, plane.ServiceAccountIssuer)
	}
	if other := issuerOf("222222222222/us-east-1/globex"); other == issuer {
		t.Errorf("two clusters share issuer %s", issuer)
	}

	// A token of ServiceAccount acme:app for STS's audience carries the
	// issuer, sub and aud an IRSA trust policy pins, and satisfies the
	// trust the plugin writes for it; another ServiceAccount's does not.
	core, err := plane.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := core.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "acme"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := workload.Binding{Via: workload.IRSA, Account: "222222222222", Issuer: issuer, Namespace: "acme", ServiceAccount: "app"}
	for sa, want := range map[string]bool{"app": true, "other": false} {
		if _, err := core.CoreV1().ServiceAccounts("acme").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		tr, err := core.CoreV1().ServiceAccounts("acme").CreateToken(ctx, sa, &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{Audiences: []string{workload.Audience}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		call, err := workload.WebIdentityRequest("222222222222", tr.Status.Token)
		if err != nil {
			t.Fatal(err)
		}
		if got := binding.Trust().Allows(call); got != want || call.Federated != binding.ProviderARN() {
			t.Errorf("ServiceAccount %s's token (%+v) admitted: %v, want %v", sa, call, got, want)
		}
	}

	// Pod Identity associations: one per ServiceAccount, listed by it,
	// deleted by ID.
	const role = "arn:aws:iam::222222222222:role/acme-app"
	made, err := client.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: awssdk.String("acme"),
		Namespace: awssdk.String("acme"), ServiceAccount: awssdk.String("app"), RoleArn: awssdk.String(role), Tags: map[string]string{"tenant": "acme"}})
	if err != nil {
		t.Fatal(err)
	}
	id := made.Association.AssociationId
	if got, err := client.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: awssdk.String("acme"), AssociationId: id}); err != nil ||
		awssdk.ToString(got.Association.RoleArn) != role || got.Association.Tags["tenant"] != "acme" || got.Association.CreatedAt == nil {
		t.Errorf("the association: %+v, %v", got, err)
	}
	var inUse *ekstypes.ResourceInUseException
	if _, err := client.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: awssdk.String("acme"),
		Namespace: awssdk.String("acme"), ServiceAccount: awssdk.String("app"), RoleArn: awssdk.String(role)}); !errors.As(err, &inUse) {
		t.Errorf("a second association of one ServiceAccount: %v", err)
	}
	if list, err := client.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: awssdk.String("acme"), ServiceAccount: awssdk.String("app")}); err != nil || len(list.Associations) != 1 {
		t.Errorf("the associations of app: %+v, %v", list, err)
	}
	if _, err := client.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: awssdk.String("acme"), AssociationId: id}); err != nil {
		t.Fatal(err)
	}
	var notFound *ekstypes.ResourceNotFoundException
	if _, err := client.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: awssdk.String("acme"), AssociationId: id}); !errors.As(err, &notFound) {
		t.Errorf("a deleted association: %v", err)
	}

	// An add-on with its ServiceAccount's role: CREATING, then ACTIVE;
	// its association goes with it.
	if _, err := client.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: awssdk.String("acme"), AddonName: awssdk.String("aws-ebs-csi-driver"),
		PodIdentityAssociations: []ekstypes.AddonPodIdentityAssociations{{ServiceAccount: awssdk.String("ebs-csi-controller-sa"), RoleArn: awssdk.String(role)}}}); err != nil {
		t.Fatal(err)
	}
	addon, err := eks.NewAddonActiveWaiter(client, func(o *eks.AddonActiveWaiterOptions) { o.MinDelay = 200 * time.Millisecond }).WaitForOutput(ctx,
		&eks.DescribeAddonInput{ClusterName: awssdk.String("acme"), AddonName: awssdk.String("aws-ebs-csi-driver")}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if a := addon.Addon; awssdk.ToString(a.AddonVersion) == "" || len(a.PodIdentityAssociations) != 1 {
		t.Errorf("the add-on: %+v", a)
	}
	if list, err := client.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: awssdk.String("acme"), Namespace: awssdk.String("kube-system")}); err != nil ||
		len(list.Associations) != 1 || awssdk.ToString(list.Associations[0].OwnerArn) == "" {
		t.Errorf("the add-on's association: %+v, %v", list, err)
	}
	if _, err := client.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: awssdk.String("acme"), AddonName: awssdk.String("aws-ebs-csi-driver")}); err != nil {
		t.Fatal(err)
	}
	if err := eks.NewAddonDeletedWaiter(client, func(o *eks.AddonDeletedWaiterOptions) { o.MinDelay = 200 * time.Millisecond }).Wait(ctx,
		&eks.DescribeAddonInput{ClusterName: awssdk.String("acme"), AddonName: awssdk.String("aws-ebs-csi-driver")}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if list, err := client.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: awssdk.String("acme")}); err != nil || len(list.Associations) != 0 {
		t.Errorf("after the add-on, associations %+v, %v", list, err)
	}
}
