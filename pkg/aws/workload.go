package aws

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/workload"
)

// WorkloadRole is an IAM role a tenant's ServiceAccount assumes, as the
// plugin makes it: tagged for the tenant and with its binding (ID),
// trusting what Trust says, with the managed policies PolicyARNs
// attached.
type WorkloadRole struct {
	Name, Tenant string
	// Binding names the one ServiceAccount the role is for
	// (workload.Binding.ID): a role of another binding is never changed.
	Binding    string
	Trust      workload.Policy
	PolicyARNs []string
}

// WorkloadTag is the tag naming the binding of a workload role.
const WorkloadTag = "tenancy.kubectl-tenant.io/workload"

// WorkloadRolePlan is what making a workload role takes: its ARN, whether
// the plugin creates it now, and the IAM calls (none when it is as wanted).
type WorkloadRolePlan struct {
	ARN     string
	Creates bool
	Steps   []Step
}

// PlanWorkloadRole reads the role and returns the calls that make it what
// r says: create it, put its trust policy back, attach each policy it
// lacks. A role of that name the plugin did not make for this tenant,
// or made for another binding (another ServiceAccount, mechanism or
// cluster, or not a workload role: the cluster's or nodes' role), is
// refused, never changed. Policies attached beyond r's are left (another
// grant may have put them there); the plan says nothing of them.
func PlanWorkloadRole(ctx context.Context, cfg awssdk.Config, account string, r WorkloadRole) (*WorkloadRolePlan, error) {
	client := iam.NewFromConfig(cfg)
	name, trust := awssdk.String(r.Name), awssdk.String(r.Trust.String())
	plan := &WorkloadRolePlan{ARN: fmt.Sprintf("arn:aws:iam::%s:role/%s", account, r.Name)}
	role, err := getRole(ctx, client, r.Name)
	if err != nil {
		return nil, err
	}
	var attached []string
	if role == nil {
		plan.Creates = true
		plan.Steps = append(plan.Steps, Step{Call: "CreateRole " + r.Name, do: func(ctx context.Context) error {
			tags := ownTags(r.Tenant)
			tags[WorkloadTag] = r.Binding
			_, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: trust, Tags: iamTags(tags),
				Description: awssdk.String("kubectl-tenant: a workload role of tenant " + r.Tenant)})
			return err
		}})
	} else {
		if err := Owned("IAM role "+r.Name, tagMap(role.Tags), Claim{Tenant: r.Tenant, Made: true, Binding: r.Binding}); err != nil {
			return nil, fmt.Errorf("%w; it is left alone: choose another role name", err)
		}
		plan.ARN = awssdk.ToString(role.Arn)
		if !sameTrust(awssdk.ToString(role.AssumeRolePolicyDocument), r.Trust) {
			plan.Steps = append(plan.Steps, Step{Call: "UpdateAssumeRolePolicy " + r.Name, do: func(ctx context.Context) error {
				_, err := client.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: name, PolicyDocument: trust})
				return err
			}})
		}
		out, err := client.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: name})
		if err != nil {
			return nil, fmt.Errorf("reading the policies of IAM role %s: %w", r.Name, err)
		}
		for _, p := range out.AttachedPolicies {
			attached = append(attached, awssdk.ToString(p.PolicyArn))
		}
	}
	for _, p := range r.PolicyARNs {
		if slices.Contains(attached, p) {
			continue
		}
		plan.Steps = append(plan.Steps, Step{Call: "AttachRolePolicy " + r.Name + " " + p, do: func(ctx context.Context) error {
			_, err := client.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: name, PolicyArn: awssdk.String(p)})
			return err
		}})
	}
	return plan, nil
}

// sameTrust reports whether a trust policy document IAM gives back (URL
// encoded) says what want says.
func sameTrust(document string, want workload.Policy) bool {
	if decoded, err := url.QueryUnescape(document); err == nil {
		document = decoded
	}
	got, err := workload.ParsePolicy(document)
	return err == nil && reflect.DeepEqual(got, want)
}

// PlanOIDCProvider returns the calls that give cfg's account an IAM OIDC
// provider for issuer, with STS's audience (none when it has one), and
// its ARN.
func PlanOIDCProvider(ctx context.Context, cfg awssdk.Config, account, issuer, tenantName string) (string, []Step, error) {
	client := iam.NewFromConfig(cfg)
	b := workload.Binding{Account: account, Issuer: issuer}
	arn := b.ProviderARN()
	got, err := client.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: awssdk.String(arn)})
	switch {
	case err == nil && slices.Contains(got.ClientIDList, workload.Audience):
		return arn, nil, nil
	case err == nil:
		return arn, []Step{{Call: "AddClientIDToOpenIDConnectProvider " + issuer + " " + workload.Audience, do: func(ctx context.Context) error {
			_, err := client.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: awssdk.String(arn),
				ClientID: awssdk.String(workload.Audience)})
			return err
		}}}, nil
	case !isErrorCode(err, "NoSuchEntity"):
		return "", nil, fmt.Errorf("reading the OIDC provider of %s: %w", issuer, err)
	}
	return arn, []Step{{Call: "CreateOpenIDConnectProvider " + issuer, do: func(ctx context.Context) error {
		_, err := client.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: awssdk.String(issuer),
			ClientIDList: []string{workload.Audience}, Tags: iamTags(ownTags(tenantName))})
		return err
	}}}, nil
}

// PlanPodIdentity returns the calls that associate ServiceAccount ns/sa
// of cluster with role (none when it is): EKS has one association per
// ServiceAccount, so one with another role is refused, naming it.
func PlanPodIdentity(ctx context.Context, cfg awssdk.Config, cluster, ns, sa, role, tenantName string) ([]Step, error) {
	client := eks.NewFromConfig(cfg)
	out, err := client.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: awssdk.String(cluster),
		Namespace: awssdk.String(ns), ServiceAccount: awssdk.String(sa)})
	if err != nil {
		return nil, fmt.Errorf("reading the Pod Identity associations of %s/%s in EKS cluster %s: %w", ns, sa, cluster, err)
	}
	if len(out.Associations) > 0 { // EKS keeps at most one per ServiceAccount
		id := out.Associations[0].AssociationId
		got, err := client.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: awssdk.String(cluster), AssociationId: id})
		if err != nil {
			return nil, fmt.Errorf("reading Pod Identity association %s: %w", awssdk.ToString(id), err)
		}
		a := got.Association
		if r := awssdk.ToString(a.RoleArn); r != role {
			return nil, fmt.Errorf("ServiceAccount %s/%s of EKS cluster %s is associated with role %s (association %s), and EKS allows one: delete that association first, or give this ServiceAccount another name",
				ns, sa, cluster, r, awssdk.ToString(id))
		}
		if t := awssdk.ToString(a.TargetRoleArn); t != "" || awssdk.ToBool(a.DisableSessionTags) {
			return nil, fmt.Errorf("the Pod Identity association %s of %s/%s has targetRoleArn %q or session tags disabled: its pods would not act as role %s under its trust; delete that association first",
				awssdk.ToString(id), ns, sa, t, role)
		}
		return nil, nil
	}
	return []Step{{Call: fmt.Sprintf("CreatePodIdentityAssociation %s/%s %s", ns, sa, role), do: func(ctx context.Context) error {
		_, err := client.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: awssdk.String(cluster),
			Namespace: awssdk.String(ns), ServiceAccount: awssdk.String(sa), RoleArn: awssdk.String(role), Tags: ownTags(tenantName)})
		return err
	}}}, nil
}

// PlanAddon returns the call that installs add-on name in cluster (none
// when it is there).
func PlanAddon(ctx context.Context, cfg awssdk.Config, cluster, name, tenantName string) ([]Step, error) {
	client := eks.NewFromConfig(cfg)
	_, err := client.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: awssdk.String(cluster), AddonName: awssdk.String(name)})
	switch {
	case err == nil:
		return nil, nil
	case !isErrorCode(err, "ResourceNotFoundException"):
		return nil, fmt.Errorf("reading add-on %s of EKS cluster %s: %w", name, cluster, err)
	}
	return []Step{{Call: "CreateAddon " + name, do: func(ctx context.Context) error {
		_, err := client.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: awssdk.String(cluster), AddonName: awssdk.String(name), Tags: ownTags(tenantName)})
		return err
	}}}, nil
}

// ReadWorkloadRole reads an existing role a ServiceAccount is to use as
// it is: its ARN, its trust policy parsed, and its managed policies. nil
// when there is no such role.
func ReadWorkloadRole(ctx context.Context, cfg awssdk.Config, name string) (*ExistingWorkloadRole, error) {
	client := iam.NewFromConfig(cfg)
	role, err := getRole(ctx, client, name)
	if role == nil || err != nil {
		return nil, err
	}
	document, err := url.QueryUnescape(awssdk.ToString(role.AssumeRolePolicyDocument))
	if err != nil {
		return nil, fmt.Errorf("IAM role %s: its trust policy does not decode: %w", name, err)
	}
	trust, err := workload.ParsePolicy(document)
	if err != nil {
		return nil, fmt.Errorf("IAM role %s: %w", name, err)
	}
	out, err := client.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: awssdk.String(name)})
	if err != nil {
		return nil, fmt.Errorf("reading the policies of IAM role %s: %w", name, err)
	}
	r := &ExistingWorkloadRole{ARN: awssdk.ToString(role.Arn), Trust: trust, Tags: tagMap(role.Tags)}
	for _, p := range out.AttachedPolicies {
		r.PolicyARNs = append(r.PolicyARNs, awssdk.ToString(p.PolicyArn))
	}
	return r, nil
}

// ExistingWorkloadRole is a role as IAM has it.
type ExistingWorkloadRole struct {
	ARN        string
	Trust      workload.Policy
	PolicyARNs []string
	Tags       map[string]string
}

// PlanDeleteWorkloadRole returns the call that deletes the workload role
// name, which c must own (checked now and again at the point of
// deletion), or none when it is gone.
func PlanDeleteWorkloadRole(ctx context.Context, cfg awssdk.Config, name string, c Claim) ([]Step, error) {
	role, err := getRole(ctx, iam.NewFromConfig(cfg), name)
	if role == nil || err != nil {
		return nil, err
	}
	if err := Owned("IAM role "+name, tagMap(role.Tags), c); err != nil {
		return nil, err
	}
	arn := awssdk.ToString(role.Arn)
	return []Step{{Call: "DeleteRole " + name, do: func(ctx context.Context) error { return DeleteOwnedRole(ctx, cfg, arn, c) }}}, nil
}

// PlanDeletePodIdentity returns the call that deletes the Pod Identity
// association of ServiceAccount ns/sa with role, when the plugin made it
// for tenantName (checked now and again at the point of deletion). An
// association with another role, or not the plugin's, is left: kept
// says why.
func PlanDeletePodIdentity(ctx context.Context, cfg awssdk.Config, cluster, ns, sa, role, tenantName string) (steps []Step, kept string, _ error) {
	client := eks.NewFromConfig(cfg)
	read := func(ctx context.Context) (*ekstypes.PodIdentityAssociation, error) {
		out, err := client.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: awssdk.String(cluster),
			Namespace: awssdk.String(ns), ServiceAccount: awssdk.String(sa)})
		if isErrorCode(err, "ResourceNotFoundException") {
			return nil, nil // the cluster is gone, and its associations with it
		}
		if err != nil || len(out.Associations) == 0 {
			return nil, err
		}
		got, err := client.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: awssdk.String(cluster), AssociationId: out.Associations[0].AssociationId})
		if err != nil {
			return nil, err
		}
		return got.Association, nil
	}
	owned := func(a *ekstypes.PodIdentityAssociation) error {
		what := "the Pod Identity association " + awssdk.ToString(a.AssociationId) + " of " + ns + "/" + sa
		if r := awssdk.ToString(a.RoleArn); r != role {
			return fmt.Errorf("%s is with role %s, not %s: %w", what, r, role, ErrNotOwned)
		}
		return Owned(what, a.Tags, Claim{Tenant: tenantName, Made: true})
	}
	a, err := read(ctx)
	if a == nil || err != nil {
		if err != nil {
			err = fmt.Errorf("reading the Pod Identity association of %s/%s in EKS cluster %s: %w", ns, sa, cluster, err)
		}
		return nil, "", err
	}
	if err := owned(a); err != nil {
		return nil, err.Error(), nil
	}
	return []Step{{Call: fmt.Sprintf("DeletePodIdentityAssociation %s/%s %s", ns, sa, awssdk.ToString(a.AssociationId)), do: func(ctx context.Context) error {
		a, err := read(ctx)
		if a == nil || err != nil {
			return err
		}
		if err := owned(a); err != nil {
			return err
		}
		_, err = client.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: awssdk.String(cluster), AssociationId: a.AssociationId})
		return err
	}}}, "", nil
}

// ErrInUse is wrapped by the refusal to delete what something still uses.
var ErrInUse = errors.New("it is kept while any role uses it")

// PlanDeleteOIDCProvider returns the call that deletes the IAM OIDC
// provider of issuer, when c owns it (its tags and the record) and no
// role but those of except trusts it; otherwise it refuses, naming the
// roles that still do. Both are checked again at the point of deletion.
func PlanDeleteOIDCProvider(ctx context.Context, cfg awssdk.Config, account, issuer string, c Claim, except ...string) ([]Step, error) {
	client := iam.NewFromConfig(cfg)
	arn := workload.Binding{Account: account, Issuer: issuer}.ProviderARN()
	check := func(ctx context.Context) (bool, error) {
		tags, err := client.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: awssdk.String(arn)})
		switch {
		case isErrorCode(err, "NoSuchEntity"):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("reading the OIDC provider of %s: %w", issuer, err)
		}
		if err := Owned("the IAM OIDC provider of "+issuer, tagMap(tags.Tags), c); err != nil {
			return false, err
		}
		var users []string
		pages := iam.NewListRolesPaginator(client, &iam.ListRolesInput{})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return false, fmt.Errorf("reading which roles trust the OIDC provider of %s: %w", issuer, err)
			}
			for _, r := range page.Roles {
				doc, _ := url.QueryUnescape(awssdk.ToString(r.AssumeRolePolicyDocument))
				if name := awssdk.ToString(r.RoleName); strings.Contains(doc, arn) && !slices.Contains(except, name) {
					users = append(users, name)
				}
			}
		}
		if len(users) > 0 {
			return false, fmt.Errorf("the IAM OIDC provider of %s is still trusted by role(s) %s: %w", issuer, strings.Join(users, ", "), ErrInUse)
		}
		return true, nil
	}
	if ok, err := check(ctx); !ok || err != nil {
		return nil, err
	}
	return []Step{{Call: "DeleteOpenIDConnectProvider " + issuer, do: func(ctx context.Context) error {
		if ok, err := check(ctx); !ok || err != nil {
			return err
		}
		_, err := client.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: awssdk.String(arn)})
		return err
	}}}, nil
}
