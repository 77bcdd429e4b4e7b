package token

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The exec-plugin line a kubeconfig holds reads back as the request it
// was made from.
func TestIAMArgsRoundTrip(t *testing.T) {
	for _, r := range []IAMRequest{
		{Tenant: "acme", Cluster: "acme", Region: "eu-west-1"},
		{Tenant: "acme", Cluster: "acme-prod", Region: "us-east-1", RoleARNs: []string{"arn:aws:iam::111122223333:role/hop", "arn:aws:iam::444455556666:role/t"},
			ExternalID: "-starts-with-a-dash", Profile: "mgmt", Raw: true, NoCache: true},
	} {
		args := r.Args()
		if args[0] != "token" {
			t.Fatalf("Args() = %q, want token first", args)
		}
		got, ok := ParseIAMArgs(args[1:])
		if !ok {
			t.Fatalf("ParseIAMArgs(%q) refused", args)
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("round trip of %q (-want +got):\n%s", args, diff)
		}
	}
}

// FuzzIAMArgs: any request with a tenant, a cluster and a region survives
// Args and ParseIAMArgs unchanged, and the line is served by the warm path
// only when it parses.
func FuzzIAMArgs(f *testing.F) {
	f.Add("acme", "acme-prod", "eu-west-1", "arn:aws:iam::111122223333:role/t", "x1", "mgmt", true, false)
	f.Add("a", "b", "c", "", "", "", false, true)
	f.Add("acme", "--region", "-x", "--raw", "--no-cache", "=", false, false)
	f.Fuzz(func(t *testing.T, tenant, cluster, region, role, externalID, profile string, raw, noCache bool) {
		if tenant == "" || strings.HasPrefix(tenant, "-") || cluster == "" || region == "" {
			t.Skip("not a request: the front hands it to the full command")
		}
		r := IAMRequest{Tenant: tenant, Cluster: cluster, Region: region, ExternalID: externalID, Profile: profile, Raw: raw, NoCache: noCache}
		if role != "" {
			r.RoleARNs = []string{role, role}
		}
		got, ok := ParseIAMArgs(r.Args()[1:])
		if !ok {
			t.Fatalf("ParseIAMArgs(%q) refused", r.Args())
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("round trip of %q (-want +got):\n%s", r.Args(), diff)
		}
	})
}
