package aws

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
)

// AccessEntry is an IAM principal's EKS access entry as a tenant's grants
// want it. No groups and no policies means it should not exist.
type AccessEntry struct {
	Cluster      string
	Tenant       string
	PrincipalARN string
	Username     string
	Groups       []string
	// Policies maps an access policy name (AmazonEKSEditPolicy) to the
	// namespaces it is scoped to.
	Policies map[string][]string
}

func (e AccessEntry) empty() bool { return len(e.Groups) == 0 && len(e.Policies) == 0 }

// Step is one EKS call of a plan: what it does, in words, and the call.
type Step struct {
	Call string
	do   func(context.Context) error
}

// Run makes the plan's calls in order, stopping at the first failure.
// Every plan is computed from what exists, so running a fresh plan after a
// failure completes the work.
func Run(ctx context.Context, steps []Step) error {
	for i, s := range steps {
		if err := s.do(ctx); err != nil {
			return fmt.Errorf("%s (step %d of %d; re-run to finish): %w", s.Call, i+1, len(steps), err)
		}
	}
	return nil
}

// PlanAccessEntry reads the principal's access entry and returns the calls
// that make it what want says: create it, update its username and groups,
// associate each policy with its namespaces, disassociate the policies in
// drop, or delete it when want is empty. An entry the plugin did not
// create for this tenant is refused, never changed.
func PlanAccessEntry(ctx context.Context, cfg awssdk.Config, want AccessEntry, drop []string) ([]Step, error) {
	client := eks.NewFromConfig(cfg)
	cluster, principal := awssdk.String(want.Cluster), awssdk.String(want.PrincipalARN)
	out, err := client.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: cluster, PrincipalArn: principal})
	exists := err == nil
	if err != nil && !isErrorCode(err, "ResourceNotFoundException") {
		return nil, fmt.Errorf("reading the access entry of %s in EKS cluster %s: %w", want.PrincipalARN, want.Cluster, err)
	}
	if exists {
		// The record grants the principal (want comes from it), so the
		// entry is the tenant's if its tags say the plugin made it for it.
		what := fmt.Sprintf("the access entry for %s in EKS cluster %s", want.PrincipalARN, want.Cluster)
		if err := Owned(what, out.AccessEntry.Tags, Claim{Tenant: want.Tenant, Made: true}); err != nil {
			return nil, fmt.Errorf("%w; it is left alone: remove it or grant another principal", err)
		}
	}

	var steps []Step
	if want.empty() {
		if exists {
			steps = append(steps, Step{
				Call: fmt.Sprintf("DeleteAccessEntry %s", want.PrincipalARN),
				do: func(ctx context.Context) error {
					// Ownership at the point of deletion: the entry may
					// have been replaced since the plan read it.
					out, err := client.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: cluster, PrincipalArn: principal})
					if err != nil {
						return ignoreNotFound(err)
					}
					what := fmt.Sprintf("the access entry for %s in EKS cluster %s", want.PrincipalARN, want.Cluster)
					if err := Owned(what, out.AccessEntry.Tags, Claim{Tenant: want.Tenant, Made: true}); err != nil {
						return fmt.Errorf("%w; it is left alone", err)
					}
					_, err = client.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: cluster, PrincipalArn: principal})
					return ignoreNotFound(err)
				},
			})
		}
		return steps, nil
	}
	groups := slices.Sorted(slices.Values(want.Groups))
	switch {
	case !exists:
		steps = append(steps, Step{
			Call: fmt.Sprintf("CreateAccessEntry %s type=STANDARD username=%s groups=%v", want.PrincipalARN, want.Username, groups),
			do: func(ctx context.Context) error {
				_, err := client.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{
					ClusterName: cluster, PrincipalArn: principal, Type: awssdk.String("STANDARD"),
					Username: awssdk.String(want.Username), KubernetesGroups: groups,
					Tags: ownTags(want.Tenant),
				})
				return err
			},
		})
	case awssdk.ToString(out.AccessEntry.Username) != want.Username || !slices.Equal(slices.Sorted(slices.Values(out.AccessEntry.KubernetesGroups)), groups):
		steps = append(steps, Step{
			Call: fmt.Sprintf("UpdateAccessEntry %s username=%s groups=%v", want.PrincipalARN, want.Username, groups),
			do: func(ctx context.Context) error {
				_, err := client.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{
					ClusterName: cluster, PrincipalArn: principal, Username: awssdk.String(want.Username), KubernetesGroups: groups,
				})
				return err
			},
		})
	}
	// What is associated now: a policy already scoped as wanted is not
	// written again, so that a re-run makes no AWS write.
	associated := map[string][]string{} // policy ARN -> its namespaces, sorted; nil for cluster scope
	if exists {
		pages := eks.NewListAssociatedAccessPoliciesPaginator(client, &eks.ListAssociatedAccessPoliciesInput{ClusterName: cluster, PrincipalArn: principal})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("reading the access policies of %s in EKS cluster %s: %w", want.PrincipalARN, want.Cluster, err)
			}
			for _, a := range page.AssociatedAccessPolicies {
				var namespaces []string
				if a.AccessScope != nil && a.AccessScope.Type == ekstypes.AccessScopeTypeNamespace {
					namespaces = slices.Sorted(slices.Values(a.AccessScope.Namespaces))
				}
				associated[awssdk.ToString(a.PolicyArn)] = namespaces
			}
		}
	}
	partition := iamarn.PartitionOf(want.PrincipalARN)
	for _, name := range slices.Sorted(maps.Keys(want.Policies)) {
		namespaces := slices.Sorted(slices.Values(want.Policies[name]))
		policyARN := awssdk.String(PolicyARN(partition, name))
		if have, ok := associated[*policyARN]; ok && have != nil && slices.Equal(have, namespaces) {
			continue
		}
		steps = append(steps, Step{
			Call: fmt.Sprintf("AssociateAccessPolicy %s policy=%s namespaces=%v", want.PrincipalARN, name, namespaces),
			do: func(ctx context.Context) error {
				_, err := client.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{
					ClusterName: cluster, PrincipalArn: principal, PolicyArn: policyARN,
					AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: namespaces},
				})
				return err
			},
		})
	}
	for _, name := range drop {
		policyARN := awssdk.String(PolicyARN(partition, name))
		if _, kept := want.Policies[name]; kept || !exists {
			continue
		}
		if _, there := associated[*policyARN]; !there {
			continue
		}
		steps = append(steps, Step{
			Call: fmt.Sprintf("DisassociateAccessPolicy %s policy=%s", want.PrincipalARN, name),
			do: func(ctx context.Context) error {
				_, err := client.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: cluster, PrincipalArn: principal, PolicyArn: policyARN})
				return ignoreNotFound(err)
			},
		})
	}
	return steps, nil
}

// DescribeAccessEntry reads a principal's access entry: its username and
// sorted groups. found is false when there is none.
func DescribeAccessEntry(ctx context.Context, cfg awssdk.Config, cluster, principalARN string) (username string, groups []string, found bool, err error) {
	out, err := eks.NewFromConfig(cfg).DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: awssdk.String(cluster), PrincipalArn: awssdk.String(principalARN)})
	if isErrorCode(err, "ResourceNotFoundException") {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, fmt.Errorf("reading the access entry of %s in EKS cluster %s: %w", principalARN, cluster, err)
	}
	groups = append([]string(nil), out.AccessEntry.KubernetesGroups...)
	sort.Strings(groups)
	return awssdk.ToString(out.AccessEntry.Username), groups, true, nil
}

// PolicyARN is the ARN of an EKS access policy.
func PolicyARN(partition, name string) string {
	return "arn:" + partition + ":eks::aws:cluster-access-policy/" + name
}

func ignoreNotFound(err error) error {
	if isErrorCode(err, "ResourceNotFoundException") {
		return nil
	}
	return err
}
