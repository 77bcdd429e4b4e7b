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
		{Tenant: "acme", Cluster: "acme-prod", Region: "us-east-1", Chain: Chain([]string{"arn:aws:iam::111122223333:role/hop", "arn:aws:iam::444455556666:role/t"}, "-starts-with-a-dash"),
			Profile: "mgmt", Raw: true, NoCache: true},
		// Through a tenant role that needs an external ID, to a member's
		// role: each hop carries its own.
		{Tenant: "acme", Cluster: "acme", Region: "us-east-1", Chain: []Role{{ARN: "arn:aws:iam::111122223333:role/hop", ExternalID: "h1"},
			{ARN: "arn:aws:iam::444455556666:role/t", ExternalID: "x1"}, {ARN: "arn:aws:iam::444455556666:role/dev"}}},
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
	// The line earlier releases wrote: one --external-id after the last
	// role, which it still belongs to.
	old, ok := ParseIAMArgs([]string{"acme", "--region", "r", "--role-arn", "a", "--role-arn", "b", "--external-id", "x"})
	if want := Chain([]string{"a", "b"}, "x"); !ok || !cmp.Equal(old.Chain, want) {
		t.Errorf("an earlier release's line reads as %+v, want %+v", old.Chain, want)
	}
	// An external ID with no role before it, or two for one role, is for
	// the full command to explain.
	for _, args := range [][]string{{"acme", "--region", "r", "--external-id", "x", "--role-arn", "a"}, {"acme", "--region", "r", "--role-arn", "a", "--external-id", "x", "--external-id", "y"}} {
		if _, ok := ParseIAMArgs(args); ok {
			t.Errorf("ParseIAMArgs(%q) accepted it", args)
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
		r := IAMRequest{Tenant: tenant, Cluster: cluster, Region: region, Profile: profile, Raw: raw, NoCache: noCache}
		if role != "" {
			r.Chain = []Role{{ARN: role, ExternalID: externalID}, {ARN: role}}
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
