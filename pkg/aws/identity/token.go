package identity

import (
	"fmt"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	iamtoken "sigs.k8s.io/aws-iam-authenticator/pkg/token"
)

// ClusterToken makes an EKS authentication token for a cluster: an STS
// GetCallerIdentity request presigned with cfg's credentials, with the
// cluster's name signed in as x-k8s-aws-id, by aws-iam-authenticator's own
// generator. It is presigned for the regional STS endpoint whatever
// endpoint the SDK is otherwise pointed at, since that is the host the
// authenticator accepts. The token expires 14 minutes after signing.
func ClusterToken(cfg awssdk.Config, cluster string) (string, time.Time, error) {
	gen, err := iamtoken.NewGenerator(false, false)
	if err != nil {
		return "", time.Time{}, err
	}
	client := sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.BaseEndpoint = awssdk.String("https://sts." + cfg.Region + ".amazonaws.com")
	})
	tok, err := gen.GetWithSTS(cluster, client)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("signing a token for cluster %s: %w", cluster, err)
	}
	return tok.Token, tok.Expiration, nil
}
