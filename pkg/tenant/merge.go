package tenant

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// LastAppliedPrefix starts the annotations that hold, per field
// manager, the spec 'kubectl tenant apply' last wrote as that manager
// (LastAppliedPrefix + "/" + manager, JSON). Like kubectl's
// last-applied-configuration it tells a later apply which values are its
// own: what the document no longer lists and the last one did is
// removed, unless another manager's last apply also lists it; what
// someone added since (with grant, or as another manager) is kept.
const LastAppliedPrefix = "last-applied." + Group

// LastAppliedKey is the annotation of manager's last applied spec.
func LastAppliedKey(manager string) string { return LastAppliedPrefix + "/" + manager }

// IsLastAppliedKey reports whether an annotation holds a manager's last
// applied spec.
func IsLastAppliedKey(k string) bool { return strings.HasPrefix(k, LastAppliedPrefix+"/") }

// SameSpec reports whether two specs say the same, taking an empty list
// and a missing one alike.
func SameSpec(a, b Spec) bool {
	ja, erra := json.Marshal(a)
	jb, errb := json.Marshal(b)
	return erra == nil && errb == nil && string(ja) == string(jb)
}

// LastApplied is the spec manager last applied to t, nil when there is
// none, and the specs every other manager last applied.
func LastApplied(t *Tenant, manager string) (*Spec, []Spec, error) {
	if t == nil {
		return nil, nil, nil
	}
	var own *Spec
	var others []Spec
	for _, k := range sortedKeys(t.Annotations) {
		m, ok := strings.CutPrefix(k, LastAppliedPrefix+"/")
		if !ok {
			continue
		}
		s := Spec{}
		if err := json.Unmarshal([]byte(t.Annotations[k]), &s); err != nil {
			return nil, nil, fmt.Errorf("tenant %s: annotation %s is not a spec (%v): remove it and apply again", t.Name, k, err)
		}
		if m == manager {
			own = &s
		} else {
			others = append(others, s)
		}
	}
	return own, others, nil
}

// SetLastApplied records s as the spec manager last applied to t,
// without what only the plugin records (the server a context reached,
// the EKS cluster's ARN and what the plugin created) and what the
// plugin resolves the same when a document leaves it out (an EKS
// tenant's context named after it, the management cluster t's Cluster
// API objects are in): a document that carries them, as the output of
// get does, applies the same as one that does not.
func SetLastApplied(t *Tenant, manager string, s Spec) error {
	s.Cluster.Server = ""
	if s.Cluster.EKS != nil {
		e := *s.Cluster.EKS
		e.ARN, e.CreatedByPlugin, e.ClusterRoleCreated, e.NodeRoleCreated, e.OIDCProviderCreated = "", false, false, false, false
		s.Cluster.EKS = &e
		if s.Cluster.Context == t.Name {
			s.Cluster.Context = ""
		}
	}
	s.WorkloadRoles = slices.Clone(s.WorkloadRoles)
	for i := range s.WorkloadRoles {
		s.WorkloadRoles[i].RoleCreated = false
	}
	s.Addons = slices.Clone(s.Addons)
	for i := range s.Addons {
		s.Addons[i].Created, s.Addons[i].RoleCreated = false, false
	}
	if c := s.Cluster.CAPA; c != nil {
		a := *c
		a.CreatedByPlugin, a.ManagementContext = false, "" // a tenant's management cluster never changes (and is recorded as resolved)
		s.Cluster.CAPA = &a
	}
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if t.Annotations == nil {
		t.Annotations = map[string]string{}
	}
	t.Annotations[LastAppliedKey(manager)] = string(data)
	return nil
}

// MergeSpec is a three-way merge: the spec an apply of applied makes of
// current, the record as it is, given last, what the same manager's
// previous apply wrote (nil: none), and others, what other managers last
// applied. Namespaces and grants are sets: applied's are kept in its
// order, current's others stay unless last had them and no other
// manager's does (the document dropped them). Roles are a set by name,
// the document's version of one winning. A field the document sets wins; one it leaves empty
// keeps current's, so that what the plugin recorded (the cluster's
// server, the EKS cluster's ARN and roles) is not lost. The AWS identity
// is one value: the document's, or current's when neither the document
// nor the last apply had one.
func MergeSpec(last *Spec, others []Spec, applied, current Spec) Spec {
	if last == nil {
		last = &Spec{}
	}
	dropped := func(in func(Spec) bool) bool {
		return in(*last) && !slices.ContainsFunc(others, in)
	}
	out := Spec{Cluster: mergeCluster(applied.Cluster, current.Cluster), AWS: applied.AWS}
	if e, c := out.Cluster.EKS, current.Cluster.EKS; e != nil && c != nil && e.Name == c.Name &&
		!hasCreation(applied.Cluster.EKS) && (last.Cluster.EKS == nil || !hasCreation(last.Cluster.EKS)) {
		setCreation(e, c) // what create recorded, which no document has said otherwise
	}
	if applied.AWS == nil && reflect.DeepEqual(last.AWS, applied.AWS) {
		out.AWS = current.AWS
	}

	out.Namespaces = slices.Clone(applied.Namespaces)
	for _, ns := range current.Namespaces {
		if !slices.Contains(out.Namespaces, ns) && !dropped(func(s Spec) bool { return slices.Contains(s.Namespaces, ns) }) {
			out.Namespaces = append(out.Namespaces, ns)
		}
	}

	t := &Tenant{Spec: Spec{Grants: slices.Clone(applied.Grants)}}
	for _, g := range current.Grants {
		if !containsGrant(applied.Grants, g) && !dropped(func(s Spec) bool { return containsGrant(s.Grants, g) }) {
			t.AddGrant(g) // widened into an applied grant of the same role, or added
		}
	}
	out.Grants = t.Spec.Grants

	// Roles by name: the document's as it gives them.
	named := func(name string) func(Role) bool { return func(r Role) bool { return r.Name == name } }
	out.Roles = slices.Clone(applied.Roles)
	for _, r := range current.Roles {
		if !slices.ContainsFunc(out.Roles, named(r.Name)) && !dropped(func(s Spec) bool { return slices.ContainsFunc(s.Roles, named(r.Name)) }) {
			out.Roles = append(out.Roles, r)
		}
	}

	// Workload roles by ServiceAccount, as roles by name. Whether the
	// plugin made a role is the record's, for the same role only.
	out.WorkloadRoles = nil
	for _, w := range applied.WorkloadRoles {
		w.PolicyARNs, w.RoleCreated = slices.Clone(w.PolicyARNs), false
		if c := workloadRole(current.WorkloadRoles, w.Key()); c != nil && c.RoleName == w.RoleName && c.RoleARN == w.RoleARN {
			w.RoleCreated = c.RoleCreated
		}
		out.WorkloadRoles = append(out.WorkloadRoles, w)
	}
	for _, w := range current.WorkloadRoles {
		if workloadRole(out.WorkloadRoles, w.Key()) == nil && !dropped(func(s Spec) bool { return workloadRole(s.WorkloadRoles, w.Key()) != nil }) {
			out.WorkloadRoles = append(out.WorkloadRoles, w)
		}
	}

	// Add-ons by name, as roles; whether the plugin made one (and its
	// role) is the record's.
	out.Addons = nil
	for _, a := range applied.Addons {
		a.Created, a.RoleCreated = false, false
		for _, c := range current.Addons {
			if c.Name == a.Name {
				a.Created = c.Created
				a.RoleCreated = c.RoleCreated && c.RoleName == a.RoleName
			}
		}
		out.Addons = append(out.Addons, a)
	}
	for _, c := range current.Addons {
		named := func(a Addon) bool { return a.Name == c.Name }
		if !slices.ContainsFunc(out.Addons, named) && !dropped(func(s Spec) bool { return slices.ContainsFunc(s.Addons, named) }) {
			out.Addons = append(out.Addons, c)
		}
	}
	return out
}

// workloadRole is the workload role of ServiceAccount key in roles, or nil.
func workloadRole(roles []WorkloadRole, key string) *WorkloadRole {
	for i := range roles {
		if roles[i].Key() == key {
			return &roles[i]
		}
	}
	return nil
}

// creation is what an EKS cluster is made with, nothing else.
func creation(e *EKSCluster) EKSCluster {
	c := EKSCluster{}
	setCreation(&c, e)
	return c
}

// setCreation copies what from is made with into into.
func setCreation(into, from *EKSCluster) {
	into.KubernetesVersion, into.EndpointAccess, into.PublicAccessCIDRs = from.KubernetesVersion, from.EndpointAccess, slices.Clone(from.PublicAccessCIDRs)
	into.AuthenticationMode, into.SubnetIDs, into.SecurityGroupIDs = from.AuthenticationMode, slices.Clone(from.SubnetIDs), slices.Clone(from.SecurityGroupIDs)
	into.Tags, into.Nodegroup = maps.Clone(from.Tags), nil
	if from.Nodegroup != nil {
		n := *from.Nodegroup
		n.InstanceTypes = slices.Clone(n.InstanceTypes)
		into.Nodegroup = &n
	}
}

func hasCreation(e *EKSCluster) bool {
	return e != nil && !reflect.DeepEqual(creation(e), EKSCluster{})
}

func containsGrant(grants []Grant, g Grant) bool {
	return slices.ContainsFunc(grants, func(h Grant) bool { return reflect.DeepEqual(h, g) })
}

// mergeCluster takes the document's cluster, keeping what the plugin
// recorded and the document leaves out. Whether the plugin created the
// EKS cluster and its roles (which lets delete --delete-cluster remove
// them) is never taken from a document: only the plugin records it.
func mergeCluster(applied, current Cluster) Cluster {
	out := applied
	if out.Context == "" {
		out.Context = current.Context
	}
	if out.Server == "" {
		out.Server = current.Server
	}
	if a, c := out.CAPA, current.CAPA; a != nil && c != nil {
		capa := *a // who made the objects is the record's; what the document leaves empty keeps the record's
		capa.CreatedByPlugin = c.CreatedByPlugin
		if capa.ManagementContext == "" {
			capa.ManagementContext = c.ManagementContext
		}
		if capa.SourceIdentity == "" {
			capa.SourceIdentity = c.SourceIdentity
		}
		out.CAPA = &capa
	}
	if out.EKS == nil {
		return out
	}
	e := *out.EKS
	e.CreatedByPlugin, e.ClusterRoleCreated, e.NodeRoleCreated, e.OIDCProviderCreated = false, false, false, false
	if c := current.EKS; c != nil && c.Name == e.Name {
		if e.ARN == "" {
			e.ARN = c.ARN
		}
		if e.ClusterRoleARN == "" || e.ClusterRoleARN == c.ClusterRoleARN {
			e.ClusterRoleARN, e.ClusterRoleCreated = c.ClusterRoleARN, c.ClusterRoleCreated
		}
		if e.NodeRoleARN == "" || e.NodeRoleARN == c.NodeRoleARN {
			e.NodeRoleARN, e.NodeRoleCreated = c.NodeRoleARN, c.NodeRoleCreated
		}
		e.CreatedByPlugin, e.OIDCProviderCreated = c.CreatedByPlugin, c.OIDCProviderCreated
	}
	out.EKS = &e
	return out
}
