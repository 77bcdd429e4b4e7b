package aws

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/kubectl-tenant/kubectl-tenant/manifests"
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
	if out, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: awssdk.String(r.Name)}); err == nil {
		roleARN = awssdk.ToString(out.Role.Arn)
		if _, err := client.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: awssdk.String(r.Name), PolicyDocument: awssdk.String(string(r.TrustPolicy))}); err != nil {
			return "", false, fmt.Errorf("updating the trust policy of %s: %w", r.Name, err)
		}
	} else if isErrorCode(err, "NoSuchEntity") {
		out, err := client.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName:                 awssdk.String(r.Name),
			AssumeRolePolicyDocument: awssdk.String(string(r.TrustPolicy)),
			Description:              awssdk.String("Lets kubectl-tenant manage this tenant account"),
			Tags:                     []iamtypes.Tag{{Key: awssdk.String(CreatedByTag), Value: awssdk.String(CreatedByValue)}},
		})
		if err != nil {
			return "", false, fmt.Errorf("creating role %s: %w", r.Name, err)
		}
		roleARN, created = awssdk.ToString(out.Role.Arn), true
	} else {
		return "", false, fmt.Errorf("reading role %s: %w", r.Name, err)
	}
	if _, err := client.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: awssdk.String(r.Name), PolicyName: awssdk.String(PermissionsPolicyName),
		PolicyDocument: awssdk.String(string(r.PermissionsPolicy))}); err != nil {
		return "", false, fmt.Errorf("putting the permissions of %s: %w", r.Name, err)
	}
	return roleARN, created, nil
}

// ValidatePrincipal checks a trust policy principal: a 12-digit account ID
// or an IAM role, user or root ARN.
func ValidatePrincipal(p string) error {
	if len(p) == 12 && strings.Trim(p, "0123456789") == "" {
		return nil
	}
	a, err := arn.Parse(p)
	if err != nil || a.Service != "iam" || !(strings.HasPrefix(a.Resource, "role/") || strings.HasPrefix(a.Resource, "user/") || a.Resource == "root") {
		return fmt.Errorf("--trusted-principal %q: give the management identity as an IAM role or user ARN (arn:aws:iam::ACCOUNT:role/NAME) or an account ID", p)
	}
	return nil
}
