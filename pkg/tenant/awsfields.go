package tenant

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/awsname"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
)

// The shapes of the names a tenant record holds are package awsname's,
// which flags and the signer check with the same predicates; the Tenant
// CRD states the same patterns, so that a record is valid or not wherever
// it is read.

// validateAWS checks the identity the plugin acts as in the tenant's
// account.
func validateAWS(p *field.Path, a *AWS) field.ErrorList {
	var errs field.ErrorList
	switch {
	case a.Region == "":
		errs = append(errs, field.Required(p.Child("region"), "the AWS region of the tenant's cluster"))
	case !awsname.IsRegion(a.Region):
		errs = append(errs, field.Invalid(p.Child("region"), a.Region, awsname.RegionShape))
	}
	if len(a.RoleARNs) > awsname.MaxRoleChain {
		errs = append(errs, field.TooMany(p.Child("roleARNs"), len(a.RoleARNs), awsname.MaxRoleChain))
	}
	for i, r := range a.RoleARNs {
		errs = append(errs, validateRoleARN(p.Child("roleARNs").Index(i), r)...)
	}
	if a.ExternalID != "" {
		if !awsname.IsExternalID(a.ExternalID) {
			errs = append(errs, field.Invalid(p.Child("externalID"), a.ExternalID, awsname.ExternalIDShape))
		}
		if len(a.RoleARNs) == 0 {
			errs = append(errs, field.Invalid(p.Child("externalID"), a.ExternalID, "an external ID needs the role it belongs to (spec.aws.roleARNs)"))
		}
	}
	if a.SessionName != "" && !awsname.IsSessionName(a.SessionName) {
		errs = append(errs, field.Invalid(p.Child("sessionName"), a.SessionName, awsname.SessionNameShape))
	}
	if d := time.Duration(a.DurationSeconds) * time.Second; d != 0 && (d < awsname.MinRoleSession || d > awsname.MaxRoleSession) {
		errs = append(errs, field.Invalid(p.Child("durationSeconds"), a.DurationSeconds, "a role session lasts 900 to 43200 seconds (15m to 12h)"))
	}
	return errs
}

// validateEKS checks the record of a tenant's EKS cluster.
func validateEKS(p *field.Path, e *EKSCluster) field.ErrorList {
	var errs field.ErrorList
	if !awsname.IsEKSClusterName(e.Name) {
		errs = append(errs, field.Invalid(p.Child("name"), e.Name, awsname.ClusterNameShape))
	}
	if e.ClusterRoleARN != "" {
		errs = append(errs, validateRoleARN(p.Child("clusterRoleARN"), e.ClusterRoleARN)...)
	}
	if e.NodeRoleARN != "" {
		errs = append(errs, validateRoleARN(p.Child("nodeRoleARN"), e.NodeRoleARN)...)
	}
	return append(errs, validateEKSCreation(p, e)...)
}

// The bounds of what an EKS cluster is made with.
const (
	MaxEKSListItems = 64
	// MaxEKSTags leaves room, within EKS's 50, for the plugin's own two.
	MaxEKSTags = 48
)

var (
	kubernetesVersionRE = compiled(`^1\.[0-9]{1,2}$`)
	subnetIDRE          = compiled(`^subnet-[0-9a-f]{1,32}$`)
	securityGroupIDRE   = compiled(`^sg-[0-9a-f]{1,32}$`)
	nodegroupNameRE     = compiled(`^[0-9A-Za-z][A-Za-z0-9_-]{0,62}$`)
	instanceTypeRE      = compiled(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
)

// What each shape of an EKS cluster's parameters is.
const (
	NodegroupNameShape = "1 to 63 letters, digits, - and _, starting with a letter or digit"
	InstanceTypeShape  = "not an EC2 instance type (such as m5.large or t3.medium)"
)

// IsNodegroupName reports whether s is a name EKS takes for a node group.
func IsNodegroupName(s string) bool { return nodegroupNameRE().MatchString(s) }

// IsInstanceType reports whether s has the shape of an EC2 instance type
// (family.size); whether EC2 offers it in the region is EKS's to say.
func IsInstanceType(s string) bool { return instanceTypeRE().MatchString(s) }

// validateEKSCreation checks what the cluster is made with.
func validateEKSCreation(p *field.Path, e *EKSCluster) field.ErrorList {
	var errs field.ErrorList
	if v := e.KubernetesVersion; v != "" && !kubernetesVersionRE().MatchString(v) {
		errs = append(errs, field.Invalid(p.Child("kubernetesVersion"), v, "a Kubernetes minor version as EKS names it, such as 1.31"))
	}
	switch e.EndpointAccess {
	case "", "public", "private", "public-and-private":
	default:
		errs = append(errs, field.NotSupported(p.Child("endpointAccess"), e.EndpointAccess, []string{"public", "private", "public-and-private"}))
	}
	switch e.AuthenticationMode {
	case "", "API", "API_AND_CONFIG_MAP", "CONFIG_MAP":
	default:
		errs = append(errs, field.NotSupported(p.Child("authenticationMode"), e.AuthenticationMode, []string{"API", "API_AND_CONFIG_MAP", "CONFIG_MAP"}))
	}
	cidrs := p.Child("publicAccessCIDRs")
	if len(e.PublicAccessCIDRs) > 0 && e.EndpointAccess == "private" {
		errs = append(errs, field.Invalid(cidrs, e.PublicAccessCIDRs, "a private endpoint has no public access to limit; set endpointAccess to public-and-private"))
	}
	for i, c := range e.PublicAccessCIDRs {
		if _, err := netip.ParsePrefix(c); err != nil {
			errs = append(errs, field.Invalid(cidrs.Index(i), c, "not a CIDR block (such as 203.0.113.0/24)"))
		}
	}
	errs = append(errs, validateIDs(p.Child("subnetIDs"), e.SubnetIDs, subnetIDRE(), "not a subnet ID (such as subnet-0a1b2c3d)")...)
	errs = append(errs, validateIDs(p.Child("securityGroupIDs"), e.SecurityGroupIDs, securityGroupIDRE(), "not a security group ID (such as sg-0a1b2c3d)")...)
	errs = append(errs, validateIDs(cidrs, e.PublicAccessCIDRs, nil, "")...)
	if len(e.Tags) > MaxEKSTags {
		errs = append(errs, field.TooMany(p.Child("tags"), len(e.Tags), MaxEKSTags))
	}
	for _, k := range sortedKeys(e.Tags) {
		switch tp := p.Child("tags").Key(k); {
		case k == "" || len(k) > 128:
			errs = append(errs, field.Invalid(tp, k, "a tag key is 1 to 128 characters"))
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			errs = append(errs, field.Invalid(tp, k, "the aws: prefix is reserved for AWS"))
		case len(e.Tags[k]) > 256:
			errs = append(errs, field.TooLong(tp, e.Tags[k], 256))
		}
	}
	if n := e.Nodegroup; n != nil {
		errs = append(errs, validateNodegroup(p.Child("nodegroup"), *n)...)
	}
	return errs
}

// validateIDs bounds a list and checks each item against re (nil: any).
func validateIDs(p *field.Path, ids []string, re *regexp.Regexp, shape string) field.ErrorList {
	var errs field.ErrorList
	if len(ids) > MaxEKSListItems {
		errs = append(errs, field.TooMany(p, len(ids), MaxEKSListItems))
	}
	for i, id := range ids {
		if re != nil && !re.MatchString(id) {
			errs = append(errs, field.Invalid(p.Index(i), id, shape))
		}
	}
	return errs
}

// validateNodegroup checks a node group, its counts with their defaults.
func validateNodegroup(p *field.Path, n Nodegroup) field.ErrorList {
	var errs field.ErrorList
	if !IsNodegroupName(n.Name) {
		errs = append(errs, field.Invalid(p.Child("name"), n.Name, NodegroupNameShape))
	}
	errs = append(errs, validateIDs(p.Child("instanceTypes"), n.InstanceTypes, instanceTypeRE(), InstanceTypeShape)...)
	for _, c := range []struct {
		name  string
		count int32
	}{{"nodes", n.Nodes}, {"nodesMin", n.NodesMin}, {"nodesMax", n.NodesMax}} {
		if c.count < 0 {
			errs = append(errs, field.Invalid(p.Child(c.name), c.count, "a node count cannot be negative"))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	d := n.Defaulted()
	if d.NodesMin > d.Nodes {
		errs = append(errs, field.Invalid(p.Child("nodesMin"), n.NodesMin, fmt.Sprintf("more than the %d nodes wanted", d.Nodes)))
	}
	if d.NodesMax < d.Nodes {
		errs = append(errs, field.Invalid(p.Child("nodesMax"), n.NodesMax, fmt.Sprintf("less than the %d nodes wanted", d.Nodes)))
	}
	return errs
}

func validateRoleARN(p *field.Path, s string) field.ErrorList {
	if _, err := iamarn.ParseRole(s); err != nil {
		return field.ErrorList{field.Invalid(p, s, err.Error())}
	}
	return nil
}

// compiled is a regular expression compiled when first used: compiling
// them all when the package loads was most of every command's start.
func compiled(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
