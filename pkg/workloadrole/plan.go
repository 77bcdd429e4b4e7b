package workloadrole

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workload"
)

// PlanKind is the kind of the document a client dry run of workload-role
// or addon prints.
const PlanKind = "WorkloadRolePlan"

// Plan is what making a workload role (or an add-on's) takes, worked
// out from the tenant's record alone, with no call to AWS or the
// cluster: the role and its trust policy, the AWS calls it would make
// unless what they make is in place, and the Kubernetes objects it
// would apply. What only AWS knows (an OIDC issuer's ID) is a
// placeholder, named in Unknown.
type Plan struct {
	metav1.TypeMeta `json:",inline"`
	Tenant          string                   `json:"tenant"`
	ServiceAccount  string                   `json:"serviceAccount"`
	Via             string                   `json:"via"`
	Addon           string                   `json:"addon,omitempty"`
	Role            PlannedRole              `json:"role"`
	Calls           []string                 `json:"calls"`
	Objects         []*corev1.ServiceAccount `json:"objects,omitempty"`
	Unknown         []string                 `json:"unknown,omitempty"`
}

// PlannedRole is the role of a Plan.
type PlannedRole struct {
	Name        string          `json:"name,omitempty"`
	ARN         string          `json:"arn"`
	Existing    bool            `json:"existing,omitempty"`
	TrustPolicy workload.Policy `json:"trustPolicy"`
	PolicyARNs  []string        `json:"policyARNs,omitempty"`
}

// DeepCopyObject implements runtime.Object, so that kubectl's printers
// print a plan.
func (p *Plan) DeepCopyObject() runtime.Object {
	data, err := json.Marshal(p)
	if err != nil {
		return nil
	}
	out := &Plan{}
	if json.Unmarshal(data, out) != nil {
		return nil
	}
	return out
}

// issuerPlaceholder stands for the ID of a cluster's OIDC issuer, which
// only EKS knows.
const issuerPlaceholder = "OIDC_ISSUER_ID"

// ClientPlan is the plan of w (resolved) for tenant t, from its record
// alone: the cluster's ARN as recorded (or as EKS forms it from the
// region and the tenant's account), the issuer as EKS forms it with a
// placeholder for its ID.
func ClientPlan(t *tenant.Tenant, w tenant.WorkloadRole) *Plan {
	e, a := t.Spec.Cluster.EKS, t.Spec.AWS
	p := &Plan{TypeMeta: metav1.TypeMeta{APIVersion: tenant.APIVersion, Kind: PlanKind}, Tenant: t.Name, ServiceAccount: w.Key(), Via: w.Via}
	clusterARN := e.ARN
	if clusterARN == "" {
		account := "ACCOUNT"
		if n := len(a.RoleARNs); n > 0 {
			if r, err := iamarn.ParseRole(a.RoleARNs[n-1]); err == nil {
				account = r.Account
			}
		}
		if account == "ACCOUNT" {
			p.Unknown = append(p.Unknown, "ACCOUNT: the tenant's AWS account, which its record does not name (no cluster ARN, no role)")
		}
		clusterARN = "arn:aws:eks:" + a.Region + ":" + account + ":cluster/" + e.Name
	}
	account := strings.SplitN(clusterARN, ":", 6)[4]
	b := workload.Binding{Via: workload.Mechanism(w.Via), Account: account, ClusterARN: clusterARN, Namespace: w.Namespace, ServiceAccount: w.ServiceAccount,
		Issuer: "https://oidc.eks." + a.Region + ".amazonaws.com/id/" + issuerPlaceholder}
	p.fill(b, w, RoleARN(b, w))
	unless := func(call, what string) { p.Calls = append(p.Calls, call+" (unless "+what+")") }
	if b.Via == workload.IRSA {
		p.Unknown = append(p.Unknown, issuerPlaceholder+": the ID of EKS cluster "+e.Name+"'s OIDC issuer, which only EKS knows (--dry-run=server reads it)")
		unless("CreateOpenIDConnectProvider "+b.Issuer, "the account has it")
	}
	if w.RoleARN != "" {
		p.Calls = append(p.Calls, "GetRole "+iamarn.NameOf(w.RoleARN)+" (its trust policy must be the one above, or admit only "+b.Subject()+"'s pods)")
	} else {
		unless("CreateRole "+w.RoleName, "it exists; a role of that name the plugin did not make for this ServiceAccount is refused")
		for _, policy := range w.PolicyARNs {
			unless("AttachRolePolicy "+w.RoleName+" "+policy, "attached")
		}
	}
	if b.Via == workload.PodIdentity {
		unless("CreateAddon "+PodIdentityAgent, "the cluster has it")
		unless("CreatePodIdentityAssociation "+w.Namespace+"/"+w.ServiceAccount+" "+p.Role.ARN, "it exists")
	}
	return p
}

// MadePlan is the plan of w (resolved) for tenant t as Make made it, or
// as its server dry run would: the calls it made, or would make.
func MadePlan(t *tenant.Tenant, w tenant.WorkloadRole, made *Made) *Plan {
	p := &Plan{TypeMeta: metav1.TypeMeta{APIVersion: tenant.APIVersion, Kind: PlanKind}, Tenant: t.Name, ServiceAccount: w.Key(), Via: w.Via}
	p.fill(made.Binding, w, made.RoleARN)
	p.Calls = append([]string{}, made.Calls...)
	return p
}

// fill sets the plan's role, which admits b, and for IRSA the
// ServiceAccount's annotation.
func (p *Plan) fill(b workload.Binding, w tenant.WorkloadRole, roleARN string) {
	p.Role = PlannedRole{Name: w.RoleName, ARN: roleARN, TrustPolicy: b.Trust(), PolicyARNs: w.PolicyARNs, Existing: w.RoleARN != ""}
	if b.Via == workload.IRSA && p.Addon == "" {
		p.Objects = []*corev1.ServiceAccount{{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
			ObjectMeta: metav1.ObjectMeta{Name: w.ServiceAccount, Namespace: w.Namespace, Annotations: map[string]string{RoleAnnotation: roleARN}}}}
	}
}

// ClientAddonPlan is the plan of add-on a (resolved) for tenant t, as
// ClientPlan's: its role, if it assumes one, and the add-on.
func ClientAddonPlan(t *tenant.Tenant, a tenant.Addon) *Plan {
	w := addonWorkloadRole(a)
	if w == nil {
		p := &Plan{TypeMeta: metav1.TypeMeta{APIVersion: tenant.APIVersion, Kind: PlanKind}, Tenant: t.Name, Addon: a.Name}
		p.Calls = []string{"CreateAddon " + a.Name + " (unless the cluster has it)"}
		return p
	}
	p := ClientPlan(t, *w)
	p.Addon, p.Objects = a.Name, nil // the add-on's ServiceAccount is EKS's
	var calls []string
	for _, c := range p.Calls {
		if !strings.HasPrefix(c, "CreatePodIdentityAssociation") { // the add-on's own
			calls = append(calls, c)
		}
	}
	with := "its Pod Identity association for " + w.Key()
	if a.Via == tenant.ViaIRSA {
		with = "serviceAccountRoleArn"
	}
	p.Calls = append(calls, "CreateAddon "+a.Name+" with "+with+" "+p.Role.ARN+" (unless the cluster has it)")
	return p
}

// MadeAddonPlan is the plan of add-on a (resolved) for tenant t as
// MakeAddon made it, or as its server dry run would.
func MadeAddonPlan(t *tenant.Tenant, a tenant.Addon, made *MadeAddon) *Plan {
	w := addonWorkloadRole(a)
	if w == nil {
		return &Plan{TypeMeta: metav1.TypeMeta{APIVersion: tenant.APIVersion, Kind: PlanKind}, Tenant: t.Name, Addon: a.Name, Calls: append([]string{}, made.Calls...)}
	}
	p := &Plan{TypeMeta: metav1.TypeMeta{APIVersion: tenant.APIVersion, Kind: PlanKind}, Tenant: t.Name, ServiceAccount: w.Key(), Via: w.Via, Addon: a.Name}
	p.fill(made.Binding, *w, made.RoleARN)
	p.Calls = append([]string{}, made.Calls...)
	return p
}

// Print writes p for a person: the calls, the role's trust policy, the
// objects and what only AWS knows; would says whether they would be
// made (a dry run) or were.
func (p *Plan) Print(errOut io.Writer, would bool) {
	prefix, suffix := "", ""
	if would {
		prefix, suffix = "would call ", " (dry run)"
	}
	for _, c := range p.Calls {
		fmt.Fprintln(errOut, prefix+c)
	}
	if p.Role.ARN != "" {
		fmt.Fprintf(errOut, "trust policy of %s:\n%s\n", p.Role.ARN, p.Role.TrustPolicy)
	}
	for _, o := range p.Objects {
		fmt.Fprintf(errOut, "serviceaccount/%s annotated %s=%s%s\n", o.Name, RoleAnnotation, o.Annotations[RoleAnnotation], suffix)
	}
	for _, u := range p.Unknown {
		fmt.Fprintln(errOut, "not known without AWS: "+u)
	}
}
