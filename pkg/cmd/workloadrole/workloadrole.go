// Package workloadrole is `kubectl tenant workload-role`: an IAM role in
// the tenant's account that exactly one ServiceAccount of the tenant's
// EKS cluster may assume, through EKS Pod Identity or IRSA.
package workloadrole

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	kcmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/access"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workload"
)

var long = templates.LongDesc(`
	Make an IAM role in the tenant's account, through its role chain, that
	exactly one ServiceAccount of the tenant's EKS cluster may assume, and
	attach the given managed policies to it.

	With --via pod-identity (the default) the role trusts EKS Pod Identity
	for this cluster, account, namespace and ServiceAccount only, and an
	association binds the ServiceAccount to it (the eks-pod-identity-agent
	add-on is installed when missing). With --via irsa the role trusts the
	cluster's OIDC provider (made when missing) for the ServiceAccount's
	token and STS's audience only, and the ServiceAccount is annotated
	with the role (only the annotation: the ServiceAccount is not labelled
	as the plugin's). The namespace must be the tenant's. Running it again
	changes nothing; --dry-run=server reads AWS and says what it would do.`)

var example = templates.Examples(`
	# Let acme's ServiceAccount app read S3, through EKS Pod Identity
	kubectl tenant workload-role acme --serviceaccount acme:app --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess

	# The same through IRSA, seeing the calls first
	kubectl tenant workload-role acme --serviceaccount acme:app --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess --via irsa --dry-run=server`)

// podIdentityAgent is the add-on Pod Identity needs on the nodes.
const podIdentityAgent = "eks-pod-identity-agent"

// roleAnnotation is the annotation IRSA's webhook reads a
// ServiceAccount's role from.
const roleAnnotation = "eks.amazonaws.com/role-arn"

// Options are the options of `workload-role`.
type Options struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *registry.Flag

	ServiceAccount string
	PolicyARNs     []string
	Via            string
	RoleName       string
	DryRunStrategy kcmdutil.DryRunStrategy

	registry  tenant.Registry
	tenant    *tenant.Tenant
	namespace string
	name      string
}

// NewCmdWorkloadRole makes `kubectl tenant workload-role`.
func NewCmdWorkloadRole(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, getter: getter, registryPath: registryPath}
	cmd := &cobra.Command{
		Use:               "workload-role TENANT --serviceaccount NS:NAME --policy-arn ARN... [--via pod-identity|irsa] [--role-name NAME]",
		Short:             "Make an IAM role that one ServiceAccount of a tenant's EKS cluster may assume",
		Long:              long,
		Example:           example,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteTenants(registryPath),
		SilenceUsage:      true,
		RunE:              cmdutil.RunE(o),
	}
	cmd.Flags().StringVar(&o.ServiceAccount, "serviceaccount", "", "The ServiceAccount, NAMESPACE:NAME, in one of the tenant's namespaces")
	cmd.Flags().StringArrayVar(&o.PolicyARNs, "policy-arn", nil, "A managed policy to attach to the role (repeatable)")
	cmd.Flags().StringVar(&o.Via, "via", "", "How the pods reach the role: pod-identity (default on EKS) or irsa (default on a Cluster API tenant)")
	cmd.Flags().StringVar(&o.RoleName, "role-name", "", "The role's name (default: kubectl-tenant-TENANT-NAMESPACE-NAME, cut to IAM's 64 characters)")
	kcmdutil.AddDryRunFlag(cmd)
	_ = cmd.RegisterFlagCompletionFunc("via", cobra.FixedCompletions([]string{string(workload.PodIdentity), string(workload.IRSA)}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete reads the tenant.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	target, err := cmdutil.OpenTarget(cmd, o.registryPath, args[0])
	if err != nil {
		return err
	}
	o.registry, o.tenant, o.DryRunStrategy = target.Registry, target.Tenant, target.DryRun
	return nil
}

// Validate checks every flag against the tenant's record before any call.
func (o *Options) Validate() error {
	t := o.tenant
	if t.Spec.Cluster.EKS == nil || t.Spec.AWS == nil {
		return fmt.Errorf("tenant %q is not on EKS: a workload role is assumed through EKS Pod Identity or the EKS cluster's OIDC issuer", t.Name)
	}
	ns, name, ok := strings.Cut(o.ServiceAccount, ":")
	if !ok || len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Subdomain(name)) > 0 {
		return fmt.Errorf("--serviceaccount %q: name the ServiceAccount as NAMESPACE:NAME", o.ServiceAccount)
	}
	if !slices.Contains(t.Spec.Namespaces, ns) {
		return fmt.Errorf("--serviceaccount %s: namespace %s is not tenant %q's (its namespaces: %s); a workload role is for the tenant's own ServiceAccounts",
			o.ServiceAccount, ns, t.Name, strings.Join(t.Spec.Namespaces, ", "))
	}
	o.namespace, o.name = ns, name
	if len(o.PolicyARNs) == 0 {
		return errors.New("--policy-arn: give the managed policies the role gets (at least one)")
	}
	for _, p := range o.PolicyARNs {
		if !strings.HasPrefix(p, "arn:aws:iam::") || !strings.Contains(p, ":policy/") {
			return fmt.Errorf("--policy-arn %q: give an IAM policy ARN, arn:aws:iam::ACCOUNT:policy/NAME (or aws for AWS managed policies)", p)
		}
	}
	switch workload.Mechanism(o.Via) {
	case "":
		o.Via = string(workload.PodIdentity)
		if t.Spec.Cluster.CAPA != nil {
			o.Via = string(workload.IRSA) // CAPA installs no Pod Identity agent
		}
	case workload.PodIdentity, workload.IRSA:
	default:
		return fmt.Errorf("--via %q: give pod-identity or irsa", o.Via)
	}
	if o.RoleName == "" {
		o.RoleName = defaultRoleName(t.Name, ns, name)
	}
	if !roleNameRE.MatchString(o.RoleName) {
		return fmt.Errorf("--role-name %q: an IAM role name has 1 to 64 letters, digits and +=,.@_-", o.RoleName)
	}
	if o.DryRunStrategy == kcmdutil.DryRunClient {
		return errors.New("--dry-run=client: the role's trust names the cluster's ARN and OIDC issuer, which only AWS knows: use --dry-run=server, which reads and writes nothing")
	}
	return nil
}

// roleNameRE is what IAM takes as a role name.
var roleNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

// defaultRoleName is kubectl-tenant-TENANT-NS-NAME; one too long for IAM
// is cut, with a hash of the whole so that two cut names do not meet.
func defaultRoleName(tenantName, ns, name string) string {
	n := "kubectl-tenant-" + tenantName + "-" + ns + "-" + name
	if len(n) <= 64 {
		return n
	}
	sum := sha256.Sum256([]byte(n))
	return strings.TrimRight(n[:55], "-.") + "-" + hex.EncodeToString(sum[:4])
}

// Run reads the cluster and the role, plans the calls, and makes them
// (a server dry run prints them).
func (o *Options) Run(ctx context.Context) error {
	t := o.tenant
	// The ServiceAccount must be the tenant's, by the registry and the
	// cluster's namespace labels, before any AWS call.
	conn, err := cluster.Connect(o.getter, t.Spec.Cluster.Context)
	if err != nil {
		return err
	}
	sa := tenant.Grant{Subject: tenant.Subject{Kind: "ServiceAccount", Namespace: o.namespace, Name: o.name}, Role: "view", Namespaces: []string{o.namespace}}
	if err := (access.Admission{Client: conn.Client, Registry: o.registry, OwnNamespaces: true, Warn: o.ErrOut}).Admit(ctx, t, []tenant.Grant{sa}); err != nil {
		return fmt.Errorf("--serviceaccount %s: %w", o.ServiceAccount, err)
	}
	cfg, err := aws.TenantConfig(ctx, t)
	if err != nil {
		return err
	}
	c, err := aws.DescribeCluster(ctx, cfg, t.Spec.Cluster.EKS.Name)
	if err != nil {
		return err
	}
	arn := strings.SplitN(c.ARN, ":", 6)
	if len(arn) < 6 {
		return fmt.Errorf("EKS cluster %s has ARN %q, which names no account", c.Name, c.ARN)
	}
	b := workload.Binding{Via: workload.Mechanism(o.Via), Account: arn[4], ClusterARN: c.ARN, Issuer: c.Issuer, Namespace: o.namespace, ServiceAccount: o.name}
	if b.Via == workload.IRSA && c.Issuer == "" {
		return fmt.Errorf("EKS cluster %s reports no OIDC issuer: IRSA needs one; use --via pod-identity", c.Name)
	}
	var steps []aws.Step
	if b.Via == workload.IRSA {
		_, s, err := aws.PlanOIDCProvider(ctx, cfg, b.Account, b.Issuer, t.Name)
		if err != nil {
			return err
		}
		steps = append(steps, s...)
	}
	role, err := aws.PlanWorkloadRole(ctx, cfg, b.Account, aws.WorkloadRole{Name: o.RoleName, Tenant: t.Name, Binding: b.ID(), Trust: b.Trust(), PolicyARNs: o.PolicyARNs})
	if err != nil {
		return err
	}
	steps = append(steps, role.Steps...)
	if b.Via == workload.PodIdentity {
		s, err := aws.PlanAddon(ctx, cfg, c.Name, podIdentityAgent, t.Name)
		if err != nil {
			return err
		}
		if len(s) > 0 {
			verb := "it is installed"
			if o.DryRunStrategy != kcmdutil.DryRunNone {
				verb = "it would be installed"
			}
			fmt.Fprintf(o.ErrOut, "Pod Identity needs the %s add-on, which EKS cluster %s lacks: %s\n", podIdentityAgent, c.Name, verb)
		}
		steps = append(steps, s...)
		s, err = aws.PlanPodIdentity(ctx, cfg, c.Name, o.namespace, o.name, role.ARN, t.Name)
		if err != nil {
			return err
		}
		steps = append(steps, s...)
	}
	if b.Via == workload.IRSA {
		// The annotation is checked by the server first, so that a
		// conflict stops the command before AWS is written.
		if _, err := o.annotate(ctx, conn, role.ARN, true); err != nil {
			return fmt.Errorf("ServiceAccount %s/%s: %w", o.namespace, o.name, err)
		}
	}
	if o.DryRunStrategy == kcmdutil.DryRunServer {
		for _, s := range steps {
			fmt.Fprintf(o.ErrOut, "would call %s\n", s.Call)
		}
		fmt.Fprintf(o.ErrOut, "trust policy of %s:\n%s\n", o.RoleName, b.Trust())
		return nil
	}
	for _, s := range steps {
		fmt.Fprintf(o.ErrOut, "%s\n", s.Call)
	}
	if err := aws.Run(ctx, steps); err != nil {
		return err
	}
	if b.Via == workload.IRSA {
		changed, err := o.annotate(ctx, conn, role.ARN, false)
		if err != nil {
			return fmt.Errorf("annotating ServiceAccount %s/%s with the role (the role exists; re-run to finish): %w", o.namespace, o.name, err)
		}
		if changed {
			fmt.Fprintf(o.ErrOut, "ServiceAccount %s/%s annotated %s=%s\n", o.namespace, o.name, roleAnnotation, role.ARN)
		}
	}
	if len(steps) == 0 {
		fmt.Fprintf(o.ErrOut, "workload role %s of %s/%s is in place: nothing to change\n", o.RoleName, o.namespace, o.name)
	}
	fmt.Fprintln(o.Out, role.ARN)
	return nil
}

// annotate applies the ServiceAccount with IRSA's annotation,
// server-side as kubectl-tenant (only the annotation: a ServiceAccount
// someone else made stays theirs, and one made here carries no label
// that would let revoke delete it), and reports whether it changed. A
// ServiceAccount already annotated with another role is refused.
func (o *Options) annotate(ctx context.Context, conn *cluster.Connection, roleARN string, dryRun bool) (bool, error) {
	sas := conn.Client.CoreV1().ServiceAccounts(o.namespace)
	before, err := sas.Get(ctx, o.name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		before = nil
	case err != nil:
		return false, err
	}
	if got := annotation(before); got != "" && got != roleARN {
		return false, fmt.Errorf("it is annotated %s=%s, another role: a ServiceAccount assumes one; remove that annotation first, or give this one another name", roleAnnotation, got)
	}
	ac := corev1ac.ServiceAccount(o.name, o.namespace).WithAnnotations(map[string]string{roleAnnotation: roleARN})
	opts := metav1.ApplyOptions{FieldManager: tenant.FieldManager}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	after, err := sas.Apply(ctx, ac, opts)
	if err != nil {
		return false, err
	}
	return before == nil || before.ResourceVersion != after.ResourceVersion, nil
}

// annotation is sa's IRSA role, "" for none (or no ServiceAccount).
func annotation(sa *corev1.ServiceAccount) string {
	if sa == nil {
		return ""
	}
	return sa.Annotations[roleAnnotation]
}
