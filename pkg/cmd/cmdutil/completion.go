package cmdutil

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// CompletionTimeout bounds a whole completion that asks a cluster (the
// tenant's, or a registry's management cluster), from the moment the
// shell starts it: past it the shell gets what is known without the
// cluster, rather than a hang.
const CompletionTimeout = time.Second

// completionReserve is what of CompletionTimeout the cluster does not
// get: the plugin's start before this package's initialisation, and the
// answer's printing and the process's exit after the cluster is given up
// on, with room for a busy machine.
const completionReserve = 300 * time.Millisecond

// started is about when the process started (its packages initialise
// within milliseconds of it).
var started = time.Now()

// completionContext is the command's context, ending when the cluster's
// share of CompletionTimeout does, shared by everything one completion
// asks. A process that started longer ago than that (a slow start, or a
// test that completes in process) gives the cluster the same share from
// now.
func completionContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	share := CompletionTimeout - completionReserve
	deadline := started.Add(share)
	if time.Now().After(deadline) {
		deadline = time.Now().Add(share)
	}
	return context.WithDeadline(ctx, deadline)
}

// CompleteTenants completes a command's first argument with the names in
// the registry.
func CompleteTenants(registryPath *registry.Flag) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		reg, err := registryPath.Open()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		ctx, cancel := completionContext(cmd)
		defer cancel()
		tenants, err := reg.List(ctx)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var names []string
		for _, t := range tenants {
			names = append(names, t.Name)
		}
		return withPrefix(names, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteContexts completes the names of the active kubeconfig's contexts.
func CompleteContexts(getter genericclioptions.RESTClientGetter) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		set, err := kubeconfig.ReadSet(cmd.Context(), cluster.KubeconfigPaths(getter))
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return withPrefix(set.ContextNames(), toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteTenantNamespaces completes the namespaces of the tenant named by
// the command's first argument, from its record.
func CompleteTenantNamespaces(registryPath *registry.Flag) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		t := completionTenant(cmd, registryPath, args)
		if t == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return withPrefix(t.Spec.Namespaces, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteClusterRoles completes the roles a grant takes: admin, edit and
// view, the tenant's own roles, then the ClusterRoles of the tenant's cluster (system: ones only
// when asked for by that prefix). The cluster gets CompletionTimeout to
// answer; past it, or when it cannot be reached, the three come alone.
func CompleteClusterRoles(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		roles := []string{"admin", "edit", "view"}
		ctx, cancel := completionContext(cmd)
		defer cancel()
		if t := completionTenantIn(ctx, registryPath, args); t != nil {
			for _, r := range t.Spec.Roles {
				roles = append(roles, r.Name) // the tenant's own roles come first when granted
			}
			roles = append(roles, clusterRoles(ctx, getter, t.Spec.Cluster.Context, strings.HasPrefix(toComplete, "system:"))...)
		}
		slices.Sort(roles)
		return withPrefix(slices.Compact(roles), toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// clusterRoles lists the names of a context's ClusterRoles, or none when
// the cluster does not answer before ctx ends. The listing runs apart
// from the caller, since an exec credential plugin on the way does not
// heed a context: the caller stops waiting, and the process ends.
func clusterRoles(ctx context.Context, getter genericclioptions.RESTClientGetter, kubeContext string, system bool) []string {
	found := make(chan []string, 1)
	go func() {
		conn, err := cluster.Connect(getter, kubeContext)
		if err != nil {
			found <- nil
			return
		}
		list, err := conn.Client.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
		if err != nil {
			found <- nil
			return
		}
		var names []string
		for _, r := range list.Items {
			if system || !strings.HasPrefix(r.Name, "system:") {
				names = append(names, r.Name)
			}
		}
		found <- names
	}()
	select {
	case names := <-found:
		return names
	case <-ctx.Done():
		return nil
	}
}

// CompleteGranted completes the subjects of one kind (tenant.SubjectUser,
// ...) that the tenant named by the first argument grants, from its
// record: what revoke can take back.
func CompleteGranted(registryPath *registry.Flag, kind string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		t := completionTenant(cmd, registryPath, args)
		if t == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		for _, g := range t.Spec.Grants {
			if g.Subject.Kind != kind {
				continue
			}
			name := g.Subject.Name
			if kind == tenant.SubjectServiceAccount {
				name = g.Subject.Namespace + ":" + name
			}
			names = append(names, name)
		}
		slices.Sort(names)
		return withPrefix(slices.Compact(names), toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteGrantedRoles completes the roles the tenant grants.
func CompleteGrantedRoles(registryPath *registry.Flag) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		t := completionTenant(cmd, registryPath, args)
		if t == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var roles []string
		for _, g := range t.Spec.Grants {
			roles = append(roles, g.Role)
		}
		slices.Sort(roles)
		return withPrefix(slices.Compact(roles), toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// completionTenant is the record of the tenant the command's first
// argument names, or nil, read within CompletionTimeout.
func completionTenant(cmd *cobra.Command, registryPath *registry.Flag, args []string) *tenant.Tenant {
	ctx, cancel := completionContext(cmd)
	defer cancel()
	return completionTenantIn(ctx, registryPath, args)
}

// completionTenantIn is completionTenant within ctx.
func completionTenantIn(ctx context.Context, registryPath *registry.Flag, args []string) *tenant.Tenant {
	if len(args) == 0 {
		return nil
	}
	reg, err := registryPath.Open()
	if err != nil {
		return nil
	}
	t, err := reg.Get(ctx, args[0])
	if err != nil {
		return nil
	}
	return t
}

// withPrefix keeps the names that start with prefix.
func withPrefix(names []string, prefix string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// CompleteGrantedSubjectFlags completes the subject flags (--serviceaccount,
// --user, ...) that cmd has with the subjects the tenant grants.
func CompleteGrantedSubjectFlags(cmd *cobra.Command, registryPath *registry.Flag) {
	for flag, kind := range map[string]string{
		"serviceaccount": tenant.SubjectServiceAccount,
		"user":           tenant.SubjectUser,
		"group":          tenant.SubjectGroup,
		"iam-role":       tenant.SubjectIAMRole,
		"iam-user":       tenant.SubjectIAMUser,
	} {
		if cmd.Flags().Lookup(flag) != nil {
			_ = cmd.RegisterFlagCompletionFunc(flag, CompleteGranted(registryPath, kind))
		}
	}
}
