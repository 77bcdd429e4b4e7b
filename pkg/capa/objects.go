package capa

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	infrav1 "sigs.k8s.io/cluster-api-provider-aws/v2/api/v1beta2"
	ekscontrolplanev1 "sigs.k8s.io/cluster-api-provider-aws/v2/controlplane/eks/api/v1beta2"
	expinfrav1 "sigs.k8s.io/cluster-api-provider-aws/v2/exp/api/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Spec is a tenant's cluster as CAPA makes it: the tenant's namespace in
// the management cluster, the cluster's parameters (as an EKS tenant's
// record holds them) and the role chain CAPA's controller takes into the
// tenant's account.
type Spec struct {
	Tenant string
	// Namespace holds the tenant's Cluster API objects in the management
	// cluster (default: the tenant's name).
	Namespace string
	EKS       tenant.EKSCluster
	// AWS is the tenant's account: Region, and RoleARNs, each hop an
	// AWSClusterRoleIdentity (the last with ExternalID).
	AWS tenant.AWS
	// Source is the identity the first hop is assumed from (default:
	// the controller's own, AWSClusterControllerIdentity/default).
	Source *infrav1.AWSIdentityReference
}

// SpecOf is the CAPA spec a CAPA tenant's record declares.
func SpecOf(t *tenant.Tenant) (Spec, error) {
	c, eks, a := t.Spec.Cluster.CAPA, t.Spec.Cluster.EKS, t.Spec.AWS
	if c == nil || eks == nil || a == nil {
		return Spec{}, fmt.Errorf("tenant %q is not a CAPA tenant", t.Name)
	}
	s := Spec{Tenant: t.Name, Namespace: c.Namespace, EKS: *eks, AWS: *a}
	if c.SourceIdentity != "" {
		ref, err := ParseRef(c.SourceIdentity)
		if err != nil {
			return Spec{}, fmt.Errorf("spec.cluster.capa.sourceIdentity: %w", err)
		}
		s.Source = ref
	}
	return s, nil
}

// Documents are the objects CAPA tenant t's record declares, as they are
// written and printed (Unstructured), with the spec they come from.
func Documents(t *tenant.Tenant) (Spec, []*unstructured.Unstructured, error) {
	s, err := SpecOf(t)
	if err != nil {
		return Spec{}, nil, err
	}
	objs, err := Objects(s)
	if err != nil {
		return Spec{}, nil, err
	}
	docs, err := Unstructured(objs)
	return s, docs, err
}

// The names of a tenant's objects: the Cluster and AWSManagedCluster are
// the tenant's; the control plane and machine pool follow CAPA's
// templates.
func (s Spec) namespace() string {
	if s.Namespace != "" {
		return s.Namespace
	}
	return s.Tenant
}

// ControlPlaneName is the tenant's AWSManagedControlPlane.
func (s Spec) ControlPlaneName() string { return s.Tenant + "-control-plane" }

// IdentityName is the AWSClusterRoleIdentity of hop i of the chain
// (0-based): the last is named after the tenant, each one before it
// TENANT-hop-N.
func (s Spec) IdentityName(i int) string {
	if i == len(s.AWS.RoleARNs)-1 {
		return s.Tenant
	}
	return fmt.Sprintf("%s-hop-%d", s.Tenant, i+1)
}

// Objects are what the tenant's cluster is made of in the management
// cluster, in the order they are applied: the namespace, the identities
// (first hop first: each names the one before as its source), the
// Cluster with its AWSManagedCluster and AWSManagedControlPlane, and with
// a node group a MachinePool and its AWSManagedMachinePool. Every object
// is labelled as the tenant's; every identity admits the tenant's
// namespace by name and nothing else.
func Objects(s Spec) ([]runtime.Object, error) {
	if len(s.AWS.RoleARNs) == 0 {
		return nil, fmt.Errorf("spec.aws.roleARNs: CAPA reaches the tenant's account through a role; name at least one")
	}
	ns := s.namespace()
	meta := func(name string, namespaced bool) metav1.ObjectMeta {
		m := metav1.ObjectMeta{Name: name, Labels: rbac.Labels(s.Tenant)}
		if namespaced {
			m.Namespace = ns
		}
		return m
	}
	objs := []runtime.Object{&corev1.Namespace{TypeMeta: typeMeta(corev1.SchemeGroupVersion.String(), "Namespace"), ObjectMeta: meta(ns, false)}}

	source := s.Source
	if source == nil {
		source = controllerIdentity()
	}
	for i, arn := range s.AWS.RoleARNs {
		id := &infrav1.AWSClusterRoleIdentity{
			TypeMeta:   typeMeta(infrav1.GroupVersion.String(), "AWSClusterRoleIdentity"),
			ObjectMeta: meta(s.IdentityName(i), false),
			Spec: infrav1.AWSClusterRoleIdentitySpec{
				AWSClusterIdentitySpec: infrav1.AWSClusterIdentitySpec{AllowedNamespaces: AdmitsOnly(ns)},
				AWSRoleSpec:            infrav1.AWSRoleSpec{RoleArn: arn, SessionName: "kubectl-tenant-" + s.Tenant},
				SourceIdentityRef:      source,
			},
		}
		if i == len(s.AWS.RoleARNs)-1 {
			id.Spec.ExternalID = s.AWS.ExternalID
		}
		objs = append(objs, id)
		source = &infrav1.AWSIdentityReference{Kind: infrav1.ClusterRoleIdentityKind, Name: id.Name}
	}

	e := s.EKS
	cp := &ekscontrolplanev1.AWSManagedControlPlane{
		TypeMeta:   typeMeta(ekscontrolplanev1.GroupVersion.String(), "AWSManagedControlPlane"),
		ObjectMeta: meta(s.ControlPlaneName(), true),
		Spec: ekscontrolplanev1.AWSManagedControlPlaneSpec{
			EKSClusterName: e.Name,
			Region:         s.AWS.Region,
			IdentityRef:    source,
			AdditionalTags: infrav1.Tags(e.Tags),
			EndpointAccess: endpointAccess(e.EndpointAccess, e.PublicAccessCIDRs),
		},
	}
	if e.KubernetesVersion != "" {
		cp.Spec.Version = ptr.To("v" + strings.TrimPrefix(e.KubernetesVersion, "v"))
	}
	if e.AuthenticationMode != "" {
		cp.Spec.AccessConfig = &ekscontrolplanev1.AccessConfig{AuthenticationMode: ekscontrolplanev1.EKSAuthenticationMode(strings.ToLower(e.AuthenticationMode))}
	}
	if len(e.SubnetIDs) > 0 {
		for _, id := range e.SubnetIDs {
			cp.Spec.NetworkSpec.Subnets = append(cp.Spec.NetworkSpec.Subnets, infrav1.SubnetSpec{ID: id, ResourceID: id})
		}
	}
	managed := &infrav1.AWSManagedCluster{
		TypeMeta:   typeMeta(infrav1.GroupVersion.String(), "AWSManagedCluster"),
		ObjectMeta: meta(s.Tenant, true),
	}
	cluster := &clusterv1.Cluster{
		TypeMeta:   typeMeta(clusterv1.GroupVersion.String(), "Cluster"),
		ObjectMeta: meta(s.Tenant, true),
		Spec: clusterv1.ClusterSpec{
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: infrav1.GroupVersion.Group, Kind: "AWSManagedCluster", Name: managed.Name},
			ControlPlaneRef:   clusterv1.ContractVersionedObjectReference{APIGroup: ekscontrolplanev1.GroupVersion.Group, Kind: "AWSManagedControlPlane", Name: cp.Name},
		},
	}
	objs = append(objs, cluster, managed, cp)

	if n := e.Nodegroup; n != nil {
		nodes := n.Nodes
		if nodes == 0 {
			nodes = tenant.DefaultNodes
		}
		pool := &expinfrav1.AWSManagedMachinePool{
			TypeMeta:   typeMeta(expinfrav1.GroupVersion.String(), "AWSManagedMachinePool"),
			ObjectMeta: meta(s.Tenant+"-"+n.Name, true),
			Spec: expinfrav1.AWSManagedMachinePoolSpec{
				EKSNodegroupName: n.Name,
				Scaling:          &expinfrav1.ManagedMachinePoolScaling{MinSize: ptr.To(orDefault(n.NodesMin, nodes)), MaxSize: ptr.To(orDefault(n.NodesMax, nodes))},
				AdditionalTags:   infrav1.Tags(e.Tags),
			},
		}
		if len(n.InstanceTypes) > 0 {
			pool.Spec.InstanceType = ptr.To(n.InstanceTypes[0])
		}
		mp := &clusterv1.MachinePool{
			TypeMeta:   typeMeta(clusterv1.GroupVersion.String(), "MachinePool"),
			ObjectMeta: meta(s.Tenant+"-"+n.Name, true),
			Spec: clusterv1.MachinePoolSpec{
				ClusterName: s.Tenant,
				Replicas:    ptr.To(nodes),
				Template: clusterv1.MachineTemplateSpec{Spec: clusterv1.MachineSpec{
					ClusterName:       s.Tenant,
					Bootstrap:         clusterv1.Bootstrap{DataSecretName: ptr.To("")}, // EKS bootstraps managed nodes
					InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: expinfrav1.GroupVersion.Group, Kind: "AWSManagedMachinePool", Name: pool.Name},
				}},
			},
		}
		objs = append(objs, mp, pool)
	}
	return objs, nil
}

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

func orDefault(v, d int32) int32 {
	if v == 0 {
		return d
	}
	return v
}

// endpointAccess is CAPA's form of create's --endpoint-access.
func endpointAccess(access string, cidrs []string) ekscontrolplanev1.EndpointAccess {
	var e ekscontrolplanev1.EndpointAccess
	switch access {
	case "private":
		e.Public, e.Private = ptr.To(false), ptr.To(true)
	case "public-and-private":
		e.Public, e.Private = ptr.To(true), ptr.To(true)
	case "public":
		e.Public, e.Private = ptr.To(true), ptr.To(false)
	}
	for _, c := range cidrs {
		e.PublicCIDRs = append(e.PublicCIDRs, ptr.To(c))
	}
	return e
}

// YAML is objs as a stream of YAML documents, in order, as they are
// committed to a GitOps repository (see Unstructured).
func YAML(objs []runtime.Object) ([]byte, error) {
	us, err := Unstructured(objs)
	if err != nil {
		return nil, err
	}
	var out []byte
	for i, u := range us {
		doc, err := yaml.Marshal(u.Object)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out = append(out, "---\n"...)
		}
		out = append(out, doc...)
	}
	return out, nil
}
