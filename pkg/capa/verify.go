package capa

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	infrav1 "sigs.k8s.io/cluster-api-provider-aws/v2/api/v1beta2"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Finding is a way a CAPA tenant's trust chain admits more than the
// tenant, or does not work: the object, what is wrong, and the fix.
type Finding struct {
	Object  string `json:"object"`
	Problem string `json:"problem"`
	Fix     string `json:"fix"`
}

func (f Finding) String() string { return f.Object + ": " + f.Problem + "; " + f.Fix }

// Trust is what Verify read of a tenant's chain: the findings, what it
// could not check and why, and the chain's last role identity (for a
// check of its external ID against the role's trust policy, which needs
// AWS).
type Trust struct {
	Findings  []Finding `json:"findings"`
	Unchecked []string  `json:"unchecked,omitempty"`
	Last      *Hop      `json:"-"`
}

// Verify checks CAPA tenant t's trust chain in the management cluster
// with CAPA's own semantics (Admits): the Cluster's control plane must
// name an identity; every hop must admit the Cluster's namespace (CAPA
// checks each); no role identity may admit another namespace of the
// management cluster, nor belong to another tenant; the controller's
// own identity may not admit every namespace; and the chain's roles are
// the ones the tenant's record acts through.
func Verify(ctx context.Context, client dynamic.Interface, core kubernetes.Interface, t *tenant.Tenant) (*Trust, error) {
	c := t.Spec.Cluster.CAPA
	ns := c.Namespace
	out := &Trust{}
	add := func(object, problem, fix string) { out.Findings = append(out.Findings, Finding{object, problem, fix}) }
	cpName, _, err := controlPlaneOf(ctx, client, ns, c.Name)
	if err != nil {
		return nil, err
	}
	cp, err := ReadControlPlane(ctx, client, ns, cpName)
	if err != nil {
		return nil, fmt.Errorf("reading AWSManagedControlPlane %s/%s: %w", ns, cpName, err)
	}
	cpObject := "AWSManagedControlPlane " + ns + "/" + cpName
	ref := cp.IdentityRef
	if ref == nil {
		add(cpObject, "has no identityRef, so CAPA acts for it with AWSClusterControllerIdentity/default, the controller's own credentials",
			"set spec.identityRef to the tenant's AWSClusterRoleIdentity")
		ref = controllerIdentity()
	}
	hops, err := Chain(ctx, client, ref)
	if err != nil {
		add(cpObject, err.Error(), "point spec.identityRef at a chain of identities that exist and end at AWSClusterControllerIdentity/default")
		return out, nil
	}

	// The namespaces of the management cluster, each identity is asked
	// about; without the right to list them, only the tenant's is.
	namespaces := map[string]map[string]string{}
	list, err := core.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	switch {
	case apierrors.IsForbidden(err):
		out.Unchecked = append(out.Unchecked, "whether the identities admit other namespaces: you may not list the management cluster's namespaces")
		own, err := core.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("reading namespace %s of the management cluster: %w", ns, err)
		}
		namespaces[ns] = own.Labels
	case err != nil:
		return nil, fmt.Errorf("listing the management cluster's namespaces: %w", err)
	default:
		for _, n := range list.Items {
			namespaces[n.Name] = n.Labels
		}
	}

	for i, h := range hops {
		object := h.Kind + " " + h.Name
		if ok, err := Admits(h.Allowed, ns, namespaces[ns]); err != nil || !ok {
			add(object, fmt.Sprintf("does not admit namespace %s of Cluster %s/%s, and CAPA checks every hop: it will not reconcile the cluster", ns, ns, c.Name),
				fmt.Sprintf("add %s to spec.allowedNamespaces.list", ns))
		}
		if h.Kind == string(infrav1.ControllerIdentityKind) {
			if AdmitsEvery(h.Allowed) {
				add(object, "admits every namespace (allowedNamespaces: {} or {selector: {}}): a Cluster in any namespace acts with the controller's own credentials, which every tenant's role trusts",
					"its spec is immutable: delete it and create it again with spec.allowedNamespaces.list naming only the tenants' namespaces, and turn off CAPA's AutoControllerIdentityCreator feature gate so that the controller does not make it again")
			}
			continue
		}
		if owner := ownerOf(h.Labels); owner != "" && owner != t.Name {
			add(object, fmt.Sprintf("belongs to tenant %q, and acts in its account", owner), "point the control plane at tenant "+t.Name+"'s own identity")
		}
		// A hop before the tenant's own (the identityRef's, and any the
		// plugin made for it) is shared, as the controller's identity is:
		// it may admit other tenants' namespaces, never every one.
		own := i == len(hops)-1 || ownerOf(h.Labels) == t.Name
		var others []string
		for name, labels := range namespaces {
			if ok, _ := Admits(h.Allowed, name, labels); ok && name != ns {
				others = append(others, name)
			}
		}
		slices.Sort(others)
		switch {
		case AdmitsEvery(h.Allowed):
			add(object, fmt.Sprintf("admits every namespace (allowedNamespaces: {} or {selector: {}}, which CAPA reads as every one): a Cluster anywhere acts as %s", h.RoleARN),
				fmt.Sprintf("set spec.allowedNamespaces to {list: [%s]}", ns))
		case len(others) > 0 && own:
			add(object, fmt.Sprintf("admits namespace(s) %s besides %s: a Cluster there acts as %s", strings.Join(others, ", "), ns, h.RoleARN),
				fmt.Sprintf("set spec.allowedNamespaces to {list: [%s]} (a selector matches any namespace someone labels)", ns))
		}
	}

	var roles []string
	for i := range hops {
		if hops[i].RoleARN != "" {
			roles = append(roles, hops[i].RoleARN)
			out.Last = &hops[i]
		}
	}
	// The tenant's record may start later in the chain than CAPA does
	// (from a shared --source-identity), but ends with the same roles.
	if a := t.Spec.AWS; a != nil && (len(a.RoleARNs) > len(roles) || !slices.Equal(roles[len(roles)-len(a.RoleARNs):], a.RoleARNs)) {
		add(cpObject, fmt.Sprintf("acts through roles [%s], and tenant %q's record through [%s]", strings.Join(roles, " "), t.Name, strings.Join(t.Spec.AWS.RoleARNs, " ")),
			"point spec.identityRef at the tenant's own identity, or adopt the cluster again (delete the tenant, then create --from-capa)")
	}
	return out, nil
}

// controlPlaneOf is the name of Cluster ns/name's AWSManagedControlPlane,
// and the Cluster's labels.
func controlPlaneOf(ctx context.Context, client dynamic.Interface, ns, name string) (string, map[string]string, error) {
	u, err := client.Resource(resources["Cluster"]).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", nil, fmt.Errorf("no Cluster %s/%s in the management cluster: list them with kubectl get clusters -A", ns, name)
	}
	if err != nil {
		return "", nil, fmt.Errorf("reading Cluster %s/%s: %w", ns, name, err)
	}
	kind, _, _ := unstructured.NestedString(u.Object, "spec", "controlPlaneRef", "kind")
	cp, _, _ := unstructured.NestedString(u.Object, "spec", "controlPlaneRef", "name")
	if kind != "AWSManagedControlPlane" || cp == "" {
		return "", nil, fmt.Errorf("the control plane of Cluster %s/%s is %q, not an AWSManagedControlPlane: kubectl-tenant adopts CAPA's EKS clusters; adopt others with --from-context", ns, name, kind+"/"+cp)
	}
	return cp, u.GetLabels(), nil
}
