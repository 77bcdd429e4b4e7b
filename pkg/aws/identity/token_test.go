package identity

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	iamtoken "sigs.k8s.io/aws-iam-authenticator/pkg/token"
)

// The token passes aws-iam-authenticator's own Verifier, with STS answered
// by a local endpoint that checks the signature against the credentials
// moto issued, and yields the assumed tenant role; for another cluster it
// is rejected.
func TestClusterTokenPassesTheAuthenticatorsVerifier(t *testing.T) {
	saved := http.DefaultTransport
	http.DefaultTransport = moto.STSTransport(saved)
	defer func() { http.DefaultTransport = saved }()

	id := Identity{Region: "eu-west-1", SessionName: "verify-test", Roles: []Hop{
		{RoleARN: "arn:aws:iam::111111111111:role/hop"},
		{RoleARN: "arn:aws:iam::222222222222:role/tenant", ExternalID: "acme-x1"},
	}}
	cfg, err := id.Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	signed := time.Now()
	tok, expires, err := ClusterToken(context.Background(), cfg, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "k8s-aws-v1.") {
		t.Fatalf("token %q is not an aws-iam-authenticator token", tok)
	}
	if d := expires.Sub(signed); d < 13*time.Minute+59*time.Second || d > 14*time.Minute+time.Second {
		t.Errorf("expires %s after signing, want 14m", d)
	}

	got, err := iamtoken.NewVerifier("acme", "aws", "eu-west-1").Verify(tok)
	if err != nil {
		t.Fatalf("the authenticator's Verifier refused the token: %v", err)
	}
	if got.CanonicalARN != "arn:aws:iam::222222222222:role/tenant" || got.AccountID != "222222222222" {
		t.Errorf("verified as %+v, want the tenant role", got)
	}
	if _, err := iamtoken.NewVerifier("other-cluster", "aws", "eu-west-1").Verify(tok); err == nil {
		t.Error("a token signed for cluster acme was accepted for other-cluster")
	}
}

// ClusterToken presigns what aws-iam-authenticator's own generator
// presigns: the same host, action, signed headers, expiry and credential
// scope, differing only in the signing time and so the signature.
func TestClusterTokenIsWhatTheGeneratorSigns(t *testing.T) {
	cfg := awssdk.Config{
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "session"),
	}
	ours, _, err := ClusterToken(context.Background(), cfg, "acme")
	if err != nil {
		t.Fatal(err)
	}
	gen, err := iamtoken.NewGenerator(false, false)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := gen.GetWithSTS("acme", sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.BaseEndpoint = awssdk.String("https://sts.eu-west-1.amazonaws.com")
	}))
	if err != nil {
		t.Fatal(err)
	}
	a, b := presignedURL(t, ours), presignedURL(t, theirs.Token)
	if a.Scheme != b.Scheme || a.Host != b.Host || a.Path != b.Path {
		t.Errorf("ours is for %s://%s%s, the generator's for %s://%s%s", a.Scheme, a.Host, a.Path, b.Scheme, b.Host, b.Path)
	}
	qa, qb := a.Query(), b.Query()
	for _, q := range []url.Values{qa, qb} {
		q.Del("X-Amz-Date")
		q.Del("X-Amz-Signature")
		// The credential scope names the signing day.
		c := strings.Split(q.Get("X-Amz-Credential"), "/")
		if len(c) != 5 {
			t.Fatalf("credential scope %q", q.Get("X-Amz-Credential"))
		}
		q.Set("X-Amz-Credential", c[0]+"/DAY/"+strings.Join(c[2:], "/"))
	}
	if qa.Encode() != qb.Encode() {
		t.Errorf("ours presigns\n%s\nthe generator\n%s", qa.Encode(), qb.Encode())
	}
	if got := qa.Get("X-Amz-SignedHeaders"); got != "host;x-k8s-aws-id" {
		t.Errorf("signed headers %q, want the cluster's name signed in", got)
	}
}

func presignedURL(t *testing.T, token string) *url.URL {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(token, "k8s-aws-v1."))
	if err != nil {
		t.Fatalf("token %q: %v", token, err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	return u
}
