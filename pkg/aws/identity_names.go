// Package aws is kubectl-tenant's only door to AWS: the identity it acts
// as in a tenant's account (source credentials, then a chain of assumed
// roles; package identity), EKS clusters and access entries, IAM roles,
// and signed EKS tokens. Only this package and its own (identity, and
// iamarn for ARNs) import aws-sdk-go-v2; others hold a Config through its
// alias here.
package aws

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/aws/smithy-go"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/identity"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// The identity a command acts as in a tenant's account, and the tokens
// signed as it, are package identity's, which the signer links alone;
// every other command finds them here, with the rest of AWS.
type (
	Identity     = identity.Identity
	Hop          = identity.Hop
	Config       = identity.Config
	ConfigOption = identity.ConfigOption
)

var (
	NewIdentity         = identity.NewIdentity
	CallerARN           = identity.CallerARN
	ClusterToken        = identity.ClusterToken
	IAMToken            = identity.IAMToken
	ValidateIAMRequest  = identity.ValidateIAMRequest
	ValidateClusterName = identity.ValidateClusterName

	FieldRegion      = identity.FieldRegion
	FieldRoleARNs    = identity.FieldRoleARNs
	FieldExternalID  = identity.FieldExternalID
	FieldSessionName = identity.FieldSessionName
	FieldDuration    = identity.FieldDuration
)

// TenantIdentity is how to act in an EKS tenant's account, from its
// record's spec.aws (which must be there: see TenantConfig).
func TenantIdentity(a *tenant.AWS) Identity {
	return NewIdentity(a.Profile, a.Region, a.SessionName, time.Duration(a.DurationSeconds)*time.Second, a.RoleARNs, a.ExternalID)
}

// TenantConfig loads the AWS configuration that acts in tenant t's
// account. A record without spec.aws (one from before an EKS tenant
// needed it) is an error, not the caller's own credentials in the
// default region.
func TenantConfig(ctx context.Context, t *tenant.Tenant, opts ...ConfigOption) (Config, error) {
	if t.Spec.AWS == nil {
		return Config{}, fmt.Errorf("spec.aws: tenant %q's record has no AWS identity to act as in its account (spec.aws.region, spec.aws.roleARNs); apply it with one", t.Name)
	}
	return TenantIdentity(t.Spec.AWS).Config(ctx, opts...)
}

// isErrorCode reports whether err is an AWS API error with that code.
func isErrorCode(err error, code string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code
}

// decodeCA decodes the base64 certificate authority EKS reports.
func decodeCA(s string) []byte {
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return []byte(s) // moto reports arbitrary text; keep it as it is
	}
	return data
}
