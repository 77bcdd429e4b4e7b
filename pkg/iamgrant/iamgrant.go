// Package iamgrant keeps an IAM principal's way into a tenant's cluster
// in step with the tenant's grants: its kube-system/aws-auth entry, or its
// EKS access entry and access policies. The Kubernetes side (the bindings
// of the groups the mapping names) is package rbac's.
package iamgrant

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/awsauth"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/rbac"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Syncer changes mappings. With DryRun it reads what is there and writes
// to Out what it would change (the aws-auth diff, or the EKS calls), and
// changes nothing.
type Syncer struct {
	Kube kubernetes.Interface
	// AWS returns the configuration that acts in the tenant's account; it
	// is called only for access entries.
	AWS    func(context.Context) (aws.Config, error)
	DryRun bool
	// ServerDryRun, with DryRun, also sends the aws-auth write to the API
	// server as a dry run, so that it checks it.
	ServerDryRun bool
	Out          io.Writer
	// Force lets aws-auth entries that map nodes, the last system:masters
	// or the caller's own access go.
	Force bool
	// Warn hears about aws-auth keys the authenticator ignores.
	Warn io.Writer
}

// NewSyncer makes the Syncer of tenant t's IAM mappings: aws-auth through
// kube (nil when the cluster is not needed), access entries as t's AWS
// identity, loaded with opts. With dryRun it writes what it would do to out.
func NewSyncer(t *tenant.Tenant, kube kubernetes.Interface, opts []aws.ConfigOption, dryRun bool, out io.Writer) *Syncer {
	return &Syncer{Kube: kube, DryRun: dryRun, Out: out, AWS: func(ctx context.Context) (aws.Config, error) {
		return aws.TenantConfig(ctx, t, opts...)
	}}
}

// Channel decides how principal p gets into tenant t's cluster: the one
// asked for, checked against the cluster's authentication mode, or by
// default access entries when the mode includes API and aws-auth
// otherwise (and for clusters not on EKS, whose aws-iam-authenticator may
// read aws-auth). A principal has one channel per tenant.
func Channel(t *tenant.Tenant, p tenant.Subject, asked string) (string, error) {
	mode := t.Status.AuthenticationMode
	if t.Spec.Cluster.EKS == nil {
		mode = "CONFIG_MAP"
	}
	via := asked
	if via == "" {
		via = tenant.ViaAWSAuth
		if strings.Contains(mode, "API") {
			via = tenant.ViaAccessEntry
		}
	}
	switch {
	case via == tenant.ViaAccessEntry && t.Spec.Cluster.EKS == nil:
		return "", fmt.Errorf("--via access-entry: tenant %q is not on EKS; use --via aws-auth (read by aws-iam-authenticator)", t.Name)
	case via == tenant.ViaAccessEntry && !strings.Contains(mode, "API"):
		return "", fmt.Errorf("--via access-entry: EKS cluster %s authenticates with %s only; switch it to API_AND_CONFIG_MAP (aws eks update-cluster-config --access-config authenticationMode=API_AND_CONFIG_MAP) or use --via aws-auth", t.Spec.Cluster.EKS.Name, mode)
	case via == tenant.ViaAWSAuth && mode == "API":
		return "", fmt.Errorf("--via aws-auth: EKS cluster %s authenticates with access entries only (mode API) and ignores aws-auth; use --via access-entry", t.Spec.Cluster.EKS.Name)
	}
	for _, g := range t.Spec.Grants {
		if g.Subject == p && g.Via != via {
			return "", fmt.Errorf("%s is granted through %s in tenant %q already; grant through the same channel, or move it with 'kubectl tenant aws-auth migrate %s'", p, g.Via, t.Name, t.Name)
		}
	}
	return via, nil
}

// Sync makes principal p's mapping on channel via what tenant after's
// grants say; before is the tenant as it was, for the access policies
// that no longer apply. With no grant left the mapping is removed. It
// reports whether anything changed (or would).
func (s *Syncer) Sync(ctx context.Context, before, after *tenant.Tenant, p tenant.Subject, via string) (bool, error) {
	switch via {
	case tenant.ViaAWSAuth:
		return s.syncAWSAuth(ctx, after, p)
	case tenant.ViaAccessEntry:
		return s.syncAccessEntry(ctx, before, after, p)
	}
	return false, fmt.Errorf("unknown channel %q: use access-entry or aws-auth", via)
}

func (s *Syncer) syncAWSAuth(ctx context.Context, t *tenant.Tenant, p tenant.Subject) (bool, error) {
	username, groups, _, _ := rbac.IAMIdentity(t, p)
	caller := "" // who runs this, when a removal could take their own access
	if len(groups) == 0 && !s.Force {
		var err error
		if caller, err = awsauth.CallerARN(ctx, s.Kube); err != nil {
			return false, err
		}
	}
	change := func(data map[string]string) (map[string]string, bool, error) {
		if len(groups) == 0 {
			next, changed, err := awsauth.Remove(data, p.Name, t.Name, s.Force)
			if lost := awsauth.CallerLost(data, next, caller); err == nil && lost != "" {
				return nil, false, fmt.Errorf("revoking %s would remove %s: you would lose access; pass --force if you mean it", p.Name, lost)
			}
			return next, changed, err
		}
		m := awsauth.Mapping{Username: username, Groups: groups}
		if p.Kind == tenant.SubjectIAMRole {
			m.RoleARN = p.Name
		} else {
			m.UserARN = p.Name
		}
		return awsauth.Add(data, m)
	}
	// A dry run shows the diff of the data the change is based on: read
	// once on the client, or the read of a server dry-run write.
	var diff bytes.Buffer
	diffed := func(data map[string]string) (map[string]string, bool, error) {
		next, changed, err := change(data)
		if changed && err == nil && s.DryRun {
			diff.Reset()
			awsauth.Diff(&diff, data, next)
		}
		return next, changed, err
	}
	store := &awsauth.Store{Client: s.Kube, DryRun: s.ServerDryRun, Warn: s.Warn}
	var changed bool
	var err error
	if s.DryRun && !s.ServerDryRun {
		var data map[string]string
		if data, err = store.Read(ctx); err == nil {
			_, changed, err = diffed(data)
		}
	} else if changed, err = store.Update(ctx, diffed); err != nil {
		err = fmt.Errorf("mapping %s in aws-auth: %w", p.Name, err)
	}
	if err != nil {
		return false, err
	}
	_, err = s.Out.Write(diff.Bytes())
	return changed, err
}

// AccessEntryFor is the access entry tenant t's grants want for p.
func AccessEntryFor(t *tenant.Tenant, p tenant.Subject) aws.AccessEntry {
	username, groups, _, _ := rbac.IAMIdentity(t, p)
	return aws.AccessEntry{
		Cluster: t.Spec.Cluster.EKS.Name, Tenant: t.Name, PrincipalARN: p.Name,
		Username: username, Groups: groups, Policies: policies(t, p),
	}
}

func (s *Syncer) syncAccessEntry(ctx context.Context, before, after *tenant.Tenant, p tenant.Subject) (bool, error) {
	if after.Spec.Cluster.EKS == nil {
		return false, fmt.Errorf("tenant %q is not on EKS, so it has no access entries: use --via aws-auth", after.Name)
	}
	cfg, err := s.AWS(ctx)
	if err != nil {
		return false, err
	}
	var drop []string
	for name := range policies(before, p) {
		drop = append(drop, name)
	}
	slices.Sort(drop)
	steps, err := aws.PlanAccessEntry(ctx, cfg, AccessEntryFor(after, p), drop)
	if err != nil || len(steps) == 0 {
		return false, err
	}
	if s.DryRun {
		for _, st := range steps {
			fmt.Fprintf(s.Out, "would call %s\n", st.Call)
		}
		return true, nil
	}
	return true, aws.Run(ctx, steps)
}

// policies are the EKS access policies p's grants name, each with the
// namespaces it covers.
func policies(t *tenant.Tenant, p tenant.Subject) map[string][]string {
	out := map[string][]string{}
	for _, g := range t.Spec.Grants {
		if g.Subject != p || g.AccessPolicy == "" {
			continue
		}
		name := tenant.AccessPolicies[g.AccessPolicy]
		for _, ns := range t.GrantNamespaces(g) {
			if !slices.Contains(out[name], ns) {
				out[name] = append(out[name], ns)
			}
		}
	}
	return out
}
