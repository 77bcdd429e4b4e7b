package aws

import "testing"

// Clusters and roles created before the tag keys were unified stay the
// plugin's.
func TestTagsOldAndNew(t *testing.T) {
	for _, tc := range []struct {
		tags   map[string]string
		ours   bool
		tenant string
	}{
		{ownTags("acme"), true, "acme"},
		{map[string]string{"created-by": "kubectl-tenant", "kubectl-tenant.io/tenant": "acme"}, true, "acme"},
		{map[string]string{"created-by": "eksctl"}, false, ""},
		{nil, false, ""},
	} {
		if createdByPlugin(tc.tags) != tc.ours || tenantOf(tc.tags) != tc.tenant {
			t.Errorf("%v: ours %v tenant %q", tc.tags, createdByPlugin(tc.tags), tenantOf(tc.tags))
		}
	}
}
