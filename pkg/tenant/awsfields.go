package tenant

import (
	"regexp"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
)

// The shapes AWS gives the names a tenant record holds. pkg/aws checks
// flags with the same predicates, and the Tenant CRD states the same
// patterns, so that a record is valid or not wherever it is read.
var (
	regionRE      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]+$`) // 2 to 1224 long: RE2 repeats at most 1000
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	clusterNameRE = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$`)
)

// What each shape is, said to the user who gave another.
const (
	RegionShape      = "not an AWS region name (such as eu-west-1)"
	ExternalIDShape  = "2 to 1224 characters of letters, digits and +=,.@:/-"
	SessionNameShape = "2 to 64 characters of letters, digits and +=,.@_-"
	ClusterNameShape = "EKS takes 1 to 100 letters, digits, - and _, starting with a letter or digit"
)

// The bounds of an assumed role's session.
const (
	MinRoleSession = 15 * time.Minute
	MaxRoleSession = 12 * time.Hour
)

// MaxRoleChain is the longest chain of roles a tenant's identity takes.
const MaxRoleChain = 16

// IsRegion reports whether s has the shape of an AWS region name.
func IsRegion(s string) bool { return regionRE.MatchString(s) }

// IsExternalID reports whether s is a valid sts:ExternalId.
func IsExternalID(s string) bool {
	return len(s) >= 2 && len(s) <= 1224 && externalIDRE.MatchString(s)
}

// IsSessionName reports whether s is a valid role session name.
func IsSessionName(s string) bool { return sessionNameRE.MatchString(s) }

// IsEKSClusterName reports whether s is a name EKS takes for a cluster.
func IsEKSClusterName(s string) bool { return clusterNameRE.MatchString(s) }

// validateAWS checks the identity the plugin acts as in the tenant's
// account.
func validateAWS(p *field.Path, a *AWS) field.ErrorList {
	var errs field.ErrorList
	switch {
	case a.Region == "":
		errs = append(errs, field.Required(p.Child("region"), "the AWS region of the tenant's cluster"))
	case !IsRegion(a.Region):
		errs = append(errs, field.Invalid(p.Child("region"), a.Region, RegionShape))
	}
	if len(a.RoleARNs) > MaxRoleChain {
		errs = append(errs, field.TooMany(p.Child("roleARNs"), len(a.RoleARNs), MaxRoleChain))
	}
	for i, r := range a.RoleARNs {
		errs = append(errs, validateRoleARN(p.Child("roleARNs").Index(i), r)...)
	}
	if a.ExternalID != "" {
		if !IsExternalID(a.ExternalID) {
			errs = append(errs, field.Invalid(p.Child("externalID"), a.ExternalID, ExternalIDShape))
		}
		if len(a.RoleARNs) == 0 {
			errs = append(errs, field.Invalid(p.Child("externalID"), a.ExternalID, "an external ID needs the role it belongs to (spec.aws.roleARNs)"))
		}
	}
	if a.SessionName != "" && !IsSessionName(a.SessionName) {
		errs = append(errs, field.Invalid(p.Child("sessionName"), a.SessionName, SessionNameShape))
	}
	if d := time.Duration(a.DurationSeconds) * time.Second; d != 0 && (d < MinRoleSession || d > MaxRoleSession) {
		errs = append(errs, field.Invalid(p.Child("durationSeconds"), a.DurationSeconds, "a role session lasts 900 to 43200 seconds (15m to 12h)"))
	}
	return errs
}

// validateEKS checks the record of a tenant's EKS cluster.
func validateEKS(p *field.Path, e *EKSCluster) field.ErrorList {
	var errs field.ErrorList
	if !IsEKSClusterName(e.Name) {
		errs = append(errs, field.Invalid(p.Child("name"), e.Name, ClusterNameShape))
	}
	if e.ClusterRoleARN != "" {
		errs = append(errs, validateRoleARN(p.Child("clusterRoleARN"), e.ClusterRoleARN)...)
	}
	if e.NodeRoleARN != "" {
		errs = append(errs, validateRoleARN(p.Child("nodeRoleARN"), e.NodeRoleARN)...)
	}
	return errs
}

func validateRoleARN(p *field.Path, s string) field.ErrorList {
	if _, err := iamarn.ParseRole(s); err != nil {
		return field.ErrorList{field.Invalid(p, s, err.Error())}
	}
	return nil
}
