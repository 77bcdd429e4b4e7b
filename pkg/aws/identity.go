// Package aws is kubectl-tenant's only door to AWS: the identity it acts
// as in a tenant's account (source credentials, then a chain of assumed
// roles), and later EKS and IAM. Only this package imports aws-sdk-go-v2.
package aws

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"regexp"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
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
}

var sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// Validate checks the identity's fields before any call.
func (id Identity) Validate() error {
	if id.Region == "" {
		return errors.New("--region is required: the AWS region of the tenant's cluster")
	}
	if !regionRE.MatchString(id.Region) {
		return fmt.Errorf("--region %q is not an AWS region name (such as eu-west-1)", id.Region)
	}
	for i, h := range id.Roles {
		if err := ValidateRoleARN(h.RoleARN); err != nil {
			return fmt.Errorf("--role-arn #%d: %w", i+1, err)
		}
		if h.ExternalID != "" && (len(h.ExternalID) < 2 || len(h.ExternalID) > 1224 || !externalIDRE.MatchString(h.ExternalID)) {
			return fmt.Errorf("--external-id for %s: 2 to 1224 characters of letters, digits and +=,.@:/-", h.RoleARN)
		}
	}
	if id.SessionName != "" && !sessionNameRE.MatchString(id.SessionName) {
		return fmt.Errorf("--session-name %q: 2 to 64 characters of letters, digits and +=,.@_-", id.SessionName)
	}
	if id.Duration != 0 && (id.Duration < 15*time.Minute || id.Duration > 12*time.Hour) {
		return fmt.Errorf("--duration %s: a role session lasts 15m to 12h", id.Duration)
	}
	return nil
}

var (
	regionRE     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	externalIDRE = regexp.MustCompile(`^[\w+=,.@:/-]+$`) // 2 to 1224 long, checked apart
	roleNameRE   = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
)

// ValidateRoleARN checks that s is an IAM role ARN, such as
// arn:aws:iam::111122223333:role/path/name.
func ValidateRoleARN(s string) error {
	a, err := arn.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not an ARN (want arn:aws:iam::ACCOUNT:role/NAME): %v", s, err)
	}
	if a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return fmt.Errorf("%q is not an IAM role ARN (want arn:aws:iam::ACCOUNT:role/NAME)", s)
	}
	if len(a.AccountID) != 12 || strings.Trim(a.AccountID, "0123456789") != "" {
		return fmt.Errorf("%q has account %q; an AWS account ID is 12 digits", s, a.AccountID)
	}
	parts := strings.Split(a.Resource, "/")
	if name := parts[len(parts)-1]; !roleNameRE.MatchString(name) {
		return fmt.Errorf("%q has role name %q; a role name is 1 to 64 characters of letters, digits and +=,.@_-", s, name)
	}
	return nil
}

// Config loads the source credentials and chains the roles, returning an
// aws.Config that acts as the last role. Credentials are cached in memory
// for the run and resolved here, so a role that cannot be assumed fails
// now, with the principal to add to its trust policy, and not halfway
// through a command. Extra options (tests pass request-level stubs) apply
// to every client.
func (id Identity) Config(ctx context.Context, optFns ...func(*config.LoadOptions) error) (awssdk.Config, error) {
	if err := id.Validate(); err != nil {
		return awssdk.Config{}, err
	}
	opts := append([]func(*config.LoadOptions) error{config.WithRegion(id.Region)}, optFns...)
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
		who, hop.RoleARN, principalOf(who), condition, apiErr.ErrorMessage())
}

// principalOf turns a caller ARN into what a trust policy names: an
// assumed-role session becomes its role.
func principalOf(callerARN string) string {
	a, err := arn.Parse(callerARN)
	if err != nil || a.Service != "sts" || !strings.HasPrefix(a.Resource, "assumed-role/") {
		return callerARN
	}
	parts := strings.Split(a.Resource, "/")
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", a.Partition, a.AccountID, parts[1])
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

var clusterNameRE = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$`)

// ValidateClusterName checks a name as EKS does: 1 to 100 letters, digits,
// hyphens and underscores, starting with a letter or digit.
func ValidateClusterName(name string) error {
	if !clusterNameRE.MatchString(name) {
		return fmt.Errorf("cluster name %q: EKS takes 1 to 100 letters, digits, - and _, starting with a letter or digit", name)
	}
	return nil
}

// isErrorCode reports whether err is an AWS API error with that code.
func isErrorCode(err error, code string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code
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
	}
	return id
}
