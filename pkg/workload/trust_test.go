package workload

import (
	"slices"
	"strings"
	"testing"
)

const (
	issuer     = "https://oidc.eks.us-east-1.amazonaws.com/id/ACME0123456789"
	clusterARN = "arn:aws:eks:us-east-1:222222222222:cluster/acme"
)

func irsa() Binding {
	return Binding{Via: IRSA, Account: "222222222222", Issuer: issuer, Namespace: "acme", ServiceAccount: "app"}
}

func podIdentity() Binding {
	return Binding{Via: PodIdentity, Account: "222222222222", ClusterARN: clusterARN, Namespace: "acme", ServiceAccount: "app"}
}

// The trust policy the plugin writes admits its ServiceAccount's call,
// and the same call from another ServiceAccount, namespace, audience,
// issuer, cluster or account is refused: IAM's evaluation, as Allows
// does it (moto's STS does not evaluate trust policies).
func TestTrustAdmitsExactlyTheServiceAccount(t *testing.T) {
	for _, b := range []Binding{irsa(), podIdentity()} {
		t.Run(string(b.Via), func(t *testing.T) {
			trust, err := ParsePolicy(b.Trust().String()) // as IAM gives it back
			if err != nil {
				t.Fatal(err)
			}
			if !b.AllowedBy(trust) {
				t.Fatalf("the trust policy does not admit its own ServiceAccount:\n%s", trust)
			}
			if f := b.Check(trust); len(f) != 0 {
				t.Errorf("the plugin's own trust policy has findings: %v", f)
			}
			others := map[string]Binding{}
			o := b
			o.ServiceAccount = "other"
			others["another ServiceAccount"] = o
			o = b
			o.Namespace = "globex"
			others["another namespace"] = o
			if b.Via == IRSA {
				o = b
				o.Issuer = "https://oidc.eks.us-east-1.amazonaws.com/id/GLOBEX"
				others["another cluster's issuer"] = o
			} else {
				o = b
				o.ClusterARN = "arn:aws:eks:us-east-1:222222222222:cluster/globex"
				others["another cluster"] = o
				o = b
				o.Account = "333333333333"
				others["another account"] = o
			}
			for name, other := range others {
				for _, r := range other.Requests() {
					if trust.Allows(r) {
						t.Errorf("%s is admitted to %s", name, r.Action)
					}
				}
			}
			if b.Via == IRSA {
				r := b.Requests()[0]
				r.Keys[b.IssuerHost()+":aud"] = "vault"
				if trust.Allows(r) {
					t.Error("a token of another audience is admitted")
				}
			} else {
				tagless := trust
				tagless.Statement = slices.Clone(trust.Statement)
				tagless.Statement[0].Action = Strings{actionAssumeRole}
				if b.AllowedBy(tagless) {
					t.Error("a trust without sts:TagSession admits Pod Identity, which tags every session")
				}
			}
		})
	}
}

// Each hand-widened trust policy is found, naming the statement and
// what it admits; and the evaluation agrees that it admits more.
func TestCheckFindsWidenedTrust(t *testing.T) {
	host := irsa().IssuerHost()
	for _, tc := range []struct {
		name     string
		b        Binding
		edit     func(*Policy)
		want     string
		admitted *Request // a call the widened policy now admits
	}{
		{"sub matched with a wildcard in StringEquals", irsa(), func(p *Policy) {
			p.Statement[0].Condition["StringEquals"][host+":sub"] = Strings{"system:serviceaccount:*"}
		}, `is held by StringEquals ["system:serviceaccount:*"], not StringEquals system:serviceaccount:acme:app: does not admit system:serviceaccount:acme:app's pods`, nil},
		{"sub under StringLike", irsa(), func(p *Policy) {
			delete(p.Statement[0].Condition["StringEquals"], host+":sub")
			p.Statement[0].Condition["StringLike"] = map[string]Strings{host + ":sub": {"system:serviceaccount:acme-*:*"}}
		}, `StringLike ["system:serviceaccount:acme-*:*"]`, &Request{Action: actionWebIdentity, Federated: irsa().ProviderARN(),
			Keys: map[string]string{host + ":sub": "system:serviceaccount:acme-ci:builder", host + ":aud": Audience}}},
		{"no aud", irsa(), func(p *Policy) {
			delete(p.Statement[0].Condition["StringEquals"], host+":aud")
		}, "no condition on " + host + ":aud: admits tokens of other audiences", &Request{Action: actionWebIdentity, Federated: irsa().ProviderARN(),
			Keys: map[string]string{host + ":sub": "system:serviceaccount:acme:app", host + ":aud": "vault"}}},
		{"another OIDC provider", irsa(), func(p *Policy) {
			p.Statement = append(p.Statement, Statement{Effect: "Allow", Action: Strings{actionWebIdentity},
				Principal: Principal{Federated: Strings{"arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"}}})
		}, "statement 2: trusts OIDC provider arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com", nil},
		{"no SourceArn", podIdentity(), func(p *Policy) {
			delete(p.Statement[0].Condition["StringEquals"], keySourceArn)
		}, "no condition on aws:SourceArn: admits other clusters' pods", nil},
		{"namespace tag under StringLike", podIdentity(), func(p *Policy) {
			delete(p.Statement[0].Condition["StringEquals"], keyNamespaceTag)
			p.Statement[0].Condition["StringLike"] = map[string]Strings{keyNamespaceTag: {"acme-*"}}
		}, `aws:RequestTag/kubernetes-namespace is held by StringLike ["acme-*"]`, nil},
		{"two ServiceAccounts", podIdentity(), func(p *Policy) {
			p.Statement[0].Condition["StringEquals"][keyServiceAccountTag] = Strings{"app", "admin"}
		}, `StringEquals ["app" "admin"]`, nil},
		{"anyone", podIdentity(), func(p *Policy) {
			p.Statement[0].Principal.AWS = Strings{"*"}
		}, "ServiceAccount: trusts every AWS principal (*)", nil},
		{"nothing of its own", podIdentity(), func(p *Policy) {
			p.Statement[0].Principal = Principal{Service: Strings{"ec2.amazonaws.com"}}
		}, "no statement trusts service pods.eks.amazonaws.com", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePolicy(tc.b.Trust().String())
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(&p)
			var got []string
			for _, f := range tc.b.Check(p) {
				got = append(got, f.String())
			}
			if !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Errorf("findings:\n%s\nwant one saying %q", strings.Join(got, "\n"), tc.want)
			}
			if tc.admitted != nil && !p.Allows(*tc.admitted) {
				t.Errorf("the widened policy should admit %+v", *tc.admitted)
			}
		})
	}
}

// IAM's policy grammar as the evaluation reads it: a single string or
// a list, "*" as a principal, wildcards, Not operators on missing keys,
// an unknown operator never admitting, and Deny winning.
func TestAllows(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Principal":"*","Action":"sts:*","Condition":{"StringLike":{"k":"a/*/c?"},"StringNotEquals":{"missing":"x"}}},
	  {"Effect":"Deny","Principal":{"Service":"s"},"Action":["sts:AssumeRole"],"Condition":{"StringEquals":{"k":"a/deny/cd"}}},
	  {"Effect":"Allow","Principal":{"Service":["s"]},"Action":"sts:TagSession","Condition":{"NumericLessThan":{"n":"3"}}}]}`
	p, err := ParsePolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		r    Request
		want bool
	}{
		{Request{Action: "sts:AssumeRole", Service: "s", Keys: map[string]string{"k": "a/b/cd"}}, true},
		{Request{Action: "sts:AssumeRole", Service: "s", Keys: map[string]string{"k": "a/b/c"}}, false},     // ? is one character
		{Request{Action: "sts:AssumeRole", Service: "s", Keys: map[string]string{"k": "a/deny/cd"}}, false}, // Deny wins
		{Request{Action: "sts:AssumeRole", Service: "s", Keys: map[string]string{"k": "a/b/cd", "missing": "x"}}, false},
		{Request{Action: "sts:TagSession", Service: "s", Keys: map[string]string{"k": "zzz", "n": "1"}}, false}, // unknown operator
		{Request{Action: "sts:AssumeRole", Keys: map[string]string{"k": "a/b/cd"}}, false},                      // no caller
	} {
		if got := p.Allows(tc.r); got != tc.want {
			t.Errorf("Allows(%+v) = %v, want %v", tc.r, got, tc.want)
		}
	}
	for _, doc := range []string{`{"Statement":[{"Effect":"Allow","Principal":"someone","Action":"x"}]}`,
		`{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"x"},"Action":"x"}]}`, `{"Statement":[{"Effect":"Allow","Principal":{"CanonicalUser":"x"},"Action":"x"}]}`} {
		if _, err := ParsePolicy(doc); err == nil {
			t.Errorf("read %s, which it cannot vouch for", doc)
		}
	}
}
