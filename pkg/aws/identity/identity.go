// Package identity is the identity kubectl-tenant acts as in a tenant's
// account (source credentials, then a chain of assumed roles) and the EKS
// tokens it signs as that identity. It is the part of package aws the
// signer links: the SDK's credential chain and STS, without the EKS, IAM
// and EC2 clients whose initialisation would double a cold token's start,
// and without the tenant record (names are checked by package awsname).
// Package aws gives its names to every other command.
package identity

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/awsname"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
)

// Hop is one role of a chain: each is assumed with the credentials of the
// one before it, the first with the source credentials.
type Hop struct {
	RoleARN    string
	ExternalID string
}

// Identity says how to act in a tenant's account.
type Identity struct {
	// Profile names the AWS profile of the source credentials; empty uses
	// the standard chain (environment, shared files, SSO, IMDS).
	Profile string
	Region  string
	Roles   []Hop
	// SessionName names the role sessions; empty derives one from the
	// local user, so CloudTrail shows who acted.
	SessionName string
	// Duration of each role session; zero takes the SDK's default (15m).
	Duration time.Duration
	// orphanExternalID is an external ID given without any role, kept so
	// that Validate can refuse it.
	orphanExternalID string
}

// The fields of a tenant record an Identity comes from: its errors name
// them, and a command maps them to the flags the user gave.
var (
	FieldRegion      = field.NewPath("spec", "aws", "region")
	FieldRoleARNs    = field.NewPath("spec", "aws", "roleARNs")
	FieldExternalID  = field.NewPath("spec", "aws", "externalID")
	FieldSessionName = field.NewPath("spec", "aws", "sessionName")
	FieldDuration    = field.NewPath("spec", "aws", "durationSeconds")
)

// Validate checks the identity's fields before any call; each error names
// its field in the tenant record (spec.aws.region).
func (id Identity) Validate() error {
	var errs field.ErrorList
	switch {
	case id.Region == "":
		errs = append(errs, field.Required(FieldRegion, "the AWS region of the tenant's cluster"))
	case !awsname.IsRegion(id.Region):
		errs = append(errs, field.Invalid(FieldRegion, id.Region, awsname.RegionShape))
	}
	for i, h := range id.Roles {
		if _, err := iamarn.ParseRole(h.RoleARN); err != nil {
			errs = append(errs, field.Invalid(FieldRoleARNs.Index(i), h.RoleARN, err.Error()))
		}
		if h.ExternalID != "" && !awsname.IsExternalID(h.ExternalID) {
			errs = append(errs, field.Invalid(FieldExternalID, h.ExternalID, awsname.ExternalIDShape))
		}
	}
	if len(id.Roles) == 0 && id.ExternalID() != "" {
		errs = append(errs, field.Invalid(FieldExternalID, id.ExternalID(), "an external ID needs the role it belongs to"))
	}
	if id.SessionName != "" && !awsname.IsSessionName(id.SessionName) {
		errs = append(errs, field.Invalid(FieldSessionName, id.SessionName, awsname.SessionNameShape))
	}
	if id.Duration != 0 && (id.Duration < awsname.MinRoleSession || id.Duration > awsname.MaxRoleSession) {
		errs = append(errs, field.Invalid(FieldDuration, id.Duration.String(), "a role session lasts 15m to 12h"))
	}
	return errs.ToAggregate()
}

// ExternalID is the external ID of the chain's last role.
func (id Identity) ExternalID() string {
	if n := len(id.Roles); n > 0 {
		return id.Roles[n-1].ExternalID
	}
	return id.orphanExternalID
}

// Config is the SDK's configuration of a client acting in an account; the
// alias lets other packages hold one without importing the SDK.
type Config = awssdk.Config

// ConfigOption changes how a Config is loaded (tests stub requests with
// the SDK's middleware through it).
type ConfigOption = func(*config.LoadOptions) error

// Config loads the source credentials and chains the roles, returning an
// aws.Config that acts as the last role. Credentials are cached in memory
// for the run and resolved here, so a role that cannot be assumed fails
// now, with the principal to add to its trust policy, and not halfway
// through a command. Extra options (tests pass request-level stubs) apply
// to every client.
func (id Identity) Config(ctx context.Context, optFns ...ConfigOption) (awssdk.Config, error) {
	if err := id.Validate(); err != nil {
		return awssdk.Config{}, err
	}
	opts := append([]ConfigOption{config.WithRegion(id.Region)}, optFns...)
	if id.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(id.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return awssdk.Config{}, fmt.Errorf("loading AWS credentials: %w", err)
	}
	session := id.SessionName
	if session == "" {
		session = defaultSessionName()
	}
	for _, hop := range id.Roles {
		prev := cfg.Copy()
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(prev), hop.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = session
			if hop.ExternalID != "" {
				o.ExternalID = awssdk.String(hop.ExternalID)
			}
			if id.Duration != 0 {
				o.Duration = id.Duration
			}
		})
		cfg.Credentials = awssdk.NewCredentialsCache(provider)
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			return awssdk.Config{}, assumeRoleError(ctx, prev, hop, err)
		}
	}
	return cfg, nil
}

// assumeRoleError explains a refused AssumeRole: who tried, which role,
// and what its trust policy must allow.
func assumeRoleError(ctx context.Context, prev awssdk.Config, hop Hop, err error) error {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" {
		return fmt.Errorf("assuming role %s: %w", hop.RoleARN, err)
	}
	who := "the current AWS identity"
	if out, idErr := sts.NewFromConfig(prev).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); idErr == nil && out.Arn != nil {
		who = *out.Arn
	}
	condition := ""
	if hop.ExternalID != "" {
		condition = " with sts:ExternalId " + hop.ExternalID
	}
	return fmt.Errorf("%s may not assume role %s: the role's trust policy must allow principal %s to sts:AssumeRole%s (%s)",
		who, hop.RoleARN, iamarn.RoleOfSession(who), condition, apiErr.ErrorMessage())
}

// CallerARN returns the ARN the configuration acts as.
func CallerARN(ctx context.Context, cfg awssdk.Config) (string, error) {
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("asking STS who we are: %w", err)
	}
	return awssdk.ToString(out.Arn), nil
}

func defaultSessionName() string {
	name := "kubectl-tenant"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name += "-" + strings.Map(func(r rune) rune {
			if strings.ContainsRune("+=,.@-_", r) || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
				return r
			}
			return '-'
		}, u.Username)
	}
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}

// ValidateClusterName checks a name as EKS does: 1 to 100 letters, digits,
// hyphens and underscores, starting with a letter or digit.
func ValidateClusterName(name string) error {
	if !awsname.IsEKSClusterName(name) {
		return fmt.Errorf("cluster name %q: %s", name, awsname.ClusterNameShape)
	}
	return nil
}

// NewIdentity builds an Identity from a role chain whose last hop, the
// tenant's role, carries the external ID.
func NewIdentity(profile, region, sessionName string, duration time.Duration, roleARNs []string, externalID string) Identity {
	id := Identity{Profile: profile, Region: region, SessionName: sessionName, Duration: duration}
	for _, arn := range roleARNs {
		id.Roles = append(id.Roles, Hop{RoleARN: arn})
	}
	if n := len(id.Roles); n > 0 {
		id.Roles[n-1].ExternalID = externalID
	} else {
		id.orphanExternalID = externalID
	}
	return id
}
