package identity

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The token format aws-iam-authenticator defines (pkg/token): its prefix,
// the header that names the cluster, and the presigned URL's lifetime.
const (
	tokenPrefix     = "k8s-aws-v1."
	clusterIDHeader = "x-k8s-aws-id"
	// presignExpires is the X-Amz-Expires value signed in. STS ignores it
	// and honours a presigned GetCallerIdentity for 15 minutes after its
	// X-Amz-Date; authenticators up to 0.3.0 refuse a value above 60.
	presignExpires = 60
	urlLifetime    = 15 * time.Minute
)

// ClusterToken makes an EKS authentication token for a cluster (getting
// cfg's credentials may call STS, under ctx): an STS
// GetCallerIdentity request presigned with cfg's credentials, with the
// cluster's name signed in as x-k8s-aws-id, as aws-iam-authenticator's
// generator makes it (its Verifier checks what this signs, in the tests).
// It is presigned for the regional STS endpoint whatever endpoint the SDK
// is otherwise pointed at, since that is the host the authenticator
// accepts. The token expires a minute before the URL does, 14 minutes
// after signing.
//
// It presigns through the STS client itself rather than the generator:
// the generator's package links Prometheus, client-go's API types and
// the apimachinery runtime, whose start was a tenth of every cold token.
func ClusterToken(ctx context.Context, cfg awssdk.Config, cluster string) (string, time.Time, error) {
	client := sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.BaseEndpoint = awssdk.String("https://sts." + cfg.Region + ".amazonaws.com")
	})
	signed := time.Now()
	req, err := sts.NewPresignClient(client).PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{},
		func(po *sts.PresignOptions) {
			po.ClientOptions = append(po.ClientOptions, func(o *sts.Options) {
				o.APIOptions = append(o.APIOptions,
					smithyhttp.SetHeaderValue(clusterIDHeader, cluster),
					smithyhttp.SetHeaderValue("X-Amz-Expires", strconv.Itoa(presignExpires)))
			})
		})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("signing a token for cluster %s: %w", cluster, err)
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(req.URL)), signed.Add(urlLifetime - time.Minute), nil
}
