// Package workloadrole makes and deletes a tenant's workload roles (IAM
// roles that exactly one of its ServiceAccounts assumes, through EKS Pod
// Identity or IRSA) as its record declares them: in its AWS account
// through its role chain, and the IRSA annotation in its cluster. The
// `workload-role` command runs it for one ServiceAccount.
package workloadrole

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/access"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workload"
)

// PodIdentityAgent is the add-on Pod Identity needs on the nodes.
const PodIdentityAgent = "eks-pod-identity-agent"

// RoleAnnotation is the annotation IRSA's webhook reads a
// ServiceAccount's role from.
const RoleAnnotation = "eks.amazonaws.com/role-arn"

// annotationManager applies the annotation: a field manager of its own,
// so that applying it (or giving it up) leaves what the plugin's main
// manager owns of the same ServiceAccount (grant's labels) alone.
const annotationManager = tenant.FieldManager + "-irsa"

// Syncer acts on one tenant's workload roles.
type Syncer struct {
	Tenant *tenant.Tenant
	// Conn is the tenant's cluster, for IRSA's annotations; nil when the
	// cluster is about to be deleted (Delete then leaves them).
	Conn    *cluster.Connection
	Config  awssdk.Config
	Cluster *aws.Cluster
	// DryRun reads and checks everything (the cluster's API server
	// checks the annotation), and writes nothing.
	DryRun bool
	// Log gets a line per AWS call made, or that would be made.
	Log io.Writer
}

// NewSyncer reaches tenant t's AWS account through its chain and reads
// its EKS cluster.
func NewSyncer(ctx context.Context, t *tenant.Tenant, conn *cluster.Connection, dryRun bool, log io.Writer, opts ...aws.ConfigOption) (*Syncer, error) {
	if t.Spec.Cluster.EKS == nil || t.Spec.AWS == nil {
		return nil, fmt.Errorf("tenant %q is not on EKS: a workload role is assumed through EKS Pod Identity or the EKS cluster's OIDC issuer", t.Name)
	}
	cfg, err := aws.TenantConfig(ctx, t, opts...)
	if err != nil {
		return nil, err
	}
	c, err := aws.DescribeCluster(ctx, cfg, t.Spec.Cluster.EKS.Name)
	if err != nil {
		return nil, err
	}
	return &Syncer{Tenant: t, Conn: conn, Config: cfg, Cluster: c, DryRun: dryRun, Log: log}, nil
}

// OnFargate reports whether the cluster runs pods on Fargate profiles,
// where Pod Identity does not reach them (IRSA does). It is asked only
// where a Pod Identity role is about to be made.
func (s *Syncer) OnFargate(ctx context.Context) (bool, error) {
	return aws.HasFargateProfiles(ctx, s.Config, s.Cluster.Name)
}

// DefaultVia is the mechanism a workload role takes when none is asked
// for, and why when it is not pod-identity: IRSA on a Cluster API
// tenant (CAPA installs no Pod Identity agent) and on a cluster with
// Fargate profiles (Pod Identity does not reach Fargate pods).
func (s *Syncer) DefaultVia(ctx context.Context) (string, string, error) {
	if s.Tenant.Spec.Cluster.CAPA != nil {
		return tenant.ViaIRSA, "CAPA installs no Pod Identity agent", nil
	}
	fargate, err := s.OnFargate(ctx)
	if err != nil || !fargate {
		return tenant.ViaPodIdentity, "", err
	}
	return tenant.ViaIRSA, "EKS cluster " + s.Cluster.Name + " has Fargate profiles, where Pod Identity does not reach pods", nil
}

// Binding is what w's role must admit: w's ServiceAccount of the
// tenant's cluster, by w's mechanism (w resolved).
func (s *Syncer) Binding(w tenant.WorkloadRole) (workload.Binding, error) {
	arn := strings.SplitN(s.Cluster.ARN, ":", 6)
	if len(arn) < 6 {
		return workload.Binding{}, fmt.Errorf("EKS cluster %s has ARN %q, which names no account", s.Cluster.Name, s.Cluster.ARN)
	}
	b := workload.Binding{Via: workload.Mechanism(w.Via), Account: arn[4], ClusterARN: s.Cluster.ARN, Issuer: s.Cluster.Issuer,
		Namespace: w.Namespace, ServiceAccount: w.ServiceAccount}
	if b.Via == workload.IRSA && b.Issuer == "" {
		return b, fmt.Errorf("EKS cluster %s reports no OIDC issuer: IRSA needs one; use pod-identity", s.Cluster.Name)
	}
	return b, nil
}

// RoleARN is the ARN of w's role in the tenant's account.
func RoleARN(b workload.Binding, w tenant.WorkloadRole) string {
	if w.RoleARN != "" {
		return w.RoleARN
	}
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", b.Account, w.RoleName)
}

// Made is what Make did: the role's ARN, the calls made (or for a dry
// run, that would be), and what the record gains (the plugin made the
// role, or the cluster's OIDC provider).
type Made struct {
	Binding         workload.Binding
	RoleARN         string
	Calls           []string
	Annotated       bool
	RoleCreated     bool
	ProviderCreated bool
}

// Make makes w (resolved) what it says: the OIDC provider (IRSA) and
// the role, or checks an existing role's trust; the Pod Identity agent
// and association, or the ServiceAccount's annotation. Everything is
// read and checked before the first write, so a refusal changes nothing
// and returns no Made; once writing starts, Made says what the record
// must say even when a call fails, so that a re-run (or a delete) finds
// what was made.
func (s *Syncer) Make(ctx context.Context, w tenant.WorkloadRole) (*Made, error) {
	t := s.Tenant
	b, err := s.Binding(w)
	if err != nil {
		return nil, err
	}
	made, steps, err := s.planRole(ctx, b, w)
	if err != nil {
		return nil, err
	}
	if b.Via == workload.PodIdentity {
		st, err := s.planAgent(ctx)
		if err != nil {
			return nil, err
		}
		steps = append(steps, st...)
		if st, err = aws.PlanPodIdentity(ctx, s.Config, s.Cluster.Name, w.Namespace, w.ServiceAccount, made.RoleARN, t.Name); err != nil {
			return nil, err
		}
		steps = append(steps, st...)
	} else if _, err := s.annotate(ctx, w, made.RoleARN, true); err != nil {
		// The server checks the annotation first, so that a conflict
		// stops before AWS is written.
		return nil, fmt.Errorf("ServiceAccount %s/%s: %w", w.Namespace, w.ServiceAccount, err)
	}
	for _, st := range steps {
		made.Calls = append(made.Calls, st.Call)
		fmt.Fprintln(s.Log, s.would("", "would call ")+st.Call)
	}
	if s.DryRun {
		return made, nil
	}
	if err := aws.Run(ctx, steps); err != nil {
		return made, err
	}
	if b.Via == workload.IRSA {
		changed, err := s.annotate(ctx, w, made.RoleARN, false)
		if err != nil {
			return made, fmt.Errorf("annotating ServiceAccount %s/%s with the role (the role exists; re-run to finish): %w", w.Namespace, w.ServiceAccount, err)
		}
		if made.Annotated = changed; changed {
			fmt.Fprintf(s.Log, "ServiceAccount %s/%s annotated %s=%s\n", w.Namespace, w.ServiceAccount, RoleAnnotation, made.RoleARN)
		}
	}
	return made, nil
}

// planRole plans w's role, which admits b: the cluster's OIDC provider
// (IRSA) and the role the plugin makes, or the check of an existing
// role.
func (s *Syncer) planRole(ctx context.Context, b workload.Binding, w tenant.WorkloadRole) (*Made, []aws.Step, error) {
	t := s.Tenant
	made := &Made{Binding: b, RoleARN: RoleARN(b, w)}
	var steps []aws.Step
	if b.Via == workload.IRSA {
		_, st, err := aws.PlanOIDCProvider(ctx, s.Config, b.Account, b.Issuer, t.Name)
		if err != nil {
			return nil, nil, err
		}
		made.ProviderCreated = len(st) > 0 && strings.HasPrefix(st[0].Call, "CreateOpenIDConnectProvider")
		steps = append(steps, st...)
	}
	if w.RoleARN != "" {
		return made, steps, s.checkExisting(ctx, b, w.RoleARN)
	}
	role, err := aws.PlanWorkloadRole(ctx, s.Config, b.Account, aws.WorkloadRole{Name: w.RoleName, Tenant: t.Name, Binding: b.ID(), Trust: b.Trust(), PolicyARNs: w.PolicyARNs})
	if err != nil {
		return nil, nil, err
	}
	made.RoleARN, made.RoleCreated = role.ARN, true // there now, tagged as this binding's: the plugin's
	return made, append(steps, role.Steps...), nil
}

// planAgent plans the Pod Identity agent add-on, when the cluster lacks
// it, and says so.
func (s *Syncer) planAgent(ctx context.Context) ([]aws.Step, error) {
	st, err := aws.PlanAddon(ctx, s.Config, s.Cluster.Name, PodIdentityAgent, s.Tenant.Name)
	if err != nil {
		return nil, err
	}
	if len(st) > 0 {
		fmt.Fprintf(s.Log, "Pod Identity needs the %s add-on, which EKS cluster %s lacks: %s\n", PodIdentityAgent, s.Cluster.Name, s.would("it is installed", "it would be installed"))
	}
	return st, nil
}

// checkExisting refuses an existing role that is not in the cluster's
// account, or whose trust admits anything but b, or not b: the plugin
// uses such a role as it is and never changes it.
func (s *Syncer) checkExisting(ctx context.Context, b workload.Binding, roleARN string) error {
	if account := strings.SplitN(roleARN, ":", 6)[4]; account != b.Account {
		return fmt.Errorf("role %s is in account %s, and EKS cluster %s in %s: a workload role is in the cluster's account", roleARN, account, s.Cluster.Name, b.Account)
	}
	role, err := aws.ReadWorkloadRole(ctx, s.Config, iamarn.NameOf(roleARN))
	if err != nil {
		return err
	}
	if role == nil {
		return fmt.Errorf("no IAM role %s in account %s (through tenant %q's chain): give an existing role, or policy ARNs for a role the plugin makes", roleARN, b.Account, s.Tenant.Name)
	}
	if findings := b.Check(role.Trust); len(findings) > 0 {
		lines := make([]string, len(findings))
		for i, f := range findings {
			lines[i] = "  " + f.Statement + ": " + f.Problem
		}
		return fmt.Errorf("role %s's trust policy does not admit exactly %s's pods, and the plugin does not change a role it did not make:\n%s\ngive it this trust policy (or let the plugin make a role):\n%s",
			roleARN, b.Subject(), strings.Join(lines, "\n"), b.Trust())
	}
	return nil
}

// Deleted is what Delete did: the calls made (or that would be), what
// it left and why, and whether the OIDC provider is gone.
type Deleted struct {
	Calls           []string
	Kept            []string
	ProviderDeleted bool
}

// Delete removes what Make made for w, each checked at the point of
// deletion: the association (when it is with w's role and the plugin's)
// or the annotation (when it names w's role and the plugin set it), the
// role (only when the record says the plugin made it and its tags say
// so, for this binding), and with deleteProvider the cluster's OIDC
// provider (only when the record says the plugin made it and no other
// role trusts it). What is kept is said.
func (s *Syncer) Delete(ctx context.Context, w tenant.WorkloadRole, deleteProvider bool) (*Deleted, error) {
	t := s.Tenant
	if w.Via == tenant.ViaIRSA && s.Cluster.Issuer == "" {
		return s.issuerGone(ctx, w)
	}
	b, err := s.Binding(w)
	if err != nil {
		return nil, err
	}
	roleARN := RoleARN(b, w)
	out := &Deleted{}
	var steps []aws.Step
	if b.Via == workload.PodIdentity {
		st, kept, err := aws.PlanDeletePodIdentity(ctx, s.Config, s.Cluster.Name, w.Namespace, w.ServiceAccount, roleARN, t.Name)
		if err != nil {
			return nil, err
		}
		if kept != "" {
			out.Kept = append(out.Kept, kept)
		}
		steps = append(steps, st...)
	}
	if len(deleted(w)) > 0 {
		st, err := aws.PlanDeleteWorkloadRole(ctx, s.Config, w.RoleName, aws.Claim{Tenant: t.Name, Made: true, Binding: b.ID()})
		if err != nil {
			return nil, fmt.Errorf("%w; it is kept (delete it by hand if it is no one's)", err)
		}
		steps = append(steps, st...)
	} else {
		out.Kept = append(out.Kept, "role "+roleARN+": the plugin did not make it")
	}
	if deleteProvider {
		eks := t.Spec.Cluster.EKS
		if !eks.OIDCProviderCreated {
			return nil, fmt.Errorf("--delete-oidc-provider: tenant %q's record does not say the plugin made the OIDC provider of %s: it is kept", t.Name, b.Issuer)
		}
		st, err := aws.PlanDeleteOIDCProvider(ctx, s.Config, b.Account, b.Issuer, aws.Claim{Tenant: t.Name, Made: true}, deleted(w)...)
		if err != nil {
			return nil, fmt.Errorf("--delete-oidc-provider: %w", err)
		}
		steps = append(steps, st...)
		out.ProviderDeleted = true // by these steps, or gone already
	}
	annotated := b.Via == workload.IRSA && s.Conn != nil
	if annotated {
		removes, err := s.unannotate(ctx, w, roleARN, true)
		if err != nil {
			return nil, fmt.Errorf("ServiceAccount %s/%s: %w", w.Namespace, w.ServiceAccount, err)
		}
		if removes {
			out.Calls = append(out.Calls, "remove annotation "+RoleAnnotation+" of ServiceAccount "+w.Namespace+"/"+w.ServiceAccount)
		}
	}
	for _, st := range steps {
		out.Calls = append(out.Calls, st.Call)
	}
	for _, c := range out.Calls {
		fmt.Fprintln(s.Log, s.would("", "would call ")+c)
	}
	if s.DryRun {
		return out, nil
	}
	// The annotation and the association go first: they name the role.
	if annotated {
		if _, err := s.unannotate(ctx, w, roleARN, false); err != nil {
			return out, fmt.Errorf("ServiceAccount %s/%s: %w", w.Namespace, w.ServiceAccount, err)
		}
	}
	return out, aws.Run(ctx, steps)
}

func (s *Syncer) would(now, dryRun string) string {
	if s.DryRun {
		return dryRun
	}
	return now
}

// annotate applies the ServiceAccount with IRSA's annotation,
// server-side as kubectl-tenant (only the annotation: a ServiceAccount
// someone else made stays theirs, and one made here carries no label
// that would let revoke delete it), and reports whether it changed. A
// ServiceAccount already annotated with another role is refused.
func (s *Syncer) annotate(ctx context.Context, w tenant.WorkloadRole, roleARN string, dryRun bool) (bool, error) {
	sas := s.Conn.Client.CoreV1().ServiceAccounts(w.Namespace)
	before, err := sas.Get(ctx, w.ServiceAccount, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		before = nil
	case err != nil:
		return false, err
	}
	if got := annotation(before); got != "" && got != roleARN {
		return false, fmt.Errorf("it is annotated %s=%s, another role: a ServiceAccount assumes one; remove that annotation first, or give this one another name", RoleAnnotation, got)
	}
	after, err := sas.Apply(ctx, corev1ac.ServiceAccount(w.ServiceAccount, w.Namespace).WithAnnotations(map[string]string{RoleAnnotation: roleARN}), applyOptions(dryRun))
	if err != nil {
		return false, err
	}
	return before == nil || before.ResourceVersion != after.ResourceVersion, nil
}

// unannotate gives up the plugin's IRSA annotation of w's ServiceAccount
// (an apply as kubectl-tenant that no longer sets it), when it names
// roleARN and the plugin set it, and reports whether it does. The
// ServiceAccount itself stays: the plugin never labelled it as its own.
func (s *Syncer) unannotate(ctx context.Context, w tenant.WorkloadRole, roleARN string, dryRun bool) (bool, error) {
	sa, err := s.Conn.Client.CoreV1().ServiceAccounts(w.Namespace).Get(ctx, w.ServiceAccount, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, err
	case annotation(sa) != roleARN || !annotatedByPlugin(sa):
		return false, nil
	}
	_, err = s.Conn.Client.CoreV1().ServiceAccounts(w.Namespace).Apply(ctx, corev1ac.ServiceAccount(w.ServiceAccount, w.Namespace), applyOptions(dryRun))
	return err == nil, err
}

func applyOptions(dryRun bool) metav1.ApplyOptions {
	opts := metav1.ApplyOptions{FieldManager: annotationManager}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return opts
}

// annotation is sa's IRSA role, "" for none (or no ServiceAccount).
func annotation(sa *corev1.ServiceAccount) string {
	if sa == nil {
		return ""
	}
	return sa.Annotations[RoleAnnotation]
}

// annotatedByPlugin reports whether the plugin's field manager applied
// sa's IRSA annotation.
func annotatedByPlugin(sa *corev1.ServiceAccount) bool {
	for _, m := range sa.ManagedFields {
		if m.Manager == annotationManager && m.Operation == metav1.ManagedFieldsOperationApply && m.FieldsV1 != nil &&
			strings.Contains(m.FieldsV1.GetRawString(), `"f:`+RoleAnnotation+`"`) {
			return true
		}
	}
	return false
}

// Inspect reads w's role from IAM and finds what its trust admits beyond
// w's ServiceAccount, or lacks (a role that is gone is a finding too).
func (s *Syncer) Inspect(ctx context.Context, w tenant.WorkloadRole) (*aws.ExistingWorkloadRole, []workload.Finding, error) {
	b, err := s.Binding(w)
	if err != nil {
		return nil, nil, err
	}
	arn := RoleARN(b, w)
	role, err := aws.ReadWorkloadRole(ctx, s.Config, iamarn.NameOf(arn))
	if err != nil {
		return nil, nil, err
	}
	if role == nil {
		return &aws.ExistingWorkloadRole{ARN: arn}, []workload.Finding{{Statement: "role", Problem: "IAM role " + arn + " does not exist: " + b.Subject() + "'s pods assume nothing",
			Fix: "run `kubectl tenant workload-role` again"}}, nil
	}
	findings := b.Check(role.Trust)
	if w.RoleARN != "" {
		for i := range findings {
			findings[i].Fix = "the plugin does not change a role it did not make: narrow its trust policy by hand to the one `kubectl tenant workload-role` names, or let the plugin make a role"
		}
	}
	return role, findings, nil
}

// issuerGone is Delete of an IRSA role whose cluster is gone, and its
// issuer with it: the role's trust, and its tag, name the issuer, which
// can no longer be checked to be this cluster's. A role the plugin made
// that is still there is left to be deleted by hand (the error says so,
// and the tenant is kept); one that is gone is done.
func (s *Syncer) issuerGone(ctx context.Context, w tenant.WorkloadRole) (*Deleted, error) {
	name := deleted(w)
	if len(name) == 0 {
		return &Deleted{Kept: []string{"role " + w.RoleARN + ": the plugin did not make it"}}, nil
	}
	role, err := aws.ReadRole(ctx, s.Config, name[0])
	if err != nil || role == nil {
		return &Deleted{}, err
	}
	return nil, fmt.Errorf("IAM role %s, the IRSA role of %s, is left: EKS cluster %s is gone, and with it the OIDC issuer that would show the role is this cluster's; delete the role by hand, then re-run", name[0], w.Key(), s.Cluster.Name)
}

// DeleteAll removes what the plugin made for every add-on and workload
// role of the tenant, as DeleteAddon and Delete do (add-ons first: their
// associations name roles), and the cluster's OIDC provider when the
// record says the plugin made it and no role but the tenant's trusts it
// (kept, and said so, when one does). A failure stops it; a re-run
// continues, as nothing already gone is looked for again.
func (s *Syncer) DeleteAll(ctx context.Context, timeout time.Duration) (kept []string, _ error) {
	t := s.Tenant
	var names []string
	for _, a := range t.Spec.Addons {
		a = ResolveAddon(t, a)
		d, err := s.DeleteAddon(ctx, a, timeout, func(status string) { fmt.Fprintf(s.Log, "add-on %s is %s\n", a.Name, status) })
		if d != nil {
			kept = append(kept, d.Kept...)
		}
		if err != nil {
			return kept, fmt.Errorf("add-on %s: %w", a.Name, err)
		}
		if w := addonWorkloadRole(a); w != nil {
			names = append(names, deleted(*w)...)
		}
	}
	for _, w := range t.Spec.WorkloadRoles {
		w = w.Resolved(t)
		d, err := s.Delete(ctx, w, false)
		if d != nil {
			kept = append(kept, d.Kept...)
		}
		if err != nil {
			return kept, fmt.Errorf("workload role of %s: %w", w.Key(), err)
		}
		names = append(names, deleted(w)...)
	}
	if !t.Spec.Cluster.EKS.OIDCProviderCreated {
		return kept, nil
	}
	if s.Cluster.Issuer == "" {
		return append(kept, "the IAM OIDC provider the plugin made for EKS cluster "+s.Cluster.Name+": the cluster is gone, and with it the issuer that names the provider; delete it by hand (aws iam list-open-id-connect-providers)"), nil
	}
	b, err := s.Binding(tenant.WorkloadRole{Via: tenant.ViaIRSA})
	if err != nil {
		return kept, err
	}
	steps, err := aws.PlanDeleteOIDCProvider(ctx, s.Config, b.Account, b.Issuer, aws.Claim{Tenant: t.Name, Made: true}, names...)
	if errors.Is(err, aws.ErrInUse) {
		return append(kept, err.Error()), nil
	}
	if err != nil {
		return kept, err
	}
	for _, st := range steps {
		fmt.Fprintln(s.Log, s.would("", "would call ")+st.Call)
	}
	if s.DryRun {
		return kept, nil
	}
	return kept, aws.Run(ctx, steps)
}

// deleted names the role Delete removes for w: none when the plugin did
// not make it.
func deleted(w tenant.WorkloadRole) []string {
	if w.RoleCreated && w.RoleARN == "" {
		return []string{w.RoleName}
	}
	return nil
}

// Admit checks w's ServiceAccount as a grant's is checked (the one rule
// for workload-role and apply): in one of t's namespaces, labelled as
// t's already, belonging to no other tenant.
func Admit(ctx context.Context, a access.Admission, t *tenant.Tenant, w tenant.WorkloadRole) error {
	a.OwnNamespaces = true
	sa := tenant.Grant{Subject: tenant.Subject{Kind: tenant.SubjectServiceAccount, Namespace: w.Namespace, Name: w.ServiceAccount}, Role: "view", Namespaces: []string{w.Namespace}}
	return a.Admit(ctx, t, []tenant.Grant{sa})
}
