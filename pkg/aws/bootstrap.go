package aws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
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
	// Description is the role's, as IAM shows it.
	Description string `json:"-"`
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
	return &TenantRole{Name: name, TrustPolicy: trust.Bytes(), PermissionsPolicy: json.RawMessage(manifests.TenantRolePermissions),
		Description: "Lets kubectl-tenant manage this tenant account"}, nil
}

// NewCAPARole renders the documents of the role a tenant account gives
// CAPA's controller: trusted as NewTenantRole trusts the management
// principal (here the controller's), with CAPA's own controller
// permissions instead of the plugin's.
func NewCAPARole(name, controllerPrincipal, externalID string) (*TenantRole, error) {
	r, err := NewTenantRole(name, controllerPrincipal, externalID)
	if err != nil {
		return nil, err
	}
	r.PermissionsPolicy = json.RawMessage(manifests.CAPAControllerPermissions)
	r.Description = "Lets Cluster API Provider AWS make EKS clusters in this tenant account"
	return r, nil
}

// PermissionsPolicyName names the inline policy on the tenant role.
const PermissionsPolicyName = "kubectl-tenant"

// ExistingRole is a role found under the name the plugin would use.
type ExistingRole struct {
	ARN string
	// Ours is whether the plugin created it (its managed-by tag).
	Ours bool
	// TrustPolicy is its trust policy document, decoded.
	TrustPolicy string
}

// ReadRole reads the role of that name: nil, with no error, when there is
// none. It only reads.
func ReadRole(ctx context.Context, cfg awssdk.Config, name string) (*ExistingRole, error) {
	r, err := getRole(ctx, iam.NewFromConfig(cfg), name)
	if r == nil || err != nil {
		return nil, err
	}
	trust, err := url.QueryUnescape(awssdk.ToString(r.AssumeRolePolicyDocument))
	if err != nil {
		trust = awssdk.ToString(r.AssumeRolePolicyDocument)
	}
	return &ExistingRole{ARN: awssdk.ToString(r.Arn), Ours: createdByPlugin(tagMap(r.Tags)), TrustPolicy: trust}, nil
}

// ErrForeignRole is wrapped by CreateTenantRole's refusal of a role the
// plugin did not create.
var ErrForeignRole = errors.New("the role was not created by kubectl-tenant")

// ForeignRoleError says what taking over someone's role would replace.
func ForeignRoleError(name string, r *ExistingRole) error {
	return fmt.Errorf("IAM role %s exists and %w (no %s=%s tag); it is left alone: --force would replace its trust policy %s and put the inline policy %q on it; or choose another --role-name",
		name, ErrForeignRole, tenant.LabelManagedBy, tenant.ManagedBy, compactJSON(r.TrustPolicy), PermissionsPolicyName)
}

// CreateTenantRole creates the role in the account of cfg's credentials,
// or brings an existing one the plugin created to these documents. A role
// of that name the plugin did not create is refused (ForeignRoleError)
// unless force; replaced then holds the trust policy it had. It returns
// the role's ARN and whether it created it.
func CreateTenantRole(ctx context.Context, cfg awssdk.Config, r *TenantRole, force bool) (arn string, created bool, replaced string, err error) {
	client := iam.NewFromConfig(cfg)
	existing, err := ReadRole(ctx, cfg, r.Name)
	switch {
	case err != nil:
		return "", false, "", err
	case existing != nil && !existing.Ours && !force:
		return "", false, "", ForeignRoleError(r.Name, existing)
	case existing != nil:
		arn = existing.ARN
		if !existing.Ours {
			replaced = existing.TrustPolicy
		}
		if _, err := client.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: awssdk.String(r.Name), PolicyDocument: awssdk.String(string(r.TrustPolicy))}); err != nil {
			return "", false, "", fmt.Errorf("updating the trust policy of %s: %w", r.Name, err)
		}
	default:
		out, err := client.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName:                 awssdk.String(r.Name),
			AssumeRolePolicyDocument: awssdk.String(string(r.TrustPolicy)),
			Description:              awssdk.String(r.Description),
			Tags:                     iamTags(map[string]string{tenant.LabelManagedBy: tenant.ManagedBy}),
		})
		if err != nil {
			return "", false, "", fmt.Errorf("creating role %s: %w", r.Name, err)
		}
		arn, created = awssdk.ToString(out.Role.Arn), true
	}
	if _, err := client.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: awssdk.String(r.Name), PolicyName: awssdk.String(PermissionsPolicyName),
		PolicyDocument: awssdk.String(string(r.PermissionsPolicy))}); err != nil {
		return "", false, "", fmt.Errorf("putting the permissions of %s: %w", r.Name, err)
	}
	return arn, created, replaced, nil
}

// compactJSON is a JSON document on one line, for a message; anything
// else as it is.
func compactJSON(doc string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(doc)) != nil {
		return doc
	}
	return b.String()
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
