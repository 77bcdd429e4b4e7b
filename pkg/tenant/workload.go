package tenant

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// WorkloadRole is an IAM role in the tenant's AWS account that one of its
// ServiceAccounts assumes, through EKS Pod Identity or IRSA: either a
// role the plugin makes (RoleName, with PolicyARNs attached) or an
// existing role (RoleARN), whose trust must admit that ServiceAccount
// alone and which the plugin never changes.
type WorkloadRole struct {
	// Namespace and ServiceAccount name the ServiceAccount, in one of
	// the tenant's namespaces; a ServiceAccount has one workload role.
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	// Via is pod-identity or irsa; empty is the cluster's default
	// (pod-identity on EKS, irsa on a Cluster API tenant).
	Via string `json:"via,omitempty"`
	// RoleName is the role the plugin makes (default
	// kubectl-tenant-TENANT-NAMESPACE-NAME), with PolicyARNs attached.
	RoleName   string   `json:"roleName,omitempty"`
	PolicyARNs []string `json:"policyARNs,omitempty"`
	// RoleARN is an existing role to use instead.
	RoleARN string `json:"roleARN,omitempty"`
	// RoleCreated says the plugin made the role for this tenant; only
	// then does a delete remove it. Only the plugin records it.
	RoleCreated bool `json:"roleCreated,omitempty"`
}

// The mechanisms a workload role is reached by.
const (
	ViaPodIdentity = "pod-identity"
	ViaIRSA        = "irsa"
)

// MaxWorkloadRoles bounds spec.workloadRoles; MaxRolePolicies is IAM's
// most managed policies on one role.
const (
	MaxWorkloadRoles = 64
	MaxRolePolicies  = 20
)

// Key names the ServiceAccount, NAMESPACE:NAME.
func (w WorkloadRole) Key() string { return w.Namespace + ":" + w.ServiceAccount }

// WorkloadRole returns the tenant's workload role of ServiceAccount
// ns/name, or nil.
func (t *Tenant) WorkloadRole(ns, name string) *WorkloadRole {
	return workloadRole(t.Spec.WorkloadRoles, ns+":"+name)
}

// Resolved is w with its defaults filled in for tenant t: the mechanism
// of t's cluster and the role name the plugin gives.
func (w WorkloadRole) Resolved(t *Tenant) WorkloadRole {
	if w.Via == "" {
		w.Via = ViaPodIdentity
		if t.Spec.Cluster.CAPA != nil {
			w.Via = ViaIRSA // CAPA installs no Pod Identity agent
		}
	}
	if w.RoleName == "" && w.RoleARN == "" {
		w.RoleName = DefaultWorkloadRoleName(t.Name, w.Namespace, w.ServiceAccount)
	}
	return w
}

// DefaultWorkloadRoleName is kubectl-tenant-TENANT-NS-NAME; one too long
// for IAM is cut, with a hash of the whole so that two cut names do not
// meet.
func DefaultWorkloadRoleName(tenantName, ns, name string) string {
	n := "kubectl-tenant-" + tenantName + "-" + ns + "-" + name
	if len(n) <= 64 {
		return n
	}
	sum := sha256.Sum256([]byte(n))
	return strings.TrimRight(n[:55], "-.") + "-" + hex.EncodeToString(sum[:4])
}

// maxARN is IAM's longest ARN.
const maxARN = 2048

var (
	// iamRoleNameRE is what IAM takes as a role name.
	iamRoleNameRE = compiled(`^[\w+=,.@-]{1,64}$`)
	// policyARNRE is a managed policy: AWS's or an account's.
	policyARNRE = compiled(`^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/([\w+=,.@-]+/)*[\w+=,.@-]{1,128}$`)
	// workloadRoleARNRE is a role ARN, with an optional path.
	workloadRoleARNRE = compiled(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
)

// validateWorkloadRoles checks spec.workloadRoles: each of a ServiceAccount
// of the tenant's, once, either made (roleName, policyARNs) or existing
// (roleARN), and nothing but the plugin's own record says it made one
// it was not asked to make.
func validateWorkloadRoles(p *field.Path, roles []WorkloadRole, owned map[string]bool) field.ErrorList {
	var errs field.ErrorList
	if len(roles) > MaxWorkloadRoles {
		errs = append(errs, field.TooMany(p, len(roles), MaxWorkloadRoles))
	}
	seen := map[string]bool{}
	for i, w := range roles {
		ip := p.Index(i)
		errs = append(errs, validateDNSLabel(ip.Child("namespace"), w.Namespace)...)
		if w.Namespace != "" && !owned[w.Namespace] {
			errs = append(errs, field.Invalid(ip.Child("namespace"), w.Namespace, "not one of the tenant's namespaces ("+strings.Join(sortedKeys(owned), ", ")+"): a workload role is for the tenant's own ServiceAccounts"))
		}
		errs = append(errs, validateDNSSubdomain(ip.Child("serviceAccount"), w.ServiceAccount)...)
		if seen[w.Key()] {
			errs = append(errs, field.Duplicate(ip, w.Key()))
		}
		seen[w.Key()] = true
		switch w.Via {
		case "", ViaPodIdentity, ViaIRSA:
		default:
			errs = append(errs, field.NotSupported(ip.Child("via"), w.Via, []string{ViaPodIdentity, ViaIRSA}))
		}
		if w.RoleName != "" && !iamRoleNameRE().MatchString(w.RoleName) {
			errs = append(errs, field.Invalid(ip.Child("roleName"), w.RoleName, "an IAM role name has 1 to 64 letters, digits and +=,.@_-"))
		}
		if len(w.PolicyARNs) > MaxRolePolicies {
			errs = append(errs, field.TooMany(ip.Child("policyARNs"), len(w.PolicyARNs), MaxRolePolicies))
		}
		for k, a := range w.PolicyARNs {
			if len(a) > maxARN || !policyARNRE().MatchString(a) {
				errs = append(errs, field.Invalid(ip.Child("policyARNs").Index(k), a, "a managed policy ARN: arn:aws:iam::ACCOUNT:policy/NAME, or arn:aws:iam::aws:policy/NAME for AWS's"))
			}
		}
		switch {
		case w.RoleARN != "" && (len(w.RoleARN) > maxARN || !workloadRoleARNRE().MatchString(w.RoleARN)):
			errs = append(errs, field.Invalid(ip.Child("roleARN"), w.RoleARN, "an IAM role ARN: arn:aws:iam::ACCOUNT:role/NAME, with a 12-digit account"))
		case w.RoleARN != "" && (w.RoleName != "" || len(w.PolicyARNs) > 0 || w.RoleCreated):
			errs = append(errs, field.Invalid(ip.Child("roleARN"), w.RoleARN, "an existing role is used as it is: give roleARN alone, or roleName and policyARNs for a role the plugin makes"))
		case w.RoleARN == "" && len(w.PolicyARNs) == 0:
			errs = append(errs, field.Required(ip.Child("policyARNs"), "give the managed policies the role gets, or roleARN for an existing role"))
		}
	}
	return errs
}

// String is the ServiceAccount and its role, for messages.
func (w WorkloadRole) String() string {
	role := w.RoleName
	if w.RoleARN != "" {
		role = w.RoleARN
	}
	return fmt.Sprintf("%s (role %s, %s)", w.Key(), role, w.Via)
}

// Addon is an EKS add-on of the tenant's cluster, with the workload role
// its controller assumes when it needs one (the EBS CSI driver's, for
// one): the role trusts the add-on's ServiceAccount alone, as any
// workload role does.
type Addon struct {
	Name string `json:"name"`
	// Version is the add-on's version; empty is EKS's default.
	Version string `json:"version,omitempty"`
	// Via is how its controller reaches its role: pod-identity (the
	// add-on's Pod Identity association) or irsa (its
	// serviceAccountRoleArn); empty is the cluster's default.
	Via string `json:"via,omitempty"`
	// RoleName is the role the plugin makes for it (default
	// kubectl-tenant-TENANT-NAMESPACE-SERVICEACCOUNT).
	RoleName string `json:"roleName,omitempty"`
	// Created and RoleCreated say the plugin made the add-on, and its
	// role, for this tenant; only then does a delete remove them. Only
	// the plugin records them.
	Created     bool `json:"created,omitempty"`
	RoleCreated bool `json:"roleCreated,omitempty"`
}

// MaxAddons bounds spec.addons.
const MaxAddons = 32

// Addon returns the tenant's add-on of that name, or nil.
func (t *Tenant) Addon(name string) *Addon {
	for i := range t.Spec.Addons {
		if t.Spec.Addons[i].Name == name {
			return &t.Spec.Addons[i]
		}
	}
	return nil
}

var (
	// addonNameRE is an EKS add-on name.
	addonNameRE = compiled(`^[a-z0-9]([-a-z0-9.]{0,98}[a-z0-9])?$`)
	// addonVersionRE is an EKS add-on version, v1.44.0-eksbuild.1.
	addonVersionRE = compiled(`^v[0-9][0-9A-Za-z.+_-]{0,99}$`)
)

// validateAddons checks spec.addons: each named once, with a version
// and a role name IAM and EKS take.
func validateAddons(p *field.Path, addons []Addon) field.ErrorList {
	var errs field.ErrorList
	if len(addons) > MaxAddons {
		errs = append(errs, field.TooMany(p, len(addons), MaxAddons))
	}
	seen := map[string]bool{}
	for i, a := range addons {
		ip := p.Index(i)
		if !addonNameRE().MatchString(a.Name) {
			errs = append(errs, field.Invalid(ip.Child("name"), a.Name, "an EKS add-on name: lower case letters, digits, '-' and '.', such as aws-ebs-csi-driver"))
		}
		if seen[a.Name] {
			errs = append(errs, field.Duplicate(ip.Child("name"), a.Name))
		}
		seen[a.Name] = true
		if a.Version != "" && !addonVersionRE().MatchString(a.Version) {
			errs = append(errs, field.Invalid(ip.Child("version"), a.Version, "an EKS add-on version, such as v1.44.0-eksbuild.1"))
		}
		switch a.Via {
		case "", ViaPodIdentity, ViaIRSA:
		default:
			errs = append(errs, field.NotSupported(ip.Child("via"), a.Via, []string{ViaPodIdentity, ViaIRSA}))
		}
		if a.RoleName != "" && !iamRoleNameRE().MatchString(a.RoleName) {
			errs = append(errs, field.Invalid(ip.Child("roleName"), a.RoleName, "an IAM role name has 1 to 64 letters, digits and +=,.@_-"))
		}
	}
	return errs
}
