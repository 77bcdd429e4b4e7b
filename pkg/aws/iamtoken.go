package aws

import (
	"context"
	"fmt"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/token"
)

// IAMToken answers an IAM token request: from the cache while a token is
// valid for more than a minute (unless NoCache), else signed with the
// request's identity and cached. The signer and the full command both
// answer through it.
func IAMToken(ctx context.Context, r token.IAMRequest) (token.Entry, error) {
	if len(r.RoleARNs) == 0 && r.ExternalID != "" {
		return token.Entry{}, fmt.Errorf("--external-id needs the --role-arn it belongs to")
	}
	id := NewIdentity(r.Profile, r.Region, "", 0, r.RoleARNs, r.ExternalID)
	if err := id.Validate(); err != nil {
		return token.Entry{}, err
	}
	if err := ValidateClusterName(r.Cluster); err != nil {
		return token.Entry{}, err
	}
	mint := func(ctx context.Context) (token.Entry, error) {
		cfg, err := id.Config(ctx)
		if err != nil {
			return token.Entry{}, err
		}
		tok, expires, err := ClusterToken(cfg, r.Cluster)
		return token.Entry{Key: r.Key(), Token: tok, Expires: expires}, err
	}
	if r.NoCache {
		return mint(ctx)
	}
	dir, err := token.DefaultCacheDir()
	if err != nil {
		return token.Entry{}, err
	}
	return (&token.Cache{Dir: dir}).GetOrMake(ctx, r.Key(), mint)
}
