package aws

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

func TestTenantRoleDocuments(t *testing.T) {
	r, err := NewTenantRole("kubectl-tenant", "arn:aws:iam::111122223333:role/platform", `x"1`)
	if err != nil {
		t.Fatal(err)
	}
	var trust struct {
		Statement []struct {
			Principal struct{ AWS string }
			Action    string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal(r.TrustPolicy, &trust); err != nil {
		t.Fatal(err)
	}
	s := trust.Statement[0]
	if s.Principal.AWS != "arn:aws:iam::111122223333:role/platform" || s.Action != "sts:AssumeRole" || s.Condition["StringEquals"]["sts:ExternalId"] != `x"1` {
		t.Errorf("trust statement %+v", s)
	}
	noID, _ := NewTenantRole("kubectl-tenant", "111122223333", "")
	if strings.Contains(string(noID.TrustPolicy), "Condition") {
		t.Errorf("a condition without an external ID:\n%s", noID.TrustPolicy)
	}
	if !json.Valid(r.PermissionsPolicy) || !strings.Contains(string(r.PermissionsPolicy), `"iam:PassedToService": ["eks.amazonaws.com", "pods.eks.amazonaws.com"]`) {
		t.Errorf("permissions policy:\n%s", r.PermissionsPolicy)
	}
}

func TestCreateTenantRole(t *testing.T) {
	ctx := context.Background()
	cfg, err := Identity{Region: "us-east-1", Roles: []Hop{{RoleARN: "arn:aws:iam::444444444444:role/admin"}}}.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := NewTenantRole("kubectl-tenant", "arn:aws:iam::111122223333:role/platform", "x1")
	arn, created, _, err := CreateTenantRole(ctx, cfg, r, false)
	if err != nil || !created || arn != "arn:aws:iam::444444444444:role/kubectl-tenant" {
		t.Fatalf("create: %s %v %v", arn, created, err)
	}
	if _, again, _, err := CreateTenantRole(ctx, cfg, r, false); err != nil || again {
		t.Errorf("second run: created=%v %v", again, err)
	}
	client := iam.NewFromConfig(cfg)
	role, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: awssdk.String("kubectl-tenant")})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := url.QueryUnescape(awssdk.ToString(role.Role.AssumeRolePolicyDocument))
	if !strings.Contains(doc, "arn:aws:iam::111122223333:role/platform") || !strings.Contains(doc, "x1") {
		t.Errorf("trust policy in IAM: %s", doc)
	}
	pol, err := client.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: awssdk.String("kubectl-tenant"), PolicyName: awssdk.String(PermissionsPolicyName)})
	if err != nil || !strings.Contains(awssdk.ToString(pol.PolicyDocument), "eks") {
		t.Errorf("permissions in IAM: %v %v", pol, err)
	}
}

// A role of the tenant role's name that the plugin did not create is
// left as it is without --force; with it, taken over, saying what it had.
func TestCreateTenantRoleRefusesAForeignRole(t *testing.T) {
	ctx := context.Background()
	cfg, err := Identity{Region: "us-east-1", Roles: []Hop{{RoleARN: "arn:aws:iam::555555555555:role/admin"}}}.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := iam.NewFromConfig(cfg)
	theirs := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: awssdk.String("kubectl-tenant"), AssumeRolePolicyDocument: awssdk.String(theirs)}); err != nil {
		t.Fatal(err)
	}
	r, _ := NewTenantRole("kubectl-tenant", "arn:aws:iam::111122223333:role/platform", "x1")
	trust := func() string {
		role, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: awssdk.String("kubectl-tenant")})
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := url.QueryUnescape(awssdk.ToString(role.Role.AssumeRolePolicyDocument))
		return doc
	}
	_, _, _, err = CreateTenantRole(ctx, cfg, r, false)
	if !errors.Is(err, ErrForeignRole) || !strings.Contains(err.Error(), "--force would replace its trust policy") || !strings.Contains(err.Error(), "ec2.amazonaws.com") {
		t.Errorf("CreateTenantRole over a foreign role: %v", err)
	}
	if got := trust(); !strings.Contains(got, "ec2.amazonaws.com") || strings.Contains(got, "platform") {
		t.Errorf("the foreign role's trust policy changed: %s", got)
	}
	if _, err := client.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: awssdk.String("kubectl-tenant"), PolicyName: awssdk.String(PermissionsPolicyName)}); err == nil {
		t.Error("the foreign role got the inline policy")
	}
	_, created, replaced, err := CreateTenantRole(ctx, cfg, r, true)
	if err != nil || created || !strings.Contains(replaced, "ec2.amazonaws.com") {
		t.Errorf("with force: created=%v replaced=%q %v", created, replaced, err)
	}
	if got := trust(); !strings.Contains(got, "platform") {
		t.Errorf("with force, the trust policy is %s", got)
	}
}
