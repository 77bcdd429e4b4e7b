package aws

import (
	"maps"
	"slices"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// The plugin tags what it creates in AWS (EKS clusters, IAM roles, access
// entries) with the keys of the labels on what it creates in Kubernetes,
// and acts only on what carries them. Clusters and roles created before
// the keys were unified carry the legacy keys, which are still read.
const (
	legacyCreatedByTag = "created-by"
	legacyTenantTag    = "kubectl-tenant.io/tenant"
)

// ownTags are the tags of something the plugin creates for a tenant.
func ownTags(tenantName string) map[string]string {
	return map[string]string{tenant.LabelManagedBy: tenant.ManagedBy, tenant.LabelTenant: tenantName}
}

// createdByPlugin reports whether tags mark a resource the plugin created.
func createdByPlugin(tags map[string]string) bool {
	return tags[tenant.LabelManagedBy] == tenant.ManagedBy || tags[legacyCreatedByTag] == tenant.ManagedBy
}

// ownedBy reports whether tags mark what the plugin created for tenantName.
func ownedBy(tags map[string]string, tenantName string) bool {
	return createdByPlugin(tags) && tenantOf(tags) == tenantName
}

// tagMap is IAM's tag list as a map.
func tagMap(tags []iamtypes.Tag) map[string]string {
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[awssdk.ToString(t.Key)] = awssdk.ToString(t.Value)
	}
	return out
}

// tenantOf is the tenant tags name, "" for none.
func tenantOf(tags map[string]string) string {
	if t := tags[tenant.LabelTenant]; t != "" {
		return t
	}
	return tags[legacyTenantTag]
}

// TenantOf is the tenant a cluster was created for, by its tags.
func (c *Cluster) TenantOf() string { return tenantOf(c.Tags) }

func iamTags(tags map[string]string) []iamtypes.Tag {
	out := make([]iamtypes.Tag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, iamtypes.Tag{Key: awssdk.String(k), Value: awssdk.String(tags[k])})
	}
	return out
}
