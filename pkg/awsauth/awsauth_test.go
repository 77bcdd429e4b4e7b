package awsauth

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/aws-iam-authenticator/pkg/config"
	"sigs.k8s.io/aws-iam-authenticator/pkg/mapper/configmap"
)

// eksData is aws-auth as EKS and eksctl leave it: a node role, an admin,
// a user, and an account, with comments and eksctl's field order.
func eksData() map[string]string {
	return map[string]string{
		"mapRoles": `- groups:
  - system:bootstrappers
  - system:nodes
  rolearn: arn:aws:iam::111122223333:role/eks-node
  username: system:node:{{EC2PrivateDNSName}}
# the platform team
- rolearn: arn:aws:iam::111122223333:role/admin
  username: admin
  groups:
    - system:masters
`,
		"mapUsers":    "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n  groups: [developers]\n",
		"mapAccounts": "- \"111122223333\"\n",
	}
}

var grant = Mapping{RoleARN: "arn:aws:iam::444455556666:role/acme-dev", Username: "acme:{{SessionName}}", Groups: []string{"kubectl-tenant:acme:edit"}}

func TestAddKeepsEverythingElseAndRemoveRestores(t *testing.T) {
	before := eksData()
	after, changed, err := Add(before, grant)
	if err != nil || !changed {
		t.Fatalf("Add: %v %v", changed, err)
	}
	if !strings.HasPrefix(after["mapRoles"], before["mapRoles"]) {
		t.Errorf("the existing entries changed:\n%s", after["mapRoles"])
	}
	if after["mapUsers"] != before["mapUsers"] || after["mapAccounts"] != before["mapAccounts"] {
		t.Error("untouched keys changed")
	}
	_, roles, _, err := configmap.ParseMap(after)
	if err != nil || len(roles) != 3 || roles[2].RoleARN != grant.RoleARN || roles[2].Username != grant.Username || roles[2].Groups[0] != grant.Groups[0] {
		t.Errorf("the authenticator reads %+v, %v", roles, err)
	}

	again, changed, err := Add(after, grant)
	if err != nil || changed || again["mapRoles"] != after["mapRoles"] {
		t.Errorf("adding it again: changed=%v %v", changed, err)
	}

	restored, changed, err := Remove(after, grant.RoleARN, "", false)
	if err != nil || !changed {
		t.Fatalf("Remove: %v %v", changed, err)
	}
	for k := range before {
		if restored[k] != before[k] {
			t.Errorf("%s after add and remove:\n%q\nwant\n%q", k, restored[k], before[k])
		}
	}
}

func TestRemoveFromTheMiddleKeepsNeighbours(t *testing.T) {
	data := eksData()
	var err error
	for _, m := range []Mapping{grant, {RoleARN: "arn:aws:iam::444455556666:role/acme-ops", Username: "ops", Groups: []string{"kubectl-tenant:acme:admin"}}} {
		if data, _, err = Add(data, m); err != nil {
			t.Fatal(err)
		}
	}
	out, _, err := Remove(data, grant.RoleARN, "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	want := eksData()["mapRoles"] + "- rolearn: arn:aws:iam::444455556666:role/acme-ops\n  username: ops\n  groups:\n    - kubectl-tenant:acme:admin\n"
	if out["mapRoles"] != want {
		t.Errorf("got\n%s\nwant\n%s", out["mapRoles"], want)
	}
}

func TestNeverTakesOverOrDropsWhatItMustNot(t *testing.T) {
	// Someone's entry for the same role.
	if _, _, err := Add(eksData(), Mapping{RoleARN: "arn:aws:iam::111122223333:role/admin", Username: "x", Groups: []string{"kubectl-tenant:a:view"}}); err == nil ||
		!strings.Contains(err.Error(), "in an entry kubectl-tenant did not write") {
		t.Errorf("adding over someone's entry: %v", err)
	}
	// Another tenant's entry for the same principal is not replaced.
	theirs, _, err := Add(eksData(), grant)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Add(theirs, Mapping{RoleARN: grant.RoleARN, Username: "globex:{{SessionName}}", Groups: []string{"kubectl-tenant:globex:view"}}); err == nil ||
		!strings.Contains(err.Error(), "for tenant acme already") {
		t.Errorf("adding over another tenant's entry: %v", err)
	}
	if _, changed, err := Remove(theirs, grant.RoleARN, "globex", false); err != nil || changed {
		t.Errorf("globex removed acme's entry: %v %v", changed, err)
	}
	// Unmanaged entries are never removed.
	if out, changed, err := Remove(eksData(), "arn:aws:iam::111122223333:role/eks-node", "", true); err != nil || changed || out["mapRoles"] != eksData()["mapRoles"] {
		t.Errorf("removing the node role: changed=%v %v", changed, err)
	}
	// A managed entry that maps nodes, or the last masters, needs --force.
	for _, groups := range [][]string{{"kubectl-tenant:a:nodes", "system:nodes"}} {
		data, _, err := Add(eksData(), Mapping{RoleARN: "arn:aws:iam::999999999999:role/n", Username: "n", Groups: groups})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := Remove(data, "arn:aws:iam::999999999999:role/n", "", false); err == nil || !strings.Contains(err.Error(), "pass --force") {
			t.Errorf("removing a node mapping without force: %v", err)
		}
		if _, changed, err := Remove(data, "arn:aws:iam::999999999999:role/n", "", true); err != nil || !changed {
			t.Errorf("with force: %v %v", changed, err)
		}
	}
	only := map[string]string{"mapRoles": "- rolearn: arn:aws:iam::1:role/m\n  username: m\n  groups:\n  - system:masters\n  - kubectl-tenant:a:admin\n"}
	if _, _, err := Remove(only, "arn:aws:iam::1:role/m", "", false); err == nil || !strings.Contains(err.Error(), "last system:masters") {
		t.Errorf("removing the last masters mapping: %v", err)
	}
}

func TestRefusesWhatItCannotEditSafely(t *testing.T) {
	broken := eksData()
	broken["mapRoles"] = "- rolearn: arn:aws:iam::1:role/x\n  username: [unclosed\n"
	if _, _, err := Add(broken, grant); err == nil || !strings.Contains(err.Error(), "aws-auth does not parse") {
		t.Errorf("malformed aws-auth: %v", err)
	}
}

// aws-auth as real clusters have it, in every shape: grant then revoke
// gives every key's bytes back, whatever the key was before; the
// authenticator reads the grant in between; the keys it ignores are named.
func TestGrantThenRevokeGivesTheOriginalBack(t *testing.T) {
	user := Mapping{UserARN: "arn:aws:iam::444455556666:user/dana", Username: "dana", Groups: []string{"kubectl-tenant:acme:view"}}
	for name, c := range map[string]struct {
		data    map[string]string
		ignored []string // the keys IgnoredKeys must name
	}{
		"EKS's, with comments": {data: eksData()},
		"no keys":              {data: map[string]string{}},
		"accounts only":        {data: map[string]string{"mapAccounts": "- \"111122223333\"\n"}},
		"empty values":         {data: map[string]string{"mapRoles": "", "mapUsers": "  \n"}},
		"eksctl's empty lists": {data: map[string]string{"mapRoles": "[]\n", "mapUsers": "[]\n"}},
		"flow-style lists": {data: map[string]string{
			"mapRoles": `[{"rolearn": "arn:aws:iam::1:role/x", "username": "x", "groups": ["g"]}]`,
			"mapUsers": "[{userarn: arn:aws:iam::1:user/y, username: yan, groups: [h]}]\n"}},
		"keys in other cases": {
			data:    map[string]string{"MapRoles": "- rolearn: arn:aws:iam::1:role/x\n  username: x\n  groups: [g]\n", "mapusers": "[]"},
			ignored: []string{`"MapRoles" is ignored by aws-iam-authenticator, which reads only "mapRoles"`, `"mapusers" is ignored by aws-iam-authenticator, which reads only "mapUsers"`}},
		"a key nobody reads": {data: map[string]string{"mapRoles": "[]", "notes": "see the wiki"},
			ignored: []string{`"notes" is ignored by aws-iam-authenticator, which reads only mapRoles, mapUsers and mapAccounts`}},
	} {
		t.Run(name, func(t *testing.T) {
			ignored := IgnoredKeys(c.data)
			if len(ignored) != len(c.ignored) {
				t.Errorf("IgnoredKeys: %q, want %d", ignored, len(c.ignored))
			}
			for i := range min(len(ignored), len(c.ignored)) {
				if !strings.Contains(ignored[i], c.ignored[i]) {
					t.Errorf("IgnoredKeys[%d] = %q, want it to say %q", i, ignored[i], c.ignored[i])
				}
			}
			data := c.data
			for _, m := range []Mapping{grant, user} {
				var changed bool
				var err error
				if data, changed, err = Add(data, m); err != nil || !changed {
					t.Fatalf("Add: %v %v", changed, err)
				}
			}
			_, roles, _, err := configmap.ParseMap(data)
			if err != nil || !slices.ContainsFunc(roles, func(r config.RoleMapping) bool { return r.RoleARN == grant.RoleARN }) {
				t.Errorf("the authenticator reads %+v, %v from\n%v", roles, err, data)
			}
			for _, arn := range []string{grant.RoleARN, user.UserARN} {
				if data, _, err = Remove(data, arn, "", false); err != nil {
					t.Fatal(err)
				}
			}
			if !maps.Equal(data, c.data) {
				t.Errorf("after grant and revoke:\n%q\nwant\n%q", data, c.data)
			}
		})
	}
}

func TestAddKeepsTheListsIndentation(t *testing.T) {
	data := map[string]string{"mapRoles": "  - rolearn: arn:aws:iam::1:role/x\n    username: x\n    groups:\n      - g\n"}
	out, _, err := Add(data, grant)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out["mapRoles"], "  - rolearn: arn:aws:iam::444455556666:role/acme-dev\n    username: acme:{{SessionName}}\n    groups:\n      - kubectl-tenant:acme:edit\n") {
		t.Errorf("indentation not kept:\n%s", out["mapRoles"])
	}
	if _, roles, _, err := configmap.ParseMap(out); err != nil || len(roles) != 2 {
		t.Errorf("parsed %d roles, %v", len(roles), err)
	}
}

func TestDiffShowsTheEntry(t *testing.T) {
	after, _, err := Add(eksData(), grant)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	Diff(&b, eksData(), after)
	got := b.String()
	for _, want := range []string{"--- aws-auth mapRoles", "+ - rolearn: arn:aws:iam::444455556666:role/acme-dev", "+   username: acme:{{SessionName}}", "+     - kubectl-tenant:acme:edit"} {
		if !strings.Contains(got, want) {
			t.Errorf("diff lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "- - rolearn") || strings.Contains(got, "mapUsers") {
		t.Errorf("diff shows removals or untouched keys:\n%s", got)
	}
	b.Reset()
	Diff(&b, after, after)
	if b.Len() != 0 {
		t.Errorf("diff of equal data: %q", b.String())
	}
}
