// Package access is `kubectl tenant access`.
package access

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/dynamic"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/access"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
	authmap "github.com/kubectl-tenant/kubectl-tenant/pkg/awsauth"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/capa"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workload"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workloadrole"
)

var accessLong = templates.LongDesc(`
	Show who can do what in a tenant, read from the cluster: every RoleBinding
	in the tenant's namespaces, whoever made it, and the tenant's cluster-wide
	bindings. A role marked * is bound by someone other than kubectl-tenant; one
	marked ! is granted in the registry but not bound in the cluster.

	--verify asks the API server (SubjectAccessReview) a fixed set of
	questions for every subject in every namespace (get pods, list configmaps,
	create pods, delete deployments, get secrets, create rolebindings) and
	reports each answer that differs from what the tenant's grants allow: a
	binding edited or removed by hand, or access coming from elsewhere. For a
	tenant whose cluster Cluster API makes (CAPA), it also checks the trust
	chain in the management cluster as CAPA reads it: an identity that
	admits any namespace but the tenant's, a controller identity that admits
	every namespace, a control plane whose identity (or any hop) does not
	admit its namespace, and an identity without the external ID its role's
	trust policy requires. It exits non-zero when it finds any.

	IAM principals are listed with their channel (aws-auth or access entry),
	the username and groups their mapping gives, the roles those groups hold
	by namespace, and whether the live mapping says the same.

	Workload roles (the IAM roles the tenant's ServiceAccounts assume) are
	read from IAM through the tenant's role chain and listed with their
	ServiceAccount, mechanism and policies. --verify checks each one's
	trust policy: one that admits another namespace, ServiceAccount,
	cluster, account or audience (a wildcard, StringLike, a missing sub,
	aud, SourceArn or session-tag condition, another OIDC provider or
	principal) is reported with the statement and the fix.

	--all does this for every tenant in the registry, reading clusters
	concurrently, each within --cluster-timeout; a tenant whose cluster does
	not answer is reported with the error, and the command fails naming it.`)

var accessExample = templates.Examples(`
	# The access matrix of tenant acme
	kubectl tenant access acme

	# The whole fleet's, as one document
	kubectl tenant access --all -o yaml

	# Check it against the API server, as in a CI job
	kubectl tenant access acme --verify`)

// Options are the options of `access`.
type Options struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *registry.Flag
	PrintFlags   *genericclioptions.PrintFlags

	Tenant         string
	All            bool
	ClusterTimeout time.Duration
	Verify         bool
	NoHeaders      bool
	// AWSOptions apply to the EKS clients that read access entries.
	AWSOptions []aws.ConfigOption

	tenant   *tenant.Tenant
	registry tenant.Registry
	conn     *cluster.Connection
	printer  printers.ResourcePrinter // nil: the tables
}

// NewOptions returns access's options with the flags' defaults.
func NewOptions(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *Options {
	return &Options{IOStreams: streams, getter: getter, registryPath: registryPath, PrintFlags: genericclioptions.NewPrintFlags("")}
}

// NewCmdAccess makes `kubectl tenant access`.
func NewCmdAccess(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := NewOptions(getter, registryPath, streams)
	cmd := &cobra.Command{
		Use:               "access (TENANT | --all) [--verify] [-o json|yaml]",
		Short:             "Show who can do what in a tenant, and verify it",
		Long:              accessLong,
		Example:           accessExample,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: cmdutil.CompleteTenants(registryPath),
		SilenceUsage:      true,
		RunE:              cmdutil.RunE(o),
	}
	cmd.Flags().BoolVar(&o.Verify, "verify", false, "Check each subject's access with the API server")
	cmd.Flags().BoolVar(&o.All, "all", false, "Every tenant in the registry")
	cmd.Flags().DurationVar(&o.ClusterTimeout, "cluster-timeout", 10*time.Second, "With --all: how long to wait for one tenant's cluster")
	o.PrintFlags.AddFlags(cmd)
	cmdutil.AddNoHeadersFlag(cmd, &o.NoHeaders)
	return cmd
}

// Complete reads the tenant and makes its cluster's client and the printer.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	var err error
	if format := *o.PrintFlags.OutputFormat; format != "" && format != "name" {
		if o.printer, err = o.PrintFlags.ToPrinter(); err != nil {
			return err
		}
	}
	switch {
	case o.All && len(args) > 0:
		return fmt.Errorf("name a tenant or give --all, not both")
	case o.All:
		o.registry, err = o.registryPath.Open()
		return err
	case len(args) == 0:
		return fmt.Errorf("name the tenant (kubectl tenant access TENANT), or give --all for every tenant")
	}
	o.Tenant = args[0]
	if o.registry, o.tenant, err = o.registryPath.OpenTenant(cmd.Context(), o.Tenant); err != nil {
		return err
	}
	o.conn, err = cluster.Connect(o.getter, o.tenant.Spec.Cluster.Context)
	return err
}

// Validate checks the output format.
func (o *Options) Validate() error {
	if *o.PrintFlags.OutputFormat == "name" {
		return fmt.Errorf("--output name: an access report has no name; use json, yaml, jsonpath or go-template")
	}
	if o.All {
		if err := o.registryPath.RefuseContext("access --all reads every tenant's cluster through its own context"); err != nil {
			return err
		}
		return cluster.RefuseOneClusterFlags(o.getter, "access --all reads every tenant's cluster")
	}
	return nil
}

// Run reads, verifies if asked, and prints.
func (o *Options) Run(ctx context.Context) error {
	if o.All {
		return o.runAll(ctx)
	}
	t := o.tenant
	r, err := o.read(ctx, t, o.conn)
	if err != nil {
		return err
	}
	m, ignored, v := r.Matrix, r.ignored, r.Verify
	if o.printer != nil {
		if err := o.printer.PrintObj(access.NewReport(m, r.IAM, r.WorkloadRoles, v), o.Out); err != nil {
			return err
		}
	} else if err := o.print(ctx, r); err != nil {
		return err
	}
	if v != nil {
		if v.Trust != nil {
			for _, u := range v.Trust.Unchecked {
				fmt.Fprintln(o.ErrOut, "not checked: "+u)
			}
		}
		if len(ignored) > 0 {
			return fmt.Errorf("aws-auth has %d key(s) aws-iam-authenticator ignores, so their mappings do nothing: %s", len(ignored), strings.Join(ignored, "; "))
		}
		if len(v.Findings) > 0 {
			return fmt.Errorf("%d of %d access checks differ from tenant %q's grants", len(v.Findings), v.Checks, t.Name)
		}
		if len(v.Workload) > 0 {
			return fmt.Errorf("tenant %q's workload roles admit more than their ServiceAccounts, or do not work: %d finding(s)", t.Name, len(v.Workload))
		}
		if n := v.Failures(); n > 0 {
			return fmt.Errorf("tenant %q's Cluster API trust chain admits more than the tenant, or does not work: %d finding(s)", t.Name, n)
		}
		fmt.Fprintf(o.ErrOut, "verified: all %d access checks match tenant %q's grants\n", v.Checks, t.Name)
		if n := len(r.WorkloadRoles); n > 0 {
			fmt.Fprintf(o.ErrOut, "verified: the trust of each of %d workload role(s) admits only its ServiceAccount\n", n)
		}
	}
	return nil
}

// tenantAccess is what access reads of one tenant.
type tenantAccess struct {
	Matrix        *access.Matrix
	IAM           []access.IAMPrincipal
	WorkloadRoles []access.WorkloadRole
	Verify        *access.Verification
	// ignored are the aws-auth keys aws-iam-authenticator ignores.
	ignored []string
}

// read reads tenant t's access from its cluster (and its workload roles
// from IAM), and verifies it when asked.
func (o *Options) read(ctx context.Context, t *tenant.Tenant, conn *cluster.Connection) (*tenantAccess, error) {
	r := &tenantAccess{}
	var err error
	if r.Matrix, err = access.Read(ctx, conn.Client, t); err != nil {
		return nil, cluster.Unreachable(t, err)
	}
	if r.IAM, r.ignored, err = o.iamPrincipals(ctx, t, conn); err != nil {
		return nil, err
	}
	var findings []access.WorkloadFinding
	r.WorkloadRoles, findings = o.workloadRoles(ctx, t, conn)
	if o.Verify {
		if r.Verify, err = access.Verify(ctx, conn.Client, t, r.Matrix); err != nil {
			return nil, err
		}
		r.Verify.Workload = findings
		if t.Spec.Cluster.CAPA != nil {
			if r.Verify.Trust, err = o.verifyTrust(ctx, t); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

// workloadRoles reads the tenant's recorded workload roles from IAM,
// through its chain, and what each one's trust admits beyond its
// ServiceAccount. A role that could not be read is listed with the
// error, and is a finding.
func (o *Options) workloadRoles(ctx context.Context, t *tenant.Tenant, conn *cluster.Connection) ([]access.WorkloadRole, []access.WorkloadFinding) {
	roles := workloadrole.All(t)
	if len(roles) == 0 {
		return nil, nil
	}
	var out []access.WorkloadRole
	var findings []access.WorkloadFinding
	s, syncErr := workloadrole.NewSyncer(ctx, t, conn, true, io.Discard, o.AWSOptions...)
	for _, w := range roles {
		item := access.WorkloadRole{ServiceAccount: w.Key(), Via: w.Via, Role: cmp.Or(w.RoleARN, w.RoleName), MadeByPlugin: w.RoleCreated}
		role, found, err := (*aws.ExistingWorkloadRole)(nil), []workload.Finding(nil), syncErr
		if err == nil {
			role, found, err = s.Inspect(ctx, w)
		}
		if err != nil {
			item.Error = err.Error()
			found = []workload.Finding{{Statement: "role", Problem: "not read: " + err.Error(), Fix: "let the tenant's role chain read its IAM roles (iam:GetRole, iam:ListAttachedRolePolicies) and its EKS cluster"}}
		} else {
			item.Role, item.Policies = role.ARN, role.PolicyARNs
		}
		for _, f := range found {
			findings = append(findings, access.WorkloadFinding{ServiceAccount: w.Key(), Role: item.Role, Finding: f})
		}
		out = append(out, item)
	}
	return out, findings
}

// verifyTrust checks a CAPA tenant's trust chain in the management
// cluster, and, when its last identity gives no external ID, whether
// the role's trust policy requires one (read through the tenant's chain
// when the caller may; said when not).
func (o *Options) verifyTrust(ctx context.Context, t *tenant.Tenant) (*capa.Trust, error) {
	mgmt, err := cmdutil.ManagementCluster(o.getter, o.registryPath, t.Spec.Cluster.CAPA.ManagementContext, "spec.cluster.capa.managementContext")
	if err != nil {
		return nil, err
	}
	client, err := dynamic.NewForConfig(mgmt.Config)
	if err != nil {
		return nil, err
	}
	trust, err := capa.Verify(ctx, client, mgmt.Client, t)
	if err != nil || trust.Last == nil || trust.Last.ExternalID != "" {
		return trust, err
	}
	last := trust.Last
	unchecked := func(why string) {
		trust.Unchecked = append(trust.Unchecked, fmt.Sprintf("whether role %s's trust policy requires the external ID identity %s lacks: %s", last.RoleARN, last.Name, why))
	}
	cfg, err := aws.TenantConfig(ctx, t, o.AWSOptions...)
	if err != nil {
		unchecked(err.Error())
		return trust, nil
	}
	role, err := aws.ReadRole(ctx, cfg, iamarn.NameOf(last.RoleARN))
	switch {
	case err != nil:
		unchecked(err.Error())
	case role == nil:
		unchecked("the tenant's chain finds no role of that name in its account")
	case strings.Contains(strings.ToLower(role.TrustPolicy), "sts:externalid"):
		trust.Findings = append(trust.Findings, capa.Finding{Object: last.Kind + " " + last.Name,
			Problem: "gives no externalID, and role " + last.RoleARN + "'s trust policy requires one (sts:ExternalId): CAPA's AssumeRole is denied",
			Fix:     "set spec.externalID to the value the trust policy names"})
	}
	return trust, nil
}

// runAll reads every tenant's access, clusters concurrently, and prints
// one document (or one table per tenant). A tenant that could not be
// read, or whose verification found drift, fails the command by name.
func (o *Options) runAll(ctx context.Context) error {
	tenants, err := o.registry.List(ctx)
	if err != nil {
		return err
	}
	list := access.NewReportList()
	list.Items = make([]access.TenantReport, len(tenants))
	conns := make([]*cluster.Connection, len(tenants))
	var g errgroup.Group // a tenant that fails is reported in its item: none stops the others
	g.SetLimit(8)
	for i := range tenants {
		g.Go(func() error {
			ctx, cancel := context.WithTimeout(ctx, o.ClusterTimeout)
			defer cancel()
			t := &tenants[i]
			item := &list.Items[i]
			item.Tenant = t.Name
			conn, err := cluster.Connect(o.getter, t.Spec.Cluster.Context)
			if err == nil {
				conns[i] = conn
				var r *tenantAccess
				if r, err = o.read(ctx, t, conn); err == nil {
					item.Matrix, item.IAM, item.WorkloadRoles, item.Verify = r.Matrix, r.IAM, r.WorkloadRoles, r.Verify
				}
			}
			if err != nil {
				item.Error = err.Error()
			}
			return nil
		})
	}
	_ = g.Wait()
	if o.printer != nil {
		if err := o.printer.PrintObj(list, o.Out); err != nil {
			return err
		}
	}
	var failed []string
	for i, item := range list.Items {
		drift := item.Verify != nil && item.Verify.Failures() > 0
		if item.Error != "" || drift {
			failed = append(failed, item.Tenant)
		}
		if o.printer != nil {
			continue
		}
		fmt.Fprintf(o.Out, "tenant %s:\n", item.Tenant)
		if item.Error != "" {
			fmt.Fprintf(o.Out, "  error: %s\n", item.Error)
			continue
		}
		one := *o
		one.tenant, one.conn = &tenants[i], conns[i]
		if err := one.print(ctx, &tenantAccess{Matrix: item.Matrix, IAM: item.IAM, WorkloadRoles: item.WorkloadRoles, Verify: item.Verify}); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d tenants could not be read or differ from their grants: %s", len(failed), len(tenants), strings.Join(failed, ", "))
	}
	return nil
}

// print prints one tenant's tables: its matrix, its IAM principals, its
// workload roles, and what verifying found.
func (o *Options) print(ctx context.Context, r *tenantAccess) error {
	marks, err := o.belongings(ctx, r.Matrix)
	if err != nil {
		return err
	}
	if err := o.printTable(r.Matrix, marks); err != nil {
		return err
	}
	if err := o.printIAM(r.IAM); err != nil {
		return err
	}
	if err := o.printWorkloadRoles(r.WorkloadRoles); err != nil {
		return err
	}
	if r.Verify != nil {
		printFindings(o.Out, r.Verify)
	}
	return nil
}

// printWorkloadRoles writes the table of the tenant's workload roles.
func (o *Options) printWorkloadRoles(roles []access.WorkloadRole) error {
	if len(roles) == 0 {
		return nil
	}
	fmt.Fprintln(o.Out)
	w := printers.GetNewTabWriter(o.Out)
	if !o.NoHeaders {
		fmt.Fprintln(w, "SERVICEACCOUNT\tVIA\tWORKLOAD ROLE\tPOLICIES\tMADE BY PLUGIN")
	}
	for _, r := range roles {
		policies := orDash(strings.Join(r.Policies, ","))
		if r.Error != "" {
			policies = "error: " + r.Error
		}
		made := "no"
		if r.MadeByPlugin {
			made = "yes"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.ServiceAccount, r.Via, r.Role, policies, made)
	}
	return w.Flush()
}

// belongings marks the subjects of the matrix that belong to another
// tenant, or to none (external ServiceAccounts), by their row.
func (o *Options) belongings(ctx context.Context, m *access.Matrix) (map[int]string, error) {
	all, err := o.registry.List(ctx)
	if err != nil {
		return nil, err
	}
	marks := map[int]string{}
	for i, r := range m.Rows {
		b, err := access.SubjectBelonging(ctx, o.conn.Client, all, o.tenant, rbac.TenantSubject(r.Subject))
		if err != nil {
			return nil, err
		}
		if mark := b.Mark(); mark != "" {
			marks[i] = mark
		}
	}
	return marks, nil
}

func (o *Options) printTable(m *access.Matrix, marks map[int]string) error {
	columns := append([]string(nil), m.Namespaces...)
	for _, r := range m.Rows {
		if len(r.Access[access.ClusterWide]) > 0 || len(r.Missing[access.ClusterWide]) > 0 {
			columns = append(columns, access.ClusterWide)
			break
		}
	}
	w := printers.GetNewTabWriter(o.Out)
	header := []string{"SUBJECT"}
	for _, c := range columns {
		if c == access.ClusterWide {
			c = "CLUSTER"
		}
		header = append(header, strings.ToUpper(c))
	}
	if !o.NoHeaders {
		fmt.Fprintln(w, strings.Join(header, "\t"))
	}
	for i, r := range m.Rows {
		line := []string{strings.TrimSpace(rbac.TenantSubject(r.Subject).String() + " " + marks[i])}
		for _, c := range columns {
			var roles []string
			for _, b := range r.Access[c] {
				role := b.Role
				if !b.Managed {
					role += "*"
				}
				roles = append(roles, role)
			}
			for _, missing := range r.Missing[c] {
				roles = append(roles, "!"+missing)
			}
			if len(roles) == 0 {
				roles = []string{"-"}
			}
			line = append(line, strings.Join(roles, ","))
		}
		fmt.Fprintln(w, strings.Join(line, "\t"))
	}
	return w.Flush()
}

// iamPrincipals traces the tenant's IAM principals and checks their live
// mappings: aws-auth from the cluster (warning about the keys of it that
// aws-iam-authenticator ignores, which it returns), access entries from
// EKS.
func (o *Options) iamPrincipals(ctx context.Context, t *tenant.Tenant, conn *cluster.Connection) (_ []access.IAMPrincipal, ignored []string, _ error) {
	ps := access.IAMPrincipals(t)
	if len(ps) == 0 {
		return nil, nil, nil
	}
	if slices.ContainsFunc(ps, func(p access.IAMPrincipal) bool { return p.Via == tenant.ViaAWSAuth }) {
		data, err := (&authmap.Store{Client: conn.Client, Warn: o.ErrOut}).Read(ctx)
		if err != nil {
			return nil, nil, err
		}
		access.CheckAWSAuth(ps, data)
		ignored = authmap.IgnoredKeys(data)
	}
	var cfg *aws.Config
	var cfgErr error
	for i := range ps {
		if ps[i].Via != tenant.ViaAccessEntry || t.Spec.Cluster.EKS == nil {
			continue
		}
		if cfg == nil && cfgErr == nil {
			c, err := aws.TenantConfig(ctx, t, o.AWSOptions...)
			cfg, cfgErr = &c, err
		}
		if cfgErr != nil {
			ps[i].CheckAccessEntry("", nil, false, cfgErr)
			continue
		}
		ps[i].CheckAccessEntry(aws.DescribeAccessEntry(ctx, *cfg, t.Spec.Cluster.EKS.Name, ps[i].ARN))
	}
	return ps, ignored, nil
}

func (o *Options) printIAM(ps []access.IAMPrincipal) error {
	if len(ps) == 0 {
		return nil
	}
	fmt.Fprintln(o.Out)
	w := printers.GetNewTabWriter(o.Out)
	if !o.NoHeaders {
		fmt.Fprintln(w, "IAM PRINCIPAL\tVIA\tUSERNAME\tGROUPS\tROLES\tMAPPED")
	}
	for _, p := range ps {
		var roles []string
		for _, ns := range sortedKeys(p.Roles) {
			roles = append(roles, ns+"="+strings.Join(p.Roles[ns], "+"))
		}
		for _, ns := range sortedKeys(p.AccessPolicies) {
			roles = append(roles, ns+"=policy:"+strings.Join(p.AccessPolicies[ns], "+"))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", p.ARN, p.Via, p.Username, orDash(strings.Join(p.Groups, ",")), orDash(strings.Join(roles, " ")), p.Mapped)
	}
	return w.Flush()
}

func sortedKeys(m map[string][]string) []string {
	return slices.Sorted(maps.Keys(m))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printFindings writes a line per finding: DRIFT for access that differs
// from the grants, TRUST for a CAPA trust chain that admits more than
// the tenant.
func printFindings(w io.Writer, v *access.Verification) {
	for _, f := range v.Findings {
		fmt.Fprintln(w, "DRIFT: "+f.String())
	}
	if v.Trust != nil {
		for _, f := range v.Trust.Findings {
			fmt.Fprintln(w, "TRUST: "+f.String())
		}
	}
	for _, f := range v.Workload {
		fmt.Fprintln(w, "TRUST: "+f.String())
	}
}
