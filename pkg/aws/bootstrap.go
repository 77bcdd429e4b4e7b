package aws

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"text/template"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/kubectl-tenant/kubectl-tenant/manifests"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// TenantRole is the role a tenant account gives kubectl-tenant.
type TenantRole struct {
	Name              string          `json:"roleName"`
	TrustPolicy       json.RawMessage `json:"trustPolicy"`
	PermissionsPolicy json.RawMessage `json:"permissionsPolicy"`
}

var trustTemplate = template.Must(template.New("trust").Parse(manifests.TenantRoleTrust))

// NewTenantRole renders the tenant role's documents for a management
// principal (an IAM role or user ARN, or an account ID) and external ID.
func NewTenantRole(name, trustedPrincipal, externalID string) (*TenantRole, error) {
	var trust bytes.Buffer
	if err := trustTemplate.Execute(&trust, struct{ TrustedPrincipal, ExternalID string }{trustedPrincipal, externalID}); err != nil {
		return nil, err
	}
	if !json.Valid(trust.Bytes()) {
		return nil, fmt.Errorf("the trust policy for %q is not valid JSON", trustedPrincipal)
	}
	return &TenantRole{Name: name, TrustPolicy: trust.Bytes(), PermissionsPolicy: json.RawMessage(manifests.TenantRolePermissions)}, nil
}

// PermissionsPolicyName names the inline policy on the tenant role.
const PermissionsPolicyName = "kubectl-tenant"

// CreateTenantRole creates the role in the account of cfg's credentials,
// or brings an existing one of that name to these documents. It returns
// the role's ARN and whether it created it.
func CreateTenantRole(ctx context.Context, cfg awssdk.Config, r *TenantRole) (string, bool, error) {
	client := iam.NewFromConfig(cfg)
	created := false
	var roleARN string
	existing, err := getRole(ctx, client, r.Name)
	switch {
	case err != nil:
		return "", false, err
	case existing != nil:
		roleARN = awssdk.ToString(existing.Arn)
		if _, err := client.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: awssdk.String(r.Name), PolicyDocument: awssdk.String(string(r.TrustPolicy))}); err != nil {
			return "", false, fmt.Errorf("updating the trust policy of %s: %w", r.Name, err)
		}
	default:
		out, err := client.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName:                 awssdk.String(r.Name),
			AssumeRolePolicyDocument: awssdk.String(string(r.TrustPolicy)),
			Description:              awssdk.String("Lets kubectl-tenant manage this tenant account"),
			Tags:                     iamTags(map[string]string{tenant.LabelManagedBy: tenant.ManagedBy}),
		})
		if err != nil {
			return "", false, fmt.Errorf("creating role %s: %w", r.Name, err)
		}
		roleARN, created = awssdk.ToString(out.Role.Arn), true
	}
	if _, err := client.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: awssdk.String(r.Name), PolicyName: awssdk.String(PermissionsPolicyName),
		PolicyDocument: awssdk.String(string(r.PermissionsPolicy))}); err != nil {
		return "", false, fmt.Errorf("putting the permissions of %s: %w", r.Name, err)
	}
	return roleARN, created, nil
}

// FindRole reads the role of that name in the account of cfg's
// credentials: its ARN, or found false when there is none. It only reads.
func FindRole(ctx context.Context, cfg awssdk.Config, name string) (arn string, found bool, err error) {
	r, err := getRole(ctx, iam.NewFromConfig(cfg), name)
	if r == nil || err != nil {
		return "", false, err
	}
	return awssdk.ToString(r.Arn), true, nil
}

// RoleOwned reports whether the role of that name is the one the plugin
// created for tenantName (by its tags); false when there is none. It
// only reads.
func RoleOwned(ctx context.Context, cfg awssdk.Config, name, tenantName string) (bool, error) {
	r, err := getRole(ctx, iam.NewFromConfig(cfg), name)
	return r != nil && ownedBy(tagMap(r.Tags), tenantName), err
}

// getRole reads a role: nil, with no error, when there is none.
func getRole(ctx context.Context, client *iam.Client, name string) (*iamtypes.Role, error) {
	out, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: awssdk.String(name)})
	switch {
	case err == nil:
		return out.Role, nil
	case isErrorCode(err, "NoSuchEntity"):
		return nil, nil
	}
	return nil, fmt.Errorf("reading IAM role %s: %w", name, err)
}
