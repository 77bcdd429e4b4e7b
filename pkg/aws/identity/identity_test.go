package identity

import (
	"context"
	"os"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

// moto is the AWS emulator the package's tests share.
var moto *testenv.Moto

func TestMain(m *testing.M) { os.Exit(testenv.RunWithMoto(m, &moto)) }

// A chain of two roles in two accounts, the second with an external ID,
// against moto: the configuration acts as the second role.
func TestRoleChain(t *testing.T) {
	id := Identity{
		Region:      "eu-west-1",
		SessionName: "chain-test",
		Roles: []Hop{
			{RoleARN: "arn:aws:iam::111111111111:role/hop"},
			{RoleARN: "arn:aws:iam::222222222222:role/tenant", ExternalID: "acme-x1"},
		},
	}
	cfg, err := id.Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, err := CallerARN(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::222222222222:assumed-role/tenant/chain-test"; got != want {
		t.Errorf("acting as %s, want %s", got, want)
	}
	// Without roles: the source credentials.
	src, err := Identity{Region: "eu-west-1"}.Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := CallerARN(context.Background(), src); !strings.Contains(got, ":user/") {
		t.Errorf("source identity %s, want moto's user", got)
	}
}

// moto does not enforce trust policies, so the refusal is stubbed at the
// SDK's request level: AssumeRole answers AccessDenied, GetCallerIdentity
// names the caller.
func TestAssumeRoleDeniedNamesThePrincipal(t *testing.T) {
	stub := config.WithAPIOptions([]func(*middleware.Stack) error{func(s *middleware.Stack) error {
		return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("deny", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			switch awsmiddleware.GetOperationName(ctx) {
			case "AssumeRole":
				return middleware.FinalizeOutput{}, middleware.Metadata{}, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform sts:AssumeRole"}
			case "GetCallerIdentity":
				return middleware.FinalizeOutput{Result: &sts.GetCallerIdentityOutput{Arn: awssdk.String("arn:aws:sts::111122223333:assumed-role/platform-admin/me")}}, middleware.Metadata{}, nil
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.Before)
	}})
	id := Identity{Region: "eu-west-1", Roles: []Hop{{RoleARN: "arn:aws:iam::444455556666:role/tenant", ExternalID: "acme-x1"}}}
	_, err := id.Config(context.Background(), stub)
	want := "arn:aws:sts::111122223333:assumed-role/platform-admin/me may not assume role arn:aws:iam::444455556666:role/tenant: " +
		"the role's trust policy must allow principal arn:aws:iam::111122223333:role/platform-admin to sts:AssumeRole with sts:ExternalId acme-x1"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("denied AssumeRole:\n got %v\nwant %s", err, want)
	}
}

func TestIdentityValidation(t *testing.T) {
	ok := Identity{Region: "us-east-1", Roles: []Hop{{RoleARN: "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123"}}}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid identity: %v", err)
	}
	tests := []struct {
		change func(*Identity)
		want   string
	}{
		{func(i *Identity) { i.Region = "" }, "spec.aws.region: Required value"},
		{func(i *Identity) { i.Region = "europe" }, `spec.aws.region: Invalid value: "europe": not an AWS region name`},
		{func(i *Identity) { i.Roles[0].RoleARN = "tenant-role" }, `spec.aws.roleARNs[0]: Invalid value: "tenant-role": "tenant-role" is not an ARN`},
		{func(i *Identity) { i.Roles[0].RoleARN = "arn:aws:s3:::bucket" }, "is not an IAM role ARN"},
		{func(i *Identity) { i.Roles[0].RoleARN = "arn:aws:iam::1234:role/x" }, "an AWS account ID is 12 digits"},
		{func(i *Identity) { i.Roles[0].RoleARN = "arn:aws:iam::111122223333:role/bad name" }, `role name "bad name"`},
		{func(i *Identity) { i.Roles[0].ExternalID = "x" }, "spec.aws.externalID"},
		{func(i *Identity) { i.SessionName = "has space" }, "spec.aws.sessionName"},
		{func(i *Identity) { i.Duration = 1 }, "spec.aws.durationSeconds"},
		{func(i *Identity) { *i = NewIdentity("", "eu-west-1", "", 0, nil, "orphan") }, "spec.aws.externalID: Invalid value: \"orphan\": an external ID needs the role"},
	}
	for _, tt := range tests {
		id := ok
		id.Roles = append([]Hop(nil), ok.Roles...)
		tt.change(&id)
		if err := id.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("got %v, want %q", err, tt.want)
		}
	}
}
