// Package describe is `kubectl tenant describe`.
package describe

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/access"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

var describeLong = templates.LongDesc(`
	Show a tenant's record next to its cluster's live state: whether the
	cluster answers and its version, for EKS the cluster as EKS describes
	it, each namespace, and each grant with whether its bindings are in
	place. An unreachable cluster is reported, not an error: describing is
	how one finds out.`)

var describeExample = templates.Examples(`
	# What acme is, and whether its cluster agrees
	kubectl tenant describe acme`)

// Options are the options of `describe`.
type Options struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *registry.Flag

	Tenant string
	tenant *tenant.Tenant
}

// NewCmdDescribe makes `kubectl tenant describe`.
func NewCmdDescribe(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, getter: getter, registryPath: registryPath}
	return &cobra.Command{
		Use:               "describe TENANT",
		Short:             "Show a tenant with its cluster's live state",
		Long:              describeLong,
		Example:           describeExample,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteTenants(registryPath),
		SilenceUsage:      true,
		RunE:              cmdutil.RunE(o),
	}
}

// Complete reads the tenant.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	o.Tenant = args[0]
	var err error
	_, o.tenant, err = o.registryPath.OpenTenant(cmd.Context(), o.Tenant)
	return err
}

// Run prints the tenant. An unreachable cluster is reported, not an error:
// describing is how one finds out.
func (o *Options) Run(ctx context.Context) error {
	t := o.tenant
	w := printers.GetNewTabWriter(o.Out)
	defer w.Flush()
	fmt.Fprintf(w, "Name:\t%s\n", t.Name)
	fmt.Fprintf(w, "Context:\t%s\n", t.Spec.Cluster.Context)

	if eks := t.Spec.Cluster.EKS; eks != nil {
		for _, line := range describeEKS(ctx, t) {
			fmt.Fprintln(w, line)
		}
	}

	conn, err := cluster.Connect(o.getter, t.Spec.Cluster.Context)
	if err != nil {
		fmt.Fprintf(w, "Cluster:\tunknown (%v)\n", err)
		return nil
	}
	// Describing is how one finds out a cluster is unreachable: do not
	// wait long for it.
	probe := rest.CopyConfig(conn.Config)
	probe.Timeout = 10 * time.Second
	probeClient, err := kubernetes.NewForConfig(probe)
	if err != nil {
		return err
	}
	version, err := probeClient.Discovery().ServerVersion()
	if err != nil {
		fmt.Fprintf(w, "Cluster:\t%s, unreachable (%v)\n", conn.Server, err)
		return nil
	}
	fmt.Fprintf(w, "Cluster:\t%s, reachable, Kubernetes %s\n", conn.Server, version.GitVersion)
	if t.Spec.Cluster.Server != "" && t.Spec.Cluster.Server != conn.Server {
		fmt.Fprintf(w, "Warning:\tthe context now points at %s; the tenant was created on %s\n", conn.Server, t.Spec.Cluster.Server)
	}

	var states []string
	for _, ns := range t.Spec.Namespaces {
		n, err := conn.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			states = append(states, ns+" (missing)")
		case err != nil:
			states = append(states, ns+" (unknown: "+err.Error()+")")
		case !rbac.IsManaged(n, t.Name):
			states = append(states, ns+" ("+string(n.Status.Phase)+", not labelled for this tenant)")
		default:
			states = append(states, ns+" ("+string(n.Status.Phase)+")")
		}
	}
	fmt.Fprintf(w, "Namespaces:\t%s\n", strings.Join(states, ", "))

	m, err := access.Read(ctx, conn.Client, t)
	if err != nil {
		fmt.Fprintf(w, "Grants:\tunknown (%v)\n", err)
		return nil
	}
	missing := map[string][]string{}
	for _, r := range m.Rows {
		for ns, roles := range r.Missing {
			for _, role := range roles {
				key := rbac.TenantSubject(r.Subject).String() + "/" + role
				missing[key] = append(missing[key], ns)
			}
		}
	}
	if len(t.Spec.Grants) == 0 {
		fmt.Fprintf(w, "Grants:\tnone\n")
		return nil
	}
	fmt.Fprintf(w, "Grants:\n  ROLE\tSUBJECT\tWHERE\tIN THE CLUSTER\n")
	for _, g := range t.Spec.Grants {
		where := strings.Join(t.GrantNamespaces(g), ",")
		if g.ClusterScope {
			where = "cluster-wide"
		}
		state := "bound"
		if ns := missing[g.Subject.String()+"/"+g.Role]; len(ns) > 0 {
			state = "MISSING in " + strings.Join(ns, ",") + " (re-run grant)"
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", g.Role, g.Subject, where, state)
	}
	return nil
}

// describeEKS is the live state of the tenant's EKS cluster (its
// endpoint access and node groups too), or why it is unknown, as lines.
func describeEKS(ctx context.Context, t *tenant.Tenant) []string {
	a, eks := t.Spec.AWS, t.Spec.Cluster.EKS
	if a == nil {
		return []string{"EKS:\t" + eks.Name + " (no AWS identity recorded)"}
	}
	cfg, err := aws.TenantConfig(ctx, t)
	if err != nil {
		return []string{"EKS:\t" + eks.Name + ", unknown (" + err.Error() + ")"}
	}
	c, err := aws.DescribeCluster(ctx, cfg, eks.Name)
	if err != nil {
		return []string{"EKS:\t" + eks.Name + ", unknown (" + err.Error() + ")"}
	}
	created := "adopted"
	if c.CreatedByPlugin() {
		created = "created by kubectl-tenant"
	}
	lines := []string{fmt.Sprintf("EKS:\t%s in %s, %s, Kubernetes %s, authentication %s, %s (%s)", c.Name, a.Region, c.Status, c.Version, c.AuthMode, created, c.ARN)}
	endpoint := c.EndpointAccess
	if len(c.PublicAccessCIDRs) > 0 && c.EndpointAccess != "private" {
		endpoint += ", public access from " + strings.Join(c.PublicAccessCIDRs, ",")
	}
	if c.EndpointAccess == "private" {
		endpoint += " (reachable only from inside the VPC)"
	}
	lines = append(lines, "Endpoint:\t"+endpoint)
	groups, err := aws.ListNodegroups(ctx, cfg, eks.Name)
	switch {
	case err != nil:
		lines = append(lines, "Node groups:\tunknown ("+err.Error()+")")
	case len(groups) == 0:
		lines = append(lines, "Node groups:\tnone")
	default:
		lines = append(lines, "Node groups:\t")
		for _, ng := range groups {
			lines = append(lines, fmt.Sprintf("  %s\t%s, %d x %s (min %d, max %d), role %s", ng.Name, ng.Status, ng.Desired, strings.Join(ng.InstanceTypes, ","), ng.Min, ng.Max, ng.NodeRoleARN))
		}
	}
	return append(lines, describeAddons(ctx, cfg, t)...)
}

// describeAddons are the cluster's add-ons, with their versions, the
// roles their controllers assume, and which the plugin made, as lines.
func describeAddons(ctx context.Context, cfg aws.Config, t *tenant.Tenant) []string {
	addons, err := aws.ListAddons(ctx, cfg, t.Spec.Cluster.EKS.Name)
	switch {
	case err != nil:
		return []string{"Add-ons:\tunknown (" + err.Error() + ")"}
	case len(addons) == 0:
		return []string{"Add-ons:\tnone"}
	}
	lines := []string{"Add-ons:\t"}
	for _, a := range addons {
		role := "no role"
		switch {
		case a.ServiceAccountRoleARN != "":
			role = "role " + a.ServiceAccountRoleARN + " (irsa)"
		case len(a.PodIdentityRoleARNs) > 0:
			role = "role " + strings.Join(a.PodIdentityRoleARNs, ",") + " (pod-identity)"
		}
		made := ""
		if r := t.Addon(a.Name); r != nil && r.Created {
			made = ", made by kubectl-tenant"
		}
		lines = append(lines, fmt.Sprintf("  %s\t%s, %s, %s%s", a.Name, a.Version, a.Status, role, made))
	}
	return lines
}
