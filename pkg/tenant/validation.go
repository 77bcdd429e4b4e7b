package tenant

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
)

// BuiltinRoles are the role names a grant maps to Kubernetes' own
// aggregated ClusterRoles of the same names.
var BuiltinRoles = []string{"admin", "edit", "view"}

// The limits of a record. The Tenant CRD states them too: the apiserver
// bounds the cost of the CRD's validation rules by them.
const (
	MaxNamespaces        = 256
	MaxGrants            = 256
	MaxGrantNamespaces   = 8
	MaxSubjectNameLength = 1024
	MaxRoleNameLength    = 253
	// A tenant's own roles: how many, how many rules each, how many
	// entries in each list of a rule.
	MaxRoles     = 32
	MaxRoleRules = 32
	MaxRuleItems = 64
)

// Validate checks a tenant record and returns every problem, each naming
// its field, as "spec.namespaces[1]: Invalid value: ...".
func Validate(t *Tenant) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateDNSLabel(field.NewPath("metadata", "name"), t.Name)...)
	spec := field.NewPath("spec")
	nsPath := spec.Child("namespaces")
	if len(t.Spec.Namespaces) == 0 {
		errs = append(errs, field.Required(nsPath, "a tenant owns at least one namespace"))
	}
	if len(t.Spec.Namespaces) > MaxNamespaces {
		errs = append(errs, field.TooMany(nsPath, len(t.Spec.Namespaces), MaxNamespaces))
	}
	if len(t.Spec.Grants) > MaxGrants {
		errs = append(errs, field.TooMany(spec.Child("grants"), len(t.Spec.Grants), MaxGrants))
	}
	if t.Spec.AWS != nil {
		errs = append(errs, validateAWS(spec.Child("aws"), t.Spec.AWS)...)
	}
	if t.Spec.Cluster.EKS != nil {
		errs = append(errs, validateEKS(spec.Child("cluster", "eks"), t.Spec.Cluster.EKS)...)
		if t.Spec.AWS == nil {
			errs = append(errs, field.Required(spec.Child("aws"), "an EKS tenant acts in its AWS account through spec.aws: give at least its region (and roleARNs to assume)"))
		}
	}
	if c := t.Spec.Cluster.CAPA; c != nil {
		errs = append(errs, validateCAPA(spec, t)...)
	}
	owned := map[string]bool{}
	for i, ns := range t.Spec.Namespaces {
		errs = append(errs, validateDNSLabel(nsPath.Index(i), ns)...)
		if owned[ns] {
			errs = append(errs, field.Duplicate(nsPath.Index(i), ns))
		}
		owned[ns] = true
	}
	for i, g := range t.Spec.Grants {
		p := spec.Child("grants").Index(i)
		errs = append(errs, ValidateGrant(p, g, owned)...)
		if g.ClusterScope && t.Role(g.Role) != nil {
			errs = append(errs, field.Invalid(p.Child("clusterScope"), true, "role "+g.Role+" is one of the tenant's roles, which are bound only in its namespaces"))
		}
	}
	errs = append(errs, validateRoles(spec.Child("roles"), t.Spec.Roles)...)
	errs = append(errs, validateWorkloadRoles(spec.Child("workloadRoles"), t.Spec.WorkloadRoles, owned)...)
	errs = append(errs, validateAddons(spec.Child("addons"), t.Spec.Addons)...)
	return errs
}

// ReservedRoleName cannot name a tenant's role: its ClusterRole's name is
// taken by the tenant's namespace reader.
const ReservedRoleName = "namespaces"

// validateRoles checks the tenant's own roles: named as DNS-1123 labels,
// once each, each rule with verbs, API groups and resources (no
// non-resource URLs: the roles are bound in namespaces, where those mean
// nothing).
func validateRoles(p *field.Path, roles []Role) field.ErrorList {
	var errs field.ErrorList
	if len(roles) > MaxRoles {
		errs = append(errs, field.TooMany(p, len(roles), MaxRoles))
	}
	seen := map[string]bool{}
	for i, r := range roles {
		rp := p.Index(i)
		errs = append(errs, validateDNSLabel(rp.Child("name"), r.Name)...)
		if seen[r.Name] {
			errs = append(errs, field.Duplicate(rp.Child("name"), r.Name))
		}
		if r.Name == ReservedRoleName {
			errs = append(errs, field.Invalid(rp.Child("name"), r.Name, "reserved: kubectl-tenant:TENANT:namespaces is the ClusterRole that lets the tenant's subjects get its namespaces"))
		}
		seen[r.Name] = true
		if len(r.Rules) == 0 {
			errs = append(errs, field.Required(rp.Child("rules"), "a role allows something: give at least one rule"))
		}
		if len(r.Rules) > MaxRoleRules {
			errs = append(errs, field.TooMany(rp.Child("rules"), len(r.Rules), MaxRoleRules))
		}
		for j, rule := range r.Rules {
			errs = append(errs, validateRule(rp.Child("rules").Index(j), rule)...)
		}
	}
	return errs
}

func validateRule(p *field.Path, r rbacv1.PolicyRule) field.ErrorList {
	var errs field.ErrorList
	if len(r.NonResourceURLs) > 0 {
		errs = append(errs, field.Forbidden(p.Child("nonResourceURLs"), "a tenant's role is bound in its namespaces, where non-resource URLs mean nothing"))
	}
	for _, l := range []struct {
		name     string
		items    []string
		required bool
	}{{"verbs", r.Verbs, true}, {"apiGroups", r.APIGroups, true}, {"resources", r.Resources, true}, {"resourceNames", r.ResourceNames, false}} {
		lp := p.Child(l.name)
		if l.required && len(l.items) == 0 {
			errs = append(errs, field.Required(lp, "name at least one (\"\" is the core API group, \"*\" all)"))
		}
		if len(l.items) > MaxRuleItems {
			errs = append(errs, field.TooMany(lp, len(l.items), MaxRuleItems))
		}
		for k, item := range l.items {
			if len(item) > MaxRoleNameLength {
				errs = append(errs, field.TooLong(lp.Index(k), item, MaxRoleNameLength))
			}
			if l.name != "apiGroups" && item == "" {
				errs = append(errs, field.Invalid(lp.Index(k), item, "must not be empty"))
			}
		}
	}
	return errs
}

// ValidateGrant checks one grant; owned are the tenant's namespaces.
func ValidateGrant(p *field.Path, g Grant, owned map[string]bool) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateSubject(p.Child("subject"), g.Subject)...)
	errs = append(errs, ValidateRoleName(p.Child("role"), g.Role)...)
	if len(g.Namespaces) > MaxGrantNamespaces {
		errs = append(errs, field.TooMany(p.Child("namespaces"), len(g.Namespaces), MaxGrantNamespaces))
	}
	for i, ns := range g.Namespaces {
		if !owned[ns] {
			errs = append(errs, field.Invalid(p.Child("namespaces").Index(i), ns,
				"not one of the tenant's namespaces ("+strings.Join(sortedKeys(owned), ", ")+")"))
		}
	}
	if g.ClusterScope && len(g.Namespaces) > 0 {
		errs = append(errs, field.Invalid(p.Child("clusterScope"), true, "a cluster-scoped grant takes no namespaces"))
	}
	return append(errs, validateIAMGrant(p, g)...)
}

// validateIAMGrant checks what only IAM grants have: the channel, and the
// access policy that may replace RBAC on an access entry.
func validateIAMGrant(p *field.Path, g Grant) field.ErrorList {
	var errs field.ErrorList
	if !g.Subject.IsIAM() {
		if g.Via != "" {
			errs = append(errs, field.Invalid(p.Child("via"), g.Via, "only IAM principals (--iam-role, --iam-user) have a channel"))
		}
		if g.AccessPolicy != "" {
			errs = append(errs, field.Invalid(p.Child("accessPolicy"), g.AccessPolicy, "only IAM principals granted through an access entry have an access policy"))
		}
		return errs
	}
	switch g.Via {
	case ViaAWSAuth, ViaAccessEntry:
	default:
		errs = append(errs, field.NotSupported(p.Child("via"), g.Via, []string{ViaAccessEntry, ViaAWSAuth}))
	}
	if g.AccessPolicy != "" {
		if _, ok := AccessPolicies[g.AccessPolicy]; !ok {
			errs = append(errs, field.NotSupported(p.Child("accessPolicy"), g.AccessPolicy, sortedKeys(AccessPolicies)))
		}
		if g.Via != ViaAccessEntry {
			errs = append(errs, field.Invalid(p.Child("accessPolicy"), g.AccessPolicy, "an access policy needs --via access-entry"))
		}
	}
	if g.ClusterScope {
		errs = append(errs, field.Invalid(p.Child("clusterScope"), true, "IAM principals are granted in the tenant's namespaces only; grant cluster-wide roles to a group with --group"))
	}
	return errs
}

func validateIAMSubject(p *field.Path, s Subject) field.ErrorList {
	kind := iamarn.Role
	if s.Kind == SubjectIAMUser {
		kind = iamarn.User
	}
	if _, err := iamarn.Parse(s.Name, kind); err != nil {
		return field.ErrorList{field.Invalid(p.Child("name"), s.Name, err.Error())}
	}
	return nil
}

func validateSubject(p *field.Path, s Subject) field.ErrorList {
	var errs field.ErrorList
	if len(s.Name) > MaxSubjectNameLength {
		errs = append(errs, field.TooLong(p.Child("name"), "", MaxSubjectNameLength))
	}
	switch s.Kind {
	case SubjectServiceAccount:
		errs = append(errs, validateDNSSubdomain(p.Child("name"), s.Name)...)
		errs = append(errs, validateDNSLabel(p.Child("namespace"), s.Namespace)...)
	case SubjectUser, SubjectGroup:
		if s.Name == "" {
			errs = append(errs, field.Required(p.Child("name"), ""))
		}
		if s.Namespace != "" {
			errs = append(errs, field.Invalid(p.Child("namespace"), s.Namespace, "only a ServiceAccount has a namespace"))
		}
	case SubjectIAMRole, SubjectIAMUser:
		errs = append(errs, validateIAMSubject(p, s)...)
	default:
		errs = append(errs, field.NotSupported(p.Child("kind"), s.Kind, []string{SubjectServiceAccount, SubjectUser, SubjectGroup, SubjectIAMRole, SubjectIAMUser}))
	}
	return errs
}

// ValidateRoleName checks a role: admin, edit, view, or a valid
// ClusterRole name.
func ValidateRoleName(p *field.Path, role string) field.ErrorList {
	if role == "" {
		return field.ErrorList{field.Required(p, "admin, edit, view or the name of a ClusterRole")}
	}
	var errs field.ErrorList
	if len(role) > MaxRoleNameLength {
		errs = append(errs, field.TooLong(p, "", MaxRoleNameLength))
	}
	for _, msg := range content.IsPathSegmentName(role) {
		errs = append(errs, field.Invalid(p, role, msg))
	}
	return errs
}

func validateDNSLabel(p *field.Path, v string) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "a DNS-1123 label: lower case letters, digits and '-'")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(v) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

func validateDNSSubdomain(p *field.Path, v string) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(v) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

// ValidateName checks a tenant name alone, for commands that take one.
func ValidateName(name string) error {
	if errs := validateDNSLabel(field.NewPath("tenant name"), name); len(errs) > 0 {
		return fmt.Errorf("%s", errs[0].Error())
	}
	return nil
}

// sourceIdentityRE is the shape of a CAPA identity reference: a kind of
// identity and a DNS-1123 subdomain.
var sourceIdentityRE = compiled(`^(AWSClusterControllerIdentity|AWSClusterRoleIdentity|AWSClusterStaticIdentity)/[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)

// validateCAPA checks where a CAPA tenant's Cluster is declared, and that
// the record says what CAPA makes: an EKS cluster (spec.cluster.eks, which
// CAPA and not the plugin creates) in an account reached through a role.
func validateCAPA(spec *field.Path, t *Tenant) field.ErrorList {
	p, c := spec.Child("cluster", "capa"), t.Spec.Cluster.CAPA
	var errs field.ErrorList
	errs = append(errs, validateDNSLabel(p.Child("namespace"), c.Namespace)...)
	errs = append(errs, validateDNSLabel(p.Child("name"), c.Name)...)
	if c.SourceIdentity != "" && !sourceIdentityRE().MatchString(c.SourceIdentity) {
		errs = append(errs, field.Invalid(p.Child("sourceIdentity"), c.SourceIdentity, "name an identity as KIND/NAME, KIND one of AWSClusterControllerIdentity, AWSClusterRoleIdentity, AWSClusterStaticIdentity"))
	}
	if len(c.ManagementContext) > 1024 {
		errs = append(errs, field.TooLong(p.Child("managementContext"), "", 1024))
	}
	switch eks := t.Spec.Cluster.EKS; {
	case eks == nil:
		errs = append(errs, field.Required(spec.Child("cluster", "eks"), "a CAPA tenant's cluster is an EKS cluster: give at least its name"))
	case eks.CreatedByPlugin:
		errs = append(errs, field.Invalid(spec.Child("cluster", "eks", "createdByPlugin"), true, "CAPA's controller, not kubectl-tenant, creates a CAPA tenant's EKS cluster"))
	}
	if t.Spec.AWS == nil || len(t.Spec.AWS.RoleARNs) == 0 {
		errs = append(errs, field.Required(spec.Child("aws", "roleARNs"), "CAPA reaches the tenant's account through an AWSClusterRoleIdentity per role: name at least one"))
	}
	return errs
}
