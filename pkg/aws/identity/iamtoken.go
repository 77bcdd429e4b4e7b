package identity

import (
	"context"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/token"
)

// ValidateIAMRequest checks a token request's identity and cluster name;
// it makes no call.
func ValidateIAMRequest(r token.IAMRequest) error {
	if err := requestIdentity(r).Validate(); err != nil {
		return err
	}
	return ValidateClusterName(r.Cluster)
}

// IAMToken answers an IAM token request: from the cache while a token is
// valid for more than a minute (unless NoCache), else signed with the
// request's identity and cached. The signer and the full command both
// answer through it.
func IAMToken(ctx context.Context, r token.IAMRequest) (token.Entry, error) {
	if err := ValidateIAMRequest(r); err != nil {
		return token.Entry{}, err
	}
	id := requestIdentity(r)
	mint := func(ctx context.Context) (token.Entry, error) {
		cfg, err := id.Config(ctx)
		if err != nil {
			return token.Entry{}, err
		}
		tok, expires, err := ClusterToken(ctx, cfg, r.Cluster)
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

// requestIdentity is the identity a token request acts as: its chain, each
// hop with its own external ID.
func requestIdentity(r token.IAMRequest) Identity {
	id := Identity{Profile: r.Profile, Region: r.Region}
	for _, hop := range r.Chain {
		id.Roles = append(id.Roles, Hop{RoleARN: hop.ARN, ExternalID: hop.ExternalID})
	}
	return id
}
