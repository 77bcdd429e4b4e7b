// Package tenant defines the Tenant record (tenancy.kubectl-tenant.io/
// v1alpha1), its validation, and the Registry that keeps records.
package tenant

import (
	"cmp"
	"maps"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The API group, version and kinds of tenant records.
const (
	Group      = "tenancy.kubectl-tenant.io"
	Version    = "v1alpha1"
	APIVersion = Group + "/" + Version
	Kind       = "Tenant"
	ListKind   = "TenantList"
)

// SchemeGroupVersion is the group and version of tenant records.
var SchemeGroupVersion = schema.GroupVersion{Group: Group, Version: Version}

// Labels and the field manager that mark everything the plugin creates in
// a cluster, so that it can be listed, diffed and removed exactly.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "kubectl-tenant"
	LabelTenant    = Group + "/tenant"
	FieldManager   = "kubectl-tenant"
	// NamePrefix starts the name of everything the plugin names in a
	// cluster or a kubeconfig (ClusterRoles, bindings, IAM groups,
	// kubeconfig entries), so that none collides with a user's own.
	NamePrefix = "kubectl-tenant:"
)

// Tenant is a named boundary: a cluster, the namespaces it owns there, and
// who may do what in them.
type Tenant struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	Spec   Spec   `json:"spec"`
	Status Status `json:"status,omitempty"`
}

// Spec is what the tenant should be.
type Spec struct {
	// Cluster is where the tenant lives.
	Cluster Cluster `json:"cluster"`
	// AWS is the identity the plugin acts as in the tenant's AWS account,
	// for an EKS tenant.
	AWS *AWS `json:"aws,omitempty"`
	// Namespaces the tenant owns; the first is its default.
	Namespaces []string `json:"namespaces"`
	// Grants say who may do what.
	Grants []Grant `json:"grants,omitempty"`
	// Roles are the tenant's own roles, made of rules. A grant names one
	// by its name (the tenant's role comes before a ClusterRole of the
	// same name); each is a ClusterRole kubectl-tenant:TENANT:NAME, bound
	// only in the tenant's namespaces.
	Roles []Role `json:"roles,omitempty"`
	// WorkloadRoles are the IAM roles the tenant's ServiceAccounts
	// assume, one each.
	WorkloadRoles []WorkloadRole `json:"workloadRoles,omitempty"`
	// Addons are the EKS add-ons of the tenant's cluster the plugin
	// makes, with their workload roles.
	Addons []Addon `json:"addons,omitempty"`
}

// Role is a tenant's own role: what it allows, in kubectl create
// clusterrole's terms.
type Role struct {
	Name  string              `json:"name"`
	Rules []rbacv1.PolicyRule `json:"rules"`
}

// Role returns the tenant's role of that name, or nil.
func (t *Tenant) Role(name string) *Role {
	for i := range t.Spec.Roles {
		if t.Spec.Roles[i].Name == name {
			return &t.Spec.Roles[i]
		}
	}
	return nil
}

// Cluster identifies the tenant's cluster.
type Cluster struct {
	// Context is the kubeconfig context the cluster was adopted through.
	Context string `json:"context,omitempty"`
	// Server is the cluster's API server URL, recorded at adoption so a
	// context that later points elsewhere is noticed.
	Server string `json:"server,omitempty"`
	// EKS is set for an EKS cluster.
	EKS *EKSCluster `json:"eks,omitempty"`
	// CAPA is set for an EKS cluster that Cluster API Provider AWS makes
	// from objects in a management cluster (EKS then says what the
	// cluster is made with).
	CAPA *CAPACluster `json:"capa,omitempty"`
}

// CAPACluster is where a tenant's Cluster API cluster is declared: a
// Cluster in a namespace of the management cluster, whose control plane
// CAPA's controller makes in the tenant's account through a chain of
// AWSClusterRoleIdentities.
type CAPACluster struct {
	// ManagementContext is the kubeconfig context of the management
	// cluster; empty means the cluster registry's.
	ManagementContext string `json:"managementContext,omitempty"`
	// Namespace and Name are the Cluster's.
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// SourceIdentity is the identity (KIND/NAME) the first hop of the
	// tenant's chain is assumed from; empty means the controller's own,
	// AWSClusterControllerIdentity/default.
	SourceIdentity string `json:"sourceIdentity,omitempty"`
	// CreatedByPlugin is true when kubectl-tenant made the Cluster API
	// objects (create --provider capa), false when it adopted them
	// (--from-capa); only the plugin's own are ever its to delete.
	CreatedByPlugin bool `json:"createdByPlugin,omitempty"`
}

// EKSCluster is the tenant's EKS cluster and what the plugin made for it.
type EKSCluster struct {
	Name string `json:"name"`
	ARN  string `json:"arn,omitempty"`
	// CreatedByPlugin is true when kubectl-tenant created the cluster; only
	// then may delete --delete-cluster remove it.
	CreatedByPlugin bool `json:"createdByPlugin,omitempty"`
	// ClusterRoleARN is the IAM role EKS runs the cluster as, and
	// ClusterRoleCreated whether the plugin created it.
	ClusterRoleARN     string `json:"clusterRoleARN,omitempty"`
	ClusterRoleCreated bool   `json:"clusterRoleCreated,omitempty"`
	// NodeRoleARN is the IAM role of the node group create made, and
	// NodeRoleCreated whether the plugin created the role.
	NodeRoleARN     string `json:"nodeRoleARN,omitempty"`
	NodeRoleCreated bool   `json:"nodeRoleCreated,omitempty"`
	// OIDCProviderCreated is true when the plugin made the IAM OIDC
	// provider of the cluster's issuer for the tenant's IRSA roles; only
	// then may workload-role --delete-oidc-provider remove it.
	OIDCProviderCreated bool `json:"oidcProviderCreated,omitempty"`

	// What the cluster is made with when the plugin creates it (create's
	// flags, or an applied document); empty means EKS's default, or for
	// the subnets the default VPC's. They are not changed on a cluster
	// that exists.
	KubernetesVersion  string   `json:"kubernetesVersion,omitempty"`
	EndpointAccess     string   `json:"endpointAccess,omitempty"` // public (default), private or public-and-private
	PublicAccessCIDRs  []string `json:"publicAccessCIDRs,omitempty"`
	AuthenticationMode string   `json:"authenticationMode,omitempty"` // API_AND_CONFIG_MAP (default), API or CONFIG_MAP
	SubnetIDs          []string `json:"subnetIDs,omitempty"`
	SecurityGroupIDs   []string `json:"securityGroupIDs,omitempty"`
	// Tags are added to the plugin's own managed-by and tenant tags.
	Tags map[string]string `json:"tags,omitempty"`
	// Nodegroup is a managed node group the plugin makes in the cluster
	// (with NodeRoleARN, or a role it creates).
	Nodegroup *Nodegroup `json:"nodegroup,omitempty"`
}

// The defaults of an EKS cluster the plugin creates.
const (
	DefaultEndpointAccess     = "public"
	DefaultAuthenticationMode = "API_AND_CONFIG_MAP"
)

// Endpoint is the cluster's endpoint access, defaulted.
func (e *EKSCluster) Endpoint() string { return cmp.Or(e.EndpointAccess, DefaultEndpointAccess) }

// AuthMode is the cluster's authentication mode, defaulted.
func (e *EKSCluster) AuthMode() string {
	return cmp.Or(e.AuthenticationMode, DefaultAuthenticationMode)
}

// Nodegroup is a managed node group of a tenant's EKS cluster.
type Nodegroup struct {
	Name          string   `json:"name"`
	InstanceTypes []string `json:"instanceTypes,omitempty"` // default m5.large
	// Nodes is the desired count (default 2); NodesMin and NodesMax
	// default to it (as create's flags do, so a minimum of 0 is not
	// expressed here).
	Nodes    int32 `json:"nodes,omitempty"`
	NodesMin int32 `json:"nodesMin,omitempty"`
	NodesMax int32 `json:"nodesMax,omitempty"`
}

// DefaultInstanceType and DefaultNodes are a node group's defaults.
const (
	DefaultInstanceType = "m5.large"
	DefaultNodes        = 2
)

// Defaulted is the node group with its defaults filled in.
func (n Nodegroup) Defaulted() Nodegroup {
	if len(n.InstanceTypes) == 0 {
		n.InstanceTypes = []string{DefaultInstanceType}
	}
	if n.Nodes == 0 {
		n.Nodes = DefaultNodes
	}
	n.NodesMin, n.NodesMax = cmp.Or(n.NodesMin, n.Nodes), cmp.Or(n.NodesMax, n.Nodes)
	return n
}

// AWS is how the plugin acts in a tenant's account: source credentials
// (the standard chain, or Profile), then each role of RoleARNs assumed in
// turn, the last with ExternalID.
type AWS struct {
	Region          string   `json:"region"`
	RoleARNs        []string `json:"roleARNs,omitempty"`
	ExternalID      string   `json:"externalID,omitempty"`
	SessionName     string   `json:"sessionName,omitempty"`
	DurationSeconds int32    `json:"durationSeconds,omitempty"`
	Profile         string   `json:"profile,omitempty"`
}

// Grant gives a subject a role in some or all of the tenant's namespaces,
// or cluster-wide when ClusterScope is set.
type Grant struct {
	Subject Subject `json:"subject"`
	// Role is admin, edit, view, or the name of a ClusterRole.
	Role string `json:"role"`
	// Namespaces limits the grant; empty means all of the tenant's.
	Namespaces []string `json:"namespaces,omitempty"`
	// ClusterScope binds the role cluster-wide. It is only ever set on
	// explicit request.
	ClusterScope bool `json:"clusterScope,omitempty"`
	// Via is how an IAM principal is let into the cluster: aws-auth or
	// access-entry. Only IAM grants have it.
	Via string `json:"via,omitempty"`
	// AccessPolicy is the EKS access policy (view, edit, admin,
	// cluster-admin) an access entry is associated with, instead of RBAC.
	AccessPolicy string `json:"accessPolicy,omitempty"`
}

// The channels that let an IAM principal into a cluster.
const (
	ViaAWSAuth     = "aws-auth"
	ViaAccessEntry = "access-entry"
)

// AccessPolicies are the EKS access policies a grant may name, by the
// names --access-policy takes.
var AccessPolicies = map[string]string{
	"view":          "AmazonEKSViewPolicy",
	"edit":          "AmazonEKSEditPolicy",
	"admin":         "AmazonEKSAdminPolicy",
	"cluster-admin": "AmazonEKSClusterAdminPolicy",
}

// The kinds of subject a grant can name.
const (
	SubjectServiceAccount = "ServiceAccount"
	SubjectUser           = "User"
	SubjectGroup          = "Group"
	// IAM principals, named by ARN; Kubernetes sees them as the user and
	// groups their mapping gives.
	SubjectIAMRole = "IAMRole"
	SubjectIAMUser = "IAMUser"
)

// IsIAM reports whether the subject is an IAM principal.
func (s Subject) IsIAM() bool { return s.Kind == SubjectIAMRole || s.Kind == SubjectIAMUser }

// Subject is who a grant is for.
type Subject struct {
	// Kind is ServiceAccount, User, Group, IAMRole or IAMUser.
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Namespace of a ServiceAccount.
	Namespace string `json:"namespace,omitempty"`
}

// Status is what was last observed.
type Status struct {
	// Server and CA of the cluster's API at the last observation.
	Server string `json:"server,omitempty"`
	// KubernetesVersion of the cluster at the last observation.
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// CAData is the cluster's certificate authority (EKS).
	CAData []byte `json:"caData,omitempty"`
	// AuthenticationMode of an EKS cluster: API, API_AND_CONFIG_MAP or CONFIG_MAP.
	AuthenticationMode string `json:"authenticationMode,omitempty"`
	// ObservedGeneration is the generation of the spec apply last
	// reconciled.
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Grants counts the grants in place at that reconcile.
	Grants int `json:"grants,omitempty"`
	// Conditions are ClusterReady, NamespacesReady, AccessReady and Ready,
	// each with the generation it speaks of.
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// The conditions apply writes, and Ready, which is true when they all are.
const (
	ConditionClusterReady    = "ClusterReady"
	ConditionNamespacesReady = "NamespacesReady"
	ConditionAccessReady     = "AccessReady"
	// ConditionWorkloadRolesReady is set for a tenant with workload
	// roles: each is in AWS as its record says.
	ConditionWorkloadRolesReady = "WorkloadRolesReady"
	ConditionReady              = "Ready"
)

// List is a list of tenants, the registry file's format.
type List struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Tenant `json:"items"`
}

// New returns an empty tenant record of the current version.
func New(name string) *Tenant {
	return &Tenant{
		TypeMeta:   metav1.TypeMeta{APIVersion: APIVersion, Kind: Kind},
		ObjectMeta: metav1.ObjectMeta{Name: name},
	}
}

// GrantNamespaces is where a grant applies: its own list, or every
// namespace of the tenant.
func (t *Tenant) GrantNamespaces(g Grant) []string {
	if len(g.Namespaces) > 0 {
		return g.Namespaces
	}
	return t.Spec.Namespaces
}

// DeepCopyInto copies t into out.
func (t *Tenant) DeepCopyInto(out *Tenant) {
	*out = *t
	t.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	out.Spec.Namespaces = append([]string(nil), t.Spec.Namespaces...)
	out.Spec.Grants = nil
	for _, g := range t.Spec.Grants {
		g.Namespaces = append([]string(nil), g.Namespaces...)
		out.Spec.Grants = append(out.Spec.Grants, g)
	}
	out.Spec.Roles = nil
	for _, r := range t.Spec.Roles {
		c := Role{Name: r.Name}
		for i := range r.Rules {
			c.Rules = append(c.Rules, *r.Rules[i].DeepCopy())
		}
		out.Spec.Roles = append(out.Spec.Roles, c)
	}
	out.Spec.Addons = slices.Clone(t.Spec.Addons)
	out.Spec.WorkloadRoles = nil
	for _, w := range t.Spec.WorkloadRoles {
		w.PolicyARNs = slices.Clone(w.PolicyARNs)
		out.Spec.WorkloadRoles = append(out.Spec.WorkloadRoles, w)
	}
	if t.Spec.AWS != nil {
		a := *t.Spec.AWS
		a.RoleARNs = append([]string(nil), a.RoleARNs...)
		out.Spec.AWS = &a
	}
	if t.Spec.Cluster.EKS != nil {
		out.Spec.Cluster.EKS = t.Spec.Cluster.EKS.DeepCopy()
	}
	if t.Spec.Cluster.CAPA != nil {
		c := *t.Spec.Cluster.CAPA
		out.Spec.Cluster.CAPA = &c
	}
	out.Status.CAData = append([]byte(nil), t.Status.CAData...)
	out.Status.Conditions = append([]metav1.Condition(nil), t.Status.Conditions...)
}

// DeepCopy returns a copy of e.
func (e *EKSCluster) DeepCopy() *EKSCluster {
	c := *e
	c.PublicAccessCIDRs = slices.Clone(e.PublicAccessCIDRs)
	c.SubnetIDs = slices.Clone(e.SubnetIDs)
	c.SecurityGroupIDs = slices.Clone(e.SecurityGroupIDs)
	c.Tags = maps.Clone(e.Tags)
	if e.Nodegroup != nil {
		n := *e.Nodegroup
		n.InstanceTypes = slices.Clone(n.InstanceTypes)
		c.Nodegroup = &n
	}
	return &c
}

// DeepCopy returns a copy of t.
func (t *Tenant) DeepCopy() *Tenant {
	out := new(Tenant)
	t.DeepCopyInto(out)
	return out
}

// DeepCopyObject implements runtime.Object.
func (t *Tenant) DeepCopyObject() runtime.Object { return t.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (l *List) DeepCopyObject() runtime.Object {
	out := &List{TypeMeta: l.TypeMeta}
	l.ListMeta.DeepCopyInto(&out.ListMeta)
	for i := range l.Items {
		out.Items = append(out.Items, *l.Items[i].DeepCopy())
	}
	return out
}

// ObjectName is how kubectl names a tenant record on one line (get -o
// name, apply): tenant.tenancy.kubectl-tenant.io/NAME.
func ObjectName(name string) string { return "tenant." + Group + "/" + name }
