package create

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/access"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/capa"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/provision"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// The providers of a tenant's EKS cluster.
const (
	ProviderEKS  = "eks"  // the plugin calls EKS
	ProviderCAPA = "capa" // Cluster API Provider AWS makes it from objects in a management cluster
)

// CAPAOptions are create's flags for a cluster Cluster API makes.
type CAPAOptions struct {
	ManagementContext   string
	ManagementNamespace string
	SourceIdentity      string
	// Interval is how often the control plane is read while waiting.
	Interval time.Duration
}

func (c *CAPAOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&c.ManagementContext, "management-context", "", "CAPA: the kubeconfig context of the management cluster (default: the cluster registry's)")
	cmd.Flags().StringVar(&c.ManagementNamespace, "management-namespace", "", "CAPA: the namespace of the tenant's Cluster API objects there (default: the tenant's name)")
	cmd.Flags().StringVar(&c.SourceIdentity, "source-identity", "", "CAPA: the identity (KIND/NAME) the first --role-arn is assumed from (default: AWSClusterControllerIdentity/default)")
	c.Interval = 2 * time.Second
}

// capaOnly are the flags that mean something only with --provider capa.
var capaOnly = []string{"management-context", "management-namespace", "source-identity"}

// notWithCAPA are EKS flags --provider capa has no use for, and why.
var notWithCAPA = map[string]string{
	"adopt":              "adopt a CAPA cluster with --from-capa NS/CLUSTER",
	"cluster-role-arn":   "CAPA's controller makes the cluster's role",
	"node-role-arn":      "CAPA's controller makes the nodes' role",
	"security-group-ids": "CAPA's controller makes the cluster's security groups",
}

// validateCAPA checks every input of --provider capa before any call.
func (o *Options) validateCAPA() error {
	changed := o.cmd.Flags().Changed
	if o.FromContext != "" {
		return errors.New("--from-context and --provider capa are exclusive: adopt a cluster by kubeconfig context, or have CAPA make one")
	}
	for name, why := range notWithCAPA {
		if changed(name) {
			return fmt.Errorf("--%s is not for --provider capa: %s", name, why)
		}
	}
	if len(o.EKS.RoleARNs) == 0 {
		return errors.New("--role-arn: CAPA's controller reaches the tenant's account through an AWSClusterRoleIdentity per role: give at least the tenant's role")
	}
	if o.EKS.Nodegroup != "" && len(o.EKS.InstanceTypes) > 1 {
		return fmt.Errorf("--instance-types %v: a CAPA AWSManagedMachinePool has one instance type", o.EKS.InstanceTypes)
	}
	if o.CAPA.ManagementNamespace == "" {
		o.CAPA.ManagementNamespace = o.Name
	}
	if x := o.existing; x != nil {
		if c := x.Spec.Cluster.CAPA; c == nil || c.Namespace != o.CAPA.ManagementNamespace || !c.CreatedByPlugin {
			return fmt.Errorf("tenant %q exists on %s; it cannot be re-created by CAPA in namespace %s: delete it first or choose another name", o.Name, describeCluster(x), o.CAPA.ManagementNamespace)
		}
		if c := x.Spec.Cluster.CAPA; o.CAPA.ManagementContext != "" && c.ManagementContext != o.CAPA.ManagementContext {
			return fmt.Errorf("--management-context %q: tenant %q's Cluster API objects are in the management cluster of context %q; a tenant does not move between management clusters", o.CAPA.ManagementContext, o.Name, c.ManagementContext)
		}
	}
	if errs := validation.IsDNS1123Label(o.CAPA.ManagementNamespace); len(errs) > 0 {
		return fmt.Errorf("--management-namespace %q: %s", o.CAPA.ManagementNamespace, strings.Join(errs, "; "))
	}
	if o.CAPA.SourceIdentity != "" {
		if _, err := capa.ParseRef(o.CAPA.SourceIdentity); err != nil {
			return fmt.Errorf("--source-identity %w", err)
		}
	}
	if ng := o.EKS.Nodegroup; ng != "" {
		if errs := validation.IsDNS1123Label(o.Name + "-" + ng); len(errs) > 0 {
			return fmt.Errorf("--nodegroup %q: CAPA's machine pool is named %s-%s, a Kubernetes name: use lower case letters, digits and '-' (%s)", ng, o.Name, ng, strings.Join(errs, "; "))
		}
	}
	if err := o.validateEKS(); err != nil {
		return err
	}
	if errs := tenant.Validate(o.capaRecord(nil)); len(errs) > 0 {
		return fmt.Errorf("tenant %q: %w", o.Name, errs.ToAggregate())
	}
	return nil
}

// capaRecord is the tenant as --provider capa records it, with the
// cluster's endpoint once CAPA has written it (nil before).
func (o *Options) capaRecord(ep *capa.Endpoint) *tenant.Tenant {
	t := o.eksRecord(o.EKS.cluster(o.cmd.Flags().Changed), nil)
	t.Spec.Cluster.CAPA = &tenant.CAPACluster{ManagementContext: o.CAPA.ManagementContext, Namespace: o.CAPA.ManagementNamespace,
		Name: o.Name, SourceIdentity: o.CAPA.SourceIdentity, CreatedByPlugin: true}
	if ep != nil {
		t.Spec.Cluster.Server = ep.Server
		t.Status = tenant.Status{Server: ep.Server, CAData: ep.CAData}
	}
	return t
}

// runCAPA has CAPA make the tenant's cluster: it applies the tenant's
// Cluster API objects to the management cluster, waits for CAPA's
// controller to make the EKS cluster, then adopts it as an EKS tenant
// reached through the identities' role chain, and records the tenant.
// A client dry run makes no call and prints the objects; a server dry
// run has the management cluster check them and writes nothing.
func (o *Options) runCAPA(ctx context.Context) error {
	want := o.capaRecord(nil)
	spec, docs, err := capa.Documents(want)
	if err != nil {
		return err
	}
	if o.DryRunStrategy == cmdutil.DryRunClient {
		fmt.Fprintf(o.ErrOut, "would apply %d objects to the management cluster, wait for CAPA to make EKS cluster %s, and record tenant %q (dry run)\n", len(docs), want.Spec.Cluster.EKS.Name, o.Name)
		return o.printAll(docs)
	}
	m, err := o.management(ctx)
	if err != nil {
		return err
	}
	o.CAPA.ManagementContext = m.Context // recorded as resolved: later commands find it whatever the registry flag says
	if err := (access.Admission{Registry: o.registry, Warn: o.ErrOut}).Admit(ctx, want, nil); err != nil {
		return err
	}
	if err := m.AdmitCreate(ctx, spec); err != nil {
		return err
	}
	cfg, err := o.EKS.identity().Config(ctx)
	if err != nil {
		return err
	}
	preflight := provision.Preflight{Kubeconfig: cluster.KubeconfigPaths(o.getter), Registry: o.registry}
	if err := preflight.Check(ctx, cfg, want, o.ErrOut); err != nil {
		return err
	}

	serverDryRun := o.DryRunStrategy == cmdutil.DryRunServer
	results, err := m.Apply(ctx, spec, docs, serverDryRun, o.ErrOut)
	results.Print(o.ErrOut, &apply.Applier{DryRun: serverDryRun})
	if err != nil {
		return err
	}
	if o.cmd.Flags().Changed("output") {
		if err := o.printAll(docs); err != nil {
			return err
		}
	}
	if serverDryRun {
		fmt.Fprintf(o.ErrOut, "would wait for CAPA to make EKS cluster %s, then record tenant %q and add context %q (server dry run: nothing was written)\n", spec.EKS.Name, o.Name, o.Name)
		return nil
	}
	if !o.EKS.Wait {
		fmt.Fprintf(o.ErrOut, "CAPA makes EKS cluster %s from Cluster %s/%s; run the same command again to record tenant %q once it is ready\n", spec.EKS.Name, spec.Namespace, o.Name, o.Name)
		return nil
	}
	ep, err := m.Ready(ctx, spec, o.EKS.Timeout, o.CAPA.Interval, o.progress())
	if err != nil {
		return err
	}
	return o.adoptCAPA(ctx, o.capaRecord(ep))
}

// adoptCAPA makes t's context (the tenant's own token, through its
// chain), bootstraps the tenant in its cluster through it, and records
// the tenant.
func (o *Options) adoptCAPA(ctx context.Context, t *tenant.Tenant) error {
	if err := o.addContext(ctx, t); err != nil {
		return err
	}
	conn, err := cluster.Connect(o.getter, t.Spec.Cluster.Context)
	if err == nil {
		err = o.bootstrap(ctx, t, conn, false)
	}
	if err != nil {
		return fmt.Errorf("bootstrapping tenant %q in EKS cluster %s: %w (the cluster exists; re-run the same command to finish)", t.Name, t.Spec.Cluster.EKS.Name, err)
	}
	record := o.registry.Put
	if o.existing == nil {
		record = o.registry.Create // a record someone made meanwhile is theirs
	}
	if err := record(ctx, t); err != nil {
		return fmt.Errorf("recording tenant %q: %w (the cluster and its objects exist; re-run to record it)", t.Name, err)
	}
	c := t.Spec.Cluster.CAPA
	verb := "created"
	if !c.CreatedByPlugin {
		verb = "adopted"
	}
	fmt.Fprintf(o.ErrOut, "tenant %q %s: EKS cluster %s (%s), made by CAPA from Cluster %s/%s\n", t.Name, verb, t.Spec.Cluster.EKS.Name, t.Spec.Cluster.Server, c.Namespace, c.Name)
	return nil
}

// management connects to the management cluster (the context
// --management-context names, else the cluster registry's), as the
// checks before a write read it.
func (o *Options) management(ctx context.Context) (capa.Management, error) {
	conn, err := cmdutil.ManagementCluster(o.getter, o.registryPath, o.CAPA.ManagementContext, "--management-context")
	if err != nil {
		return capa.Management{}, err
	}
	records, err := o.registry.List(ctx)
	if err != nil {
		return capa.Management{}, err
	}
	return capa.NewManagement(conn, records, o.ErrOut)
}

// printAll prints objects with the output flags, in order.
func (o *Options) printAll(docs []*unstructured.Unstructured) error {
	for _, d := range docs {
		if err := o.printer.PrintObj(d, o.Out); err != nil {
			return err
		}
	}
	return nil
}

// notWithFromCAPA are the flags --from-capa reads from the Cluster
// instead, or has no use for.
var notWithFromCAPA = []string{"provider", "region", "role-arn", "external-id", "cluster", "kubernetes-version", "subnet-ids", "security-group-ids",
	"endpoint-access", "public-access-cidrs", "authentication-mode", "cluster-role-arn", "tags", "adopt", "nodegroup", "instance-types",
	"nodes", "nodes-min", "nodes-max", "node-role-arn", "management-namespace", "source-identity", "wait", "timeout"}

// validateFromCAPA checks --from-capa NS/CLUSTER and what goes with it.
func (o *Options) validateFromCAPA() error {
	if err := tenant.ValidateName(o.Name); err != nil {
		return err
	}
	if o.FromContext != "" {
		return errors.New("--from-context and --from-capa are exclusive: adopt a cluster by kubeconfig context, or a CAPA cluster by its Cluster")
	}
	for _, name := range notWithFromCAPA {
		if o.cmd.Flags().Changed(name) {
			return fmt.Errorf("--%s does not go with --from-capa, which reads the cluster, its region and its role chain from the Cluster's control plane and identities", name)
		}
	}
	ns, name, ok := strings.Cut(o.FromCAPA, "/")
	if !ok || len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Label(name)) > 0 {
		return fmt.Errorf("--from-capa %q: name a Cluster as NAMESPACE/NAME", o.FromCAPA)
	}
	if x := o.existing; x != nil {
		if c := x.Spec.Cluster.CAPA; c == nil || c.Namespace != ns || c.Name != name || c.CreatedByPlugin {
			return fmt.Errorf("tenant %q exists on %s; it cannot adopt Cluster %s: delete it first or choose another name", o.Name, describeCluster(x), o.FromCAPA)
		}
		if !slices.Equal(x.Spec.Namespaces, o.Namespaces) {
			return fmt.Errorf("tenant %q exists with namespaces %v; it cannot be adopted again with %v", o.Name, x.Spec.Namespaces, o.Namespaces)
		}
	}
	return nil
}

// runFromCAPA adopts a cluster CAPA made from objects someone else
// declared: it reads the control plane, follows its identities to the
// role chain, reads the endpoint from the user kubeconfig Secret, and
// adopts the cluster as create --provider capa does once CAPA is done.
// Nothing is written in the management cluster. A dry run reads, and
// prints the record it would keep.
func (o *Options) runFromCAPA(ctx context.Context) error {
	ns, name, _ := strings.Cut(o.FromCAPA, "/")
	m, err := o.management(ctx)
	if err != nil {
		return err
	}
	if err := m.CheckCRDs(); err != nil {
		return err
	}
	adopted, err := capa.Adopt(ctx, m.Client, m.Core, ns, name, o.Name)
	if err != nil {
		return err
	}
	if err := m.AdmitAdoption(o.Name, ns, name, adopted); err != nil {
		return err
	}
	roles, externalID, err := adopted.Roles()
	if err != nil {
		return err
	}
	t := tenant.New(o.Name)
	if o.existing != nil {
		t = o.existing.DeepCopy()
	}
	e := &o.EKS
	t.Spec.Namespaces = o.Namespaces
	t.Spec.Cluster = tenant.Cluster{Context: o.Name, Server: adopted.Endpoint.Server,
		EKS:  &tenant.EKSCluster{Name: adopted.ControlPlane.EKSClusterName},
		CAPA: &tenant.CAPACluster{ManagementContext: m.Context, Namespace: ns, Name: name}}
	t.Spec.AWS = &tenant.AWS{Region: adopted.ControlPlane.Region, RoleARNs: roles, ExternalID: externalID, SessionName: e.SessionName,
		DurationSeconds: int32(e.Duration / time.Second), Profile: e.Profile}
	t.Status = tenant.Status{Server: adopted.Endpoint.Server, CAData: adopted.Endpoint.CAData}
	if errs := tenant.Validate(t); len(errs) > 0 {
		return fmt.Errorf("adopting Cluster %s/%s: %w", ns, name, errs.ToAggregate())
	}
	if err := (access.Admission{Registry: o.registry, Warn: o.ErrOut}).Admit(ctx, t, nil); err != nil {
		return err
	}
	cfg, err := aws.TenantIdentity(t.Spec.AWS).Config(ctx)
	if err != nil {
		return err
	}
	preflight := provision.Preflight{Kubeconfig: cluster.KubeconfigPaths(o.getter), Registry: o.registry}
	if err := preflight.Check(ctx, cfg, t, o.ErrOut); err != nil {
		return err
	}
	if o.DryRunStrategy != cmdutil.DryRunNone {
		fmt.Fprintf(o.ErrOut, "would adopt EKS cluster %s, made by CAPA from Cluster %s/%s, record tenant %q and add context %q (dry run)\n",
			t.Spec.Cluster.EKS.Name, ns, name, o.Name, o.Name)
		return o.printer.PrintObj(t, o.Out)
	}
	return o.adoptCAPA(ctx, t)
}
