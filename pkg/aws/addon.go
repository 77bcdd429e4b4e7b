package aws

import (
	"context"
	"fmt"
	"slices"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// Addon is an EKS add-on as EKS reports it, with the roles its
// controller assumes: its serviceAccountRoleArn (IRSA) or the roles of
// its Pod Identity associations.
type Addon struct {
	Name, Version, Status string
	ServiceAccountRoleARN string
	PodIdentityRoleARNs   []string
	Tags                  map[string]string
}

// ReadAddon reads add-on name of cluster; nil when it has none.
func ReadAddon(ctx context.Context, cfg awssdk.Config, cluster, name string) (*Addon, error) {
	client := eks.NewFromConfig(cfg)
	out, err := client.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: awssdk.String(cluster), AddonName: awssdk.String(name)})
	switch {
	case isErrorCode(err, "ResourceNotFoundException"):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading add-on %s of EKS cluster %s: %w", name, cluster, err)
	}
	return addonOf(ctx, client, cluster, out.Addon)
}

// addonOf is a, with the roles of its Pod Identity associations read.
func addonOf(ctx context.Context, client *eks.Client, cluster string, a *ekstypes.Addon) (*Addon, error) {
	out := &Addon{Name: awssdk.ToString(a.AddonName), Version: awssdk.ToString(a.AddonVersion), Status: string(a.Status),
		ServiceAccountRoleARN: awssdk.ToString(a.ServiceAccountRoleArn), Tags: a.Tags}
	if len(a.PodIdentityAssociations) == 0 {
		return out, nil
	}
	list, err := client.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: awssdk.String(cluster)})
	if err != nil {
		return nil, fmt.Errorf("reading the Pod Identity associations of add-on %s: %w", out.Name, err)
	}
	for _, s := range list.Associations {
		if !slices.Contains(a.PodIdentityAssociations, awssdk.ToString(s.AssociationArn)) {
			continue
		}
		got, err := client.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: awssdk.String(cluster), AssociationId: s.AssociationId})
		if err != nil {
			return nil, fmt.Errorf("reading Pod Identity association %s of add-on %s: %w", awssdk.ToString(s.AssociationId), out.Name, err)
		}
		out.PodIdentityRoleARNs = append(out.PodIdentityRoleARNs, awssdk.ToString(got.Association.RoleArn))
	}
	return out, nil
}

// ListAddons reads every add-on of cluster.
func ListAddons(ctx context.Context, cfg awssdk.Config, cluster string) ([]Addon, error) {
	client := eks.NewFromConfig(cfg)
	var out []Addon
	pages := eks.NewListAddonsPaginator(client, &eks.ListAddonsInput{ClusterName: awssdk.String(cluster)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the add-ons of EKS cluster %s: %w", cluster, err)
		}
		for _, name := range page.Addons {
			a, err := ReadAddon(ctx, cfg, cluster, name)
			if err != nil {
				return nil, err
			}
			if a != nil {
				out = append(out, *a)
			}
		}
	}
	return out, nil
}

// AddonSpec is an add-on as the plugin makes it: its version (empty:
// EKS's default) and, for a controller that assumes a role, its
// ServiceAccount and the role, by Pod Identity or IRSA.
type AddonSpec struct {
	Name, Version, Tenant string
	ServiceAccount        string
	RoleARN               string
	IRSA                  bool
}

// PlanCreateAddon returns the call that makes a (none when it is as
// wanted). An add-on that exists and the plugin did not make for the
// tenant (by its tags) is refused, never changed; one it made with
// another version or role is refused too (the plugin does not update
// add-ons: delete it and make it again).
func PlanCreateAddon(ctx context.Context, cfg awssdk.Config, cluster string, a AddonSpec) ([]Step, error) {
	got, err := ReadAddon(ctx, cfg, cluster, a.Name)
	if err != nil {
		return nil, err
	}
	if got != nil {
		if err := Owned("add-on "+a.Name+" of EKS cluster "+cluster, got.Tags, Claim{Tenant: a.Tenant, Made: true}); err != nil {
			return nil, fmt.Errorf("%w; it is left alone", err)
		}
		role := got.ServiceAccountRoleARN
		if !a.IRSA {
			role = ""
			if len(got.PodIdentityRoleARNs) == 1 {
				role = got.PodIdentityRoleARNs[0]
			}
		}
		switch {
		case a.Version != "" && got.Version != a.Version:
			return nil, fmt.Errorf("add-on %s of EKS cluster %s is at version %s, not %s: the plugin does not update add-ons; delete it (--delete) and make it again, or update it with EKS", a.Name, cluster, got.Version, a.Version)
		case role != a.RoleARN:
			return nil, fmt.Errorf("add-on %s of EKS cluster %s assumes role %q, not %s: delete it (--delete) and make it again", a.Name, cluster, role, a.RoleARN)
		}
		return nil, nil
	}
	in := &eks.CreateAddonInput{ClusterName: awssdk.String(cluster), AddonName: awssdk.String(a.Name), Tags: ownTags(a.Tenant)}
	if a.Version != "" {
		in.AddonVersion = awssdk.String(a.Version)
	}
	switch {
	case a.RoleARN != "" && a.IRSA:
		in.ServiceAccountRoleArn = awssdk.String(a.RoleARN)
	case a.RoleARN != "":
		in.PodIdentityAssociations = []ekstypes.AddonPodIdentityAssociations{{ServiceAccount: awssdk.String(a.ServiceAccount), RoleArn: awssdk.String(a.RoleARN)}}
	}
	return []Step{{Call: "CreateAddon " + a.Name, do: func(ctx context.Context) error {
		_, err := eks.NewFromConfig(cfg).CreateAddon(ctx, in)
		return err
	}}}, nil
}

// WaitAddonActive waits until the add-on is ACTIVE
// (eks.AddonActiveWaiter), reporting each status change, and fails when
// it is CREATE_FAILED or DEGRADED, or the timeout passes.
func WaitAddonActive(ctx context.Context, cfg awssdk.Config, cluster, name string, timeout time.Duration, progress func(string)) error {
	timeout = orDefaultTimeout(timeout)
	w := &watch{what: "add-on " + name, progress: progress,
		failed: func(s string) error {
			return fmt.Errorf("add-on %s of EKS cluster %s is %s: see its health with `aws eks describe-addon`, then delete it and make it again", name, cluster, s)
		}}
	err := eks.NewAddonActiveWaiter(eks.NewFromConfig(cfg), func(o *eks.AddonActiveWaiterOptions) {
		o.MinDelay, o.MaxDelay = waitMinDelay, waitMaxDelay
		o.Retryable = retryable(w, o.Retryable, addonStatus)
	}).Wait(ctx, &eks.DescribeAddonInput{ClusterName: awssdk.String(cluster), AddonName: awssdk.String(name)}, timeout)
	if err != nil {
		return w.ended(ctx, err, timeout)
	}
	return nil
}

// PlanDeleteAddon returns the call that deletes add-on name of cluster
// and waits until EKS no longer knows it, when c owns it (checked now
// and again at the point of deletion); none when it is gone.
func PlanDeleteAddon(ctx context.Context, cfg awssdk.Config, cluster, name string, c Claim, timeout time.Duration, progress func(string)) ([]Step, error) {
	what := "add-on " + name + " of EKS cluster " + cluster
	check := func(ctx context.Context) (bool, error) {
		got, err := ReadAddon(ctx, cfg, cluster, name)
		if got == nil || err != nil {
			return false, err
		}
		return true, Owned(what, got.Tags, c)
	}
	if there, err := check(ctx); !there || err != nil {
		return nil, err
	}
	return []Step{{Call: "DeleteAddon " + name, do: func(ctx context.Context) error {
		if there, err := check(ctx); !there || err != nil {
			return err
		}
		client := eks.NewFromConfig(cfg)
		if _, err := client.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: awssdk.String(cluster), AddonName: awssdk.String(name)}); err != nil {
			return fmt.Errorf("deleting %s: %w", what, err)
		}
		timeout := orDefaultTimeout(timeout)
		w := &watch{what: what, progress: progress,
			failed: func(s string) error { return fmt.Errorf("%s is %s instead of being deleted", what, s) }}
		err := eks.NewAddonDeletedWaiter(client, func(o *eks.AddonDeletedWaiterOptions) {
			o.MinDelay, o.MaxDelay = waitMinDelay, waitMaxDelay
			o.Retryable = retryable(w, o.Retryable, addonStatus)
		}).Wait(ctx, &eks.DescribeAddonInput{ClusterName: awssdk.String(cluster), AddonName: awssdk.String(name)}, timeout)
		return w.ended(ctx, err, timeout)
	}}}, nil
}

func addonStatus(out *eks.DescribeAddonOutput) string {
	if out == nil || out.Addon == nil {
		return ""
	}
	return string(out.Addon.Status)
}

// HasFargateProfiles reports whether cluster runs pods on Fargate
// profiles, where EKS Pod Identity does not reach them (IRSA does).
func HasFargateProfiles(ctx context.Context, cfg awssdk.Config, cluster string) (bool, error) {
	out, err := eks.NewFromConfig(cfg).ListFargateProfiles(ctx, &eks.ListFargateProfilesInput{ClusterName: awssdk.String(cluster), MaxResults: awssdk.Int32(1)})
	if err != nil {
		return false, fmt.Errorf("listing the Fargate profiles of EKS cluster %s: %w", cluster, err)
	}
	return len(out.FargateProfileNames) > 0, nil
}
