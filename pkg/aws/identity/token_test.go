package identity

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

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
	tok, expires, err := ClusterToken(cfg, "acme")
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
