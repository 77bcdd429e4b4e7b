package capa

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	infrav1 "sigs.k8s.io/cluster-api-provider-aws/v2/api/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// MissingCRDs names the CRDs (of CRDs) whose resources the management
// cluster does not serve, asking its discovery (which every
// authenticated user may read).
func MissingCRDs(d discovery.DiscoveryInterface) ([]string, error) {
	served := map[string]bool{}
	for _, gvr := range resources {
		gv := gvr.GroupVersion().String()
		if _, seen := served[gv]; seen || gvr.Group == "" {
			continue
		}
		list, err := d.ServerResourcesForGroupVersion(gv)
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("asking the management cluster which resources it serves: %w", err)
		}
		served[gv] = true
		if list != nil {
			for _, r := range list.APIResources {
				served[r.Name+"."+gvr.Group] = true
			}
		}
	}
	var missing []string
	for _, c := range CRDs {
		if !served[c.Name] {
			missing = append(missing, c.Name)
		}
	}
	return missing, nil
}

// CRDsError is the error for CRDs missing from the management cluster of
// context, saying how to install them.
func CRDsError(context string, missing []string) error {
	return fmt.Errorf("the management cluster (context %q) does not serve %s: install Cluster API and CAPA there with EKS and machine pools on "+
		"(EXP_MACHINE_POOL=true clusterctl init --infrastructure aws), or name another management cluster with --management-context",
		context, strings.Join(missing, ", "))
}

// Hop is one identity of a chain as the management cluster has it.
type Hop struct {
	Kind, Name string
	// RoleARN and ExternalID of an AWSClusterRoleIdentity; empty for the
	// controller's or a static identity, where the chain starts.
	RoleARN, ExternalID string
	Allowed             *infrav1.AllowedNamespaces
	Labels              map[string]string
}

// Ref names the hop as CAPA's references do.
func (h Hop) Ref() string { return h.Kind + "/" + h.Name }

// ParseRef reads KIND/NAME as an identity reference.
func ParseRef(s string) (*infrav1.AWSIdentityReference, error) {
	kind, name, ok := strings.Cut(s, "/")
	switch infrav1.AWSIdentityKind(kind) {
	case infrav1.ControllerIdentityKind, infrav1.ClusterRoleIdentityKind, infrav1.ClusterStaticIdentityKind:
	default:
		ok = false
	}
	if !ok || name == "" {
		return nil, fmt.Errorf("%q: name an identity as KIND/NAME, KIND one of AWSClusterControllerIdentity, AWSClusterRoleIdentity, AWSClusterStaticIdentity", s)
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return nil, fmt.Errorf("%q: the name %q is not a Kubernetes object name: %s", s, name, strings.Join(errs, "; "))
	}
	if infrav1.AWSIdentityKind(kind) == infrav1.ControllerIdentityKind && name != infrav1.AWSClusterControllerIdentityName {
		return nil, fmt.Errorf("%q: CAPA's controller identity is always named %s", s, infrav1.AWSClusterControllerIdentityName)
	}
	return &infrav1.AWSIdentityReference{Kind: infrav1.AWSIdentityKind(kind), Name: name}, nil
}

// ErrIdentityNotFound is Chain's error for a reference to an identity
// the management cluster does not have.
var ErrIdentityNotFound = errors.New("identity not found")

// Chain follows ref and each sourceIdentityRef after it in the
// management cluster, and returns the hops in the order CAPA assumes
// them: the controller's or a static identity first, ref last. A
// reference that comes round again is an error, as is one to an
// identity that does not exist (ErrIdentityNotFound).
func Chain(ctx context.Context, client dynamic.Interface, ref *infrav1.AWSIdentityReference) ([]Hop, error) {
	var hops []Hop
	seen := map[string]bool{}
	for ref != nil {
		key := string(ref.Kind) + "/" + ref.Name
		if seen[key] {
			var path []string
			for _, h := range hops {
				path = append(path, h.Ref())
			}
			return nil, fmt.Errorf("the identity chain loops: %s -> %s: CAPA cannot assume it; point one of them at AWSClusterControllerIdentity/default", strings.Join(path, " -> "), key)
		}
		seen[key] = true
		gvr, ok := resources[string(ref.Kind)]
		if !ok {
			return nil, fmt.Errorf("identity %s: kubectl-tenant knows AWSClusterControllerIdentity, AWSClusterRoleIdentity and AWSClusterStaticIdentity", key)
		}
		u, err := client.Resource(gvr).Get(ctx, ref.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("%s: %w in the management cluster", key, ErrIdentityNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("reading identity %s: %w", key, err)
		}
		hop := Hop{Kind: string(ref.Kind), Name: ref.Name, Labels: u.GetLabels()}
		ref = nil
		switch hop.Kind {
		case string(infrav1.ClusterRoleIdentityKind):
			var id infrav1.AWSClusterRoleIdentity
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &id); err != nil {
				return nil, fmt.Errorf("identity %s: %w", key, err)
			}
			hop.RoleARN, hop.ExternalID, hop.Allowed, ref = id.Spec.RoleArn, id.Spec.ExternalID, id.Spec.AllowedNamespaces, id.Spec.SourceIdentityRef
		default: // the controller's and static identities have the same allowedNamespaces, and no source
			var id infrav1.AWSClusterControllerIdentity
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &id); err != nil {
				return nil, fmt.Errorf("identity %s: %w", key, err)
			}
			hop.Allowed = id.Spec.AllowedNamespaces
		}
		hops = append(hops, hop)
	}
	slices.Reverse(hops)
	return hops, nil
}

// ControlPlane is what CAPA reports of a tenant's control plane.
type ControlPlane struct {
	Name string
	UID  types.UID
	// Ready and Failure are CAPA's status; Conditions its conditions as
	// TYPE=STATUS (REASON: MESSAGE). A condition of severity Error is
	// shown, not fatal: CAPA marks every failed attempt so, and retries.
	Ready      bool
	Failure    string
	Conditions []string
	// EKSClusterName, IdentityRef and Region as the spec says; Endpoint
	// the API server's host CAPA recorded (empty before).
	EKSClusterName string
	IdentityRef    *infrav1.AWSIdentityReference
	Region         string
	Endpoint       string
}

// ReadControlPlane reads an AWSManagedControlPlane.
func ReadControlPlane(ctx context.Context, client dynamic.Interface, ns, name string) (*ControlPlane, error) {
	u, err := client.Resource(resources["AWSManagedControlPlane"]).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	cp := &ControlPlane{Name: name, UID: u.GetUID()}
	cp.Ready, _, _ = unstructured.NestedBool(u.Object, "status", "ready")
	cp.Failure, _, _ = unstructured.NestedString(u.Object, "status", "failureMessage")
	cp.EKSClusterName, _, _ = unstructured.NestedString(u.Object, "spec", "eksClusterName")
	cp.Region, _, _ = unstructured.NestedString(u.Object, "spec", "region")
	cp.Endpoint, _, _ = unstructured.NestedString(u.Object, "spec", "controlPlaneEndpoint", "host")
	if kind, ok, _ := unstructured.NestedString(u.Object, "spec", "identityRef", "kind"); ok {
		name, _, _ := unstructured.NestedString(u.Object, "spec", "identityRef", "name")
		cp.IdentityRef = &infrav1.AWSIdentityReference{Kind: infrav1.AWSIdentityKind(kind), Name: name}
	}
	conditions, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conditions {
		m, _ := c.(map[string]any)
		s := fmt.Sprintf("%v=%v", m["type"], m["status"])
		if m["reason"] != nil || m["message"] != nil {
			s += fmt.Sprintf(" (%v: %v)", m["reason"], m["message"])
		}
		cp.Conditions = append(cp.Conditions, s)
	}
	return cp, nil
}

// WaitReady polls the control plane until CAPA reports it ready, has
// recorded its endpoint and has written the cluster's user kubeconfig,
// reporting each change of its conditions, and returns the control plane
// as it then is. A failure CAPA reports ends the wait at once; a read
// that fails is tried again until the timeout.
func WaitReady(ctx context.Context, client dynamic.Interface, core kubernetes.Interface, ns, cluster, controlPlane string, timeout, interval time.Duration, progress func(string)) (*ControlPlane, error) {
	last, lastErr := "", error(nil)
	var cp *ControlPlane
	err := wait.PollUntilContextTimeout(ctx, interval, timeout, true, func(ctx context.Context) (bool, error) {
		var err error
		cp, err = ReadControlPlane(ctx, client, ns, controlPlane)
		if err != nil {
			lastErr = err
			return false, nil
		}
		if cp.Failure != "" {
			return false, fmt.Errorf("CAPA reports control plane %s/%s failed: %s", ns, controlPlane, cp.Failure)
		}
		state := "waiting for CAPA's controller to make EKS cluster " + cp.EKSClusterName
		if len(cp.Conditions) > 0 {
			state += ": " + strings.Join(cp.Conditions, ", ")
		}
		if cp.Ready {
			state = "control plane " + controlPlane + " is ready; waiting for its endpoint and the user kubeconfig Secret " + UserKubeconfigName(cluster)
		}
		if state != last {
			progress(state)
			last = state
		}
		if !cp.Ready || cp.Endpoint == "" {
			return false, nil
		}
		_, err = core.CoreV1().Secrets(ns).Get(ctx, UserKubeconfigName(cluster), metav1.GetOptions{})
		if err != nil {
			lastErr = err
			return false, nil
		}
		return true, nil
	})
	switch {
	case err == nil:
		return cp, nil
	case ctx.Err() != nil:
		return nil, fmt.Errorf("stopped waiting for control plane %s/%s: %w; the objects are applied: re-run the same command to go on", ns, controlPlane, ctx.Err())
	case wait.Interrupted(err):
		if lastErr != nil && !apierrors.IsNotFound(lastErr) {
			last += "; last error: " + lastErr.Error()
		}
		return nil, fmt.Errorf("control plane %s/%s is not ready after %s (%s): re-run the same command to go on waiting", ns, controlPlane, timeout, last)
	}
	return nil, err
}

// UserKubeconfigName is the Secret in which CAPA gives users a cluster's
// kubeconfig (CLUSTER-user-kubeconfig). CLUSTER-kubeconfig beside it
// holds a token of the controller's own identity: never hand it out.
func UserKubeconfigName(cluster string) string { return cluster + "-user-kubeconfig" }

// Endpoint is a workload cluster's API server and CA, as CAPA wrote them.
type Endpoint struct {
	Server string
	CAData []byte
}

// UserKubeconfig reads the server and CA from the user kubeconfig Secret
// CAPA writes for cluster (and never updates). Its user, which runs
// aws-iam-authenticator with whatever credentials are about, is not
// used. The Secret must be CAPA's for this control plane (its controller
// owner, by UID), and its server the endpoint CAPA recorded in the
// control plane: a Secret anyone else planted there would send the
// tenant's tokens to a server of theirs.
func UserKubeconfig(ctx context.Context, core kubernetes.Interface, ns, cluster string, cp *ControlPlane) (*Endpoint, error) {
	name := UserKubeconfigName(cluster)
	s, err := core.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("no Secret %s/%s: CAPA writes it when the control plane is ready; wait until `kubectl get cluster -n %s %s` says so, then re-run", ns, name, ns, cluster)
	}
	if err != nil {
		return nil, fmt.Errorf("reading Secret %s/%s: %w", ns, name, err)
	}
	owner := metav1.GetControllerOf(s)
	if s.Type != clusterv1.ClusterSecretType || owner == nil || owner.Kind != "AWSManagedControlPlane" || owner.UID != cp.UID {
		return nil, fmt.Errorf("the Secret %s/%s was not written by CAPA for AWSManagedControlPlane %s/%s (type %q, controller %v): not reading it; delete it, and CAPA writes it again",
			ns, name, ns, cp.Name, s.Type, owner)
	}
	ep, err := endpointOf(s, ns, name)
	if err != nil {
		return nil, err
	}
	// CAPA records EKS's endpoint as it is, https:// and all.
	address := func(s string) string { return strings.TrimSuffix(strings.TrimPrefix(s, "https://"), "/") }
	if cp.Endpoint == "" {
		return nil, fmt.Errorf("AWSManagedControlPlane %s/%s has no spec.controlPlaneEndpoint yet: CAPA records it once the cluster is ready; re-run then", ns, cp.Name)
	}
	if address(ep.Server) != address(cp.Endpoint) {
		return nil, fmt.Errorf("the Secret %s/%s gives server %s, and AWSManagedControlPlane %s/%s records endpoint %s: not adopting a cluster at an address CAPA did not record",
			ns, name, ep.Server, ns, cp.Name, cp.Endpoint)
	}
	return ep, nil
}

func endpointOf(s *corev1.Secret, ns, name string) (*Endpoint, error) {
	cfg, err := clientcmd.Load(s.Data["value"])
	if err != nil {
		return nil, fmt.Errorf("the Secret %s/%s: its kubeconfig (key value) does not parse: %w", ns, name, err)
	}
	cur := cfg.Contexts[cfg.CurrentContext]
	if cur == nil || cfg.Clusters[cur.Cluster] == nil {
		return nil, fmt.Errorf("the Secret %s/%s: its kubeconfig has no current context with a cluster", ns, name)
	}
	c := cfg.Clusters[cur.Cluster]
	if c.Server == "" || len(c.CertificateAuthorityData) == 0 {
		return nil, fmt.Errorf("the Secret %s/%s: its kubeconfig gives no server or CA for cluster %q", ns, name, cur.Cluster)
	}
	return &Endpoint{Server: c.Server, CAData: c.CertificateAuthorityData}, nil
}

// Adopted is what adopting a CAPA cluster reads of it in the management
// cluster: its EKS cluster, the chain CAPA reaches it through, and the
// endpoint CAPA wrote for users.
type Adopted struct {
	ControlPlane *ControlPlane
	// Hops are the identities, in the order CAPA assumes them.
	Hops     []Hop
	Endpoint *Endpoint
}

// Adopt reads Cluster ns/name for tenantName (refusing one the plugin
// made for another tenant): its control plane (which must be an
// AWSManagedControlPlane), the identity chain from its identityRef, and
// the server and CA of its user kubeconfig Secret.
func Adopt(ctx context.Context, client dynamic.Interface, core kubernetes.Interface, ns, name, tenantName string) (*Adopted, error) {
	cpName, labels, err := controlPlaneOf(ctx, client, ns, name)
	if err != nil {
		return nil, err
	}
	if owner := ownerOf(labels); owner != "" && owner != tenantName {
		return nil, fmt.Errorf("the Cluster %s/%s was made by kubectl-tenant for tenant %q: adopt it under that name, or not at all", ns, name, owner)
	}
	cp, err := ReadControlPlane(ctx, client, ns, cpName)
	if err != nil {
		return nil, fmt.Errorf("reading AWSManagedControlPlane %s/%s: %w", ns, cpName, err)
	}
	if cp.IdentityRef == nil {
		return nil, fmt.Errorf("AWSManagedControlPlane %s/%s has no identityRef: CAPA acts for it with its own credentials; point it at an AWSClusterRoleIdentity of the tenant's account first", ns, cpName)
	}
	hops, err := Chain(ctx, client, cp.IdentityRef)
	if err != nil {
		return nil, fmt.Errorf("AWSManagedControlPlane %s/%s: %w", ns, cpName, err)
	}
	ep, err := UserKubeconfig(ctx, core, ns, name, cp)
	if err != nil {
		return nil, err
	}
	return &Adopted{ControlPlane: cp, Hops: hops, Endpoint: ep}, nil
}

// Roles are the role ARNs of the chain, in order, and the external ID of
// the last. An external ID on an earlier hop is an error: a tenant's
// record gives one only to its last role.
func (a *Adopted) Roles() ([]string, string, error) {
	var roles []string
	external := ""
	for i, h := range a.Hops {
		if h.RoleARN == "" {
			continue
		}
		if h.ExternalID != "" && i != len(a.Hops)-1 {
			return nil, "", fmt.Errorf("identity %s requires an external ID, and it is not the last hop: kubectl-tenant gives an external ID only to a tenant's last role", h.Ref())
		}
		roles = append(roles, h.RoleARN)
		external = h.ExternalID
	}
	if len(roles) == 0 {
		return nil, "", fmt.Errorf("the control plane's identity %s assumes no role: CAPA acts with the controller's own credentials, which kubectl-tenant does not hand out", a.Hops[len(a.Hops)-1].Ref())
	}
	return roles, external, nil
}
