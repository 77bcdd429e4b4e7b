package tenant

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
)

func TestMergeSpec(t *testing.T) {
	user := func(name, role string, ns ...string) Grant {
		return Grant{Subject: Subject{Kind: SubjectUser, Name: name}, Role: role, Namespaces: ns}
	}
	spec := func(ns []string, grants ...Grant) Spec {
		return Spec{Cluster: Cluster{Context: "dev"}, Namespaces: ns, Grants: grants}
	}
	tests := []struct {
		name                   string
		last                   *Spec
		others                 []Spec
		applied, current, want Spec
	}{{
		name:    "first apply over an imperative record keeps its grants",
		applied: spec([]string{"a"}, user("alice", "edit")),
		current: spec([]string{"a"}, user("bob", "view")),
		want:    spec([]string{"a"}, user("alice", "edit"), user("bob", "view")),
	}, {
		name:    "a grant the document dropped goes",
		last:    new(spec([]string{"a"}, user("alice", "edit"), user("bob", "view"))),
		applied: spec([]string{"a"}, user("alice", "edit")),
		current: spec([]string{"a"}, user("alice", "edit"), user("bob", "view")),
		want:    spec([]string{"a"}, user("alice", "edit")),
	}, {
		name:    "a grant someone added since stays",
		last:    new(spec([]string{"a"}, user("alice", "edit"))),
		applied: spec([]string{"a"}, user("alice", "edit")),
		current: spec([]string{"a"}, user("alice", "edit"), user("carol", "view")),
		want:    spec([]string{"a"}, user("alice", "edit"), user("carol", "view")),
	}, {
		name:    "a changed role replaces the old grant",
		last:    new(spec([]string{"a"}, user("alice", "edit"))),
		applied: spec([]string{"a"}, user("alice", "view")),
		current: spec([]string{"a"}, user("alice", "edit")),
		want:    spec([]string{"a"}, user("alice", "view")),
	}, {
		name:    "two applies of different fields both land",
		last:    new(spec([]string{"a"})),
		applied: spec([]string{"a", "a-ci"}),
		current: spec([]string{"a"}, user("alice", "edit")), // the other apply's grant
		want:    spec([]string{"a", "a-ci"}, user("alice", "edit")),
	}, {
		name:    "a grant another manager also applied stays when this one drops it",
		last:    new(spec([]string{"a"}, user("alice", "edit"))),
		others:  []Spec{spec([]string{"a"}, user("alice", "edit"))},
		applied: spec([]string{"a"}),
		current: spec([]string{"a"}, user("alice", "edit")),
		want:    spec([]string{"a"}, user("alice", "edit")),
	}, {
		name:    "a namespace the document dropped goes, one added elsewhere stays",
		last:    new(spec([]string{"a", "b"})),
		applied: spec([]string{"a"}),
		current: spec([]string{"a", "b", "c"}),
		want:    spec([]string{"a", "c"}),
	}, {
		name:    "a grant widened imperatively stays widened",
		last:    new(spec([]string{"a", "b"}, user("alice", "edit", "a"))),
		applied: spec([]string{"a", "b"}, user("alice", "edit", "a")),
		current: spec([]string{"a", "b"}, user("alice", "edit", "a", "b")),
		want:    spec([]string{"a", "b"}, user("alice", "edit", "a", "b")),
	}, {
		name:    "roles by name: the document's version wins, a dropped one goes, another's stays",
		last:    &Spec{Namespaces: []string{"a"}, Roles: []Role{{Name: "old"}, {Name: "reader"}}},
		applied: Spec{Namespaces: []string{"a"}, Roles: []Role{{Name: "reader", Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}}}}}},
		current: Spec{Namespaces: []string{"a"}, Roles: []Role{{Name: "old"}, {Name: "reader"}, {Name: "theirs"}}},
		want:    Spec{Namespaces: []string{"a"}, Roles: []Role{{Name: "reader", Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}}}}, {Name: "theirs"}}},
	}, {
		name:    "the plugin's records survive a document without them",
		applied: Spec{Cluster: Cluster{EKS: &EKSCluster{Name: "acme", CreatedByPlugin: true}}, AWS: &AWS{Region: "eu-west-1"}, Namespaces: []string{"a"}},
		current: Spec{Cluster: Cluster{Context: "acme", Server: "https://x", EKS: &EKSCluster{Name: "acme", ARN: "arn:x", ClusterRoleARN: "arn:r", ClusterRoleCreated: true}}, AWS: &AWS{Region: "us-east-1"}, Namespaces: []string{"a"}},
		want:    Spec{Cluster: Cluster{Context: "acme", Server: "https://x", EKS: &EKSCluster{Name: "acme", ARN: "arn:x", ClusterRoleARN: "arn:r", ClusterRoleCreated: true}}, AWS: &AWS{Region: "eu-west-1"}, Namespaces: []string{"a"}},
	}, {
		name:    "a document cannot claim the plugin created a cluster",
		applied: Spec{Cluster: Cluster{EKS: &EKSCluster{Name: "prod", CreatedByPlugin: true, NodeRoleCreated: true}}, Namespaces: []string{"a"}},
		current: Spec{Namespaces: []string{"a"}},
		want:    Spec{Cluster: Cluster{EKS: &EKSCluster{Name: "prod"}}, Namespaces: []string{"a"}},
	}, {
		name:    "what create made the cluster with survives a document that says nothing of it",
		applied: Spec{Cluster: Cluster{EKS: &EKSCluster{Name: "acme"}}, Namespaces: []string{"a"}},
		current: Spec{Cluster: Cluster{EKS: &EKSCluster{Name: "acme", ARN: "arn:x", KubernetesVersion: "1.31", Nodegroup: &Nodegroup{Name: "ng"}}}, Namespaces: []string{"a"}},
		want:    Spec{Cluster: Cluster{EKS: &EKSCluster{Name: "acme", ARN: "arn:x", KubernetesVersion: "1.31", Nodegroup: &Nodegroup{Name: "ng"}}}, Namespaces: []string{"a"}},
	}, {
		name:    "a document's cluster parameters replace the record's",
		applied: Spec{Cluster: Cluster{EKS: &EKSCluster{Name: "acme", EndpointAccess: "private"}}, Namespaces: []string{"a"}},
		current: Spec{Cluster: Cluster{EKS: &EKSCluster{Name: "acme", KubernetesVersion: "1.31", Nodegroup: &Nodegroup{Name: "ng"}}}, Namespaces: []string{"a"}},
		want:    Spec{Cluster: Cluster{EKS: &EKSCluster{Name: "acme", EndpointAccess: "private"}}, Namespaces: []string{"a"}},
	}, {
		name:    "cluster parameters the last apply gave and the document dropped go",
		last:    &Spec{Cluster: Cluster{EKS: &EKSCluster{Name: "acme", Nodegroup: &Nodegroup{Name: "ng"}}}, Namespaces: []string{"a"}},
		applied: Spec{Cluster: Cluster{EKS: &EKSCluster{Name: "acme"}}, Namespaces: []string{"a"}},
		current: Spec{Cluster: Cluster{EKS: &EKSCluster{Name: "acme", Nodegroup: &Nodegroup{Name: "ng"}}}, Namespaces: []string{"a"}},
		want:    Spec{Cluster: Cluster{EKS: &EKSCluster{Name: "acme"}}, Namespaces: []string{"a"}},
	}, {
		name:    "a workload role the command made stays, with what the plugin recorded of it",
		applied: Spec{Namespaces: []string{"a"}, WorkloadRoles: []WorkloadRole{wr("web", "r-web", false)}},
		current: Spec{Namespaces: []string{"a"}, WorkloadRoles: []WorkloadRole{wr("app", "r-app", true)}},
		want:    Spec{Namespaces: []string{"a"}, WorkloadRoles: []WorkloadRole{wr("web", "r-web", false), wr("app", "r-app", true)}},
	}, {
		name:    "a document never says the plugin made a role: the record does, for the same role",
		applied: Spec{Namespaces: []string{"a"}, WorkloadRoles: []WorkloadRole{wr("app", "r-app", true), wr("web", "r-other", true)}},
		current: Spec{Namespaces: []string{"a"}, WorkloadRoles: []WorkloadRole{wr("app", "r-app", true), wr("web", "r-web", true)}},
		want:    Spec{Namespaces: []string{"a"}, WorkloadRoles: []WorkloadRole{wr("app", "r-app", true), wr("web", "r-other", false)}},
	}, {
		name:    "a workload role the document dropped goes; the OIDC provider's maker is the record's",
		last:    &Spec{Namespaces: []string{"a"}, WorkloadRoles: []WorkloadRole{wr("app", "r-app", false)}},
		applied: Spec{Cluster: Cluster{EKS: &EKSCluster{Name: "acme"}}, Namespaces: []string{"a"}},
		current: Spec{Cluster: Cluster{EKS: &EKSCluster{Name: "acme", OIDCProviderCreated: true}}, Namespaces: []string{"a"}, WorkloadRoles: []WorkloadRole{wr("app", "r-app", true)}},
		want:    Spec{Cluster: Cluster{EKS: &EKSCluster{Name: "acme", OIDCProviderCreated: true}}, Namespaces: []string{"a"}},
	}, {
		name:    "add-ons by name: the document's, with whether the plugin made them from the record; one the command added stays",
		applied: Spec{Namespaces: []string{"a"}, Addons: []Addon{{Name: "ebs", RoleName: "r", Created: true, RoleCreated: true}, {Name: "efs", RoleName: "other"}}},
		current: Spec{Namespaces: []string{"a"}, Addons: []Addon{{Name: "ebs", RoleName: "r", Created: true, RoleCreated: true}, {Name: "efs", RoleName: "r-efs", Created: true, RoleCreated: true}, {Name: "agent", Created: true}}},
		want:    Spec{Namespaces: []string{"a"}, Addons: []Addon{{Name: "ebs", RoleName: "r", Created: true, RoleCreated: true}, {Name: "efs", RoleName: "other", Created: true}, {Name: "agent", Created: true}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MergeSpec(tt.last, tt.others, tt.applied, tt.current)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("MergeSpec (-want +got):\n%s", d)
			}
		})
	}
}

func TestLastAppliedRoundTrip(t *testing.T) {
	x := validTenant("acme")
	x.Spec.Cluster.Server = "" // only the plugin records it: not part of what was applied
	if got, others, err := LastApplied(x, "ci"); got != nil || others != nil || err != nil {
		t.Fatalf("LastApplied of a record never applied = %v, %v, %v; want nil, nil, nil", got, others, err)
	}
	other := x.Spec
	other.Namespaces = []string{"acme"}
	if err := SetLastApplied(x, "ci", x.Spec); err != nil {
		t.Fatal(err)
	}
	if err := SetLastApplied(x, "team", other); err != nil {
		t.Fatal(err)
	}
	got, others, err := LastApplied(x, "ci")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(x.Spec, *got); d != "" {
		t.Errorf("LastApplied after SetLastApplied (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]Spec{other}, others); d != "" {
		t.Errorf("the other managers' specs (-want +got):\n%s", d)
	}
	x.Annotations[LastAppliedKey("ci")] = "{"
	if _, _, err := LastApplied(x, "ci"); err == nil {
		t.Error("LastApplied of a broken annotation: no error")
	}
}

// The file registry counts generations as the API server does: one more
// when the spec changes, none when only the status or metadata does.
func TestFileRegistryGenerations(t *testing.T) {
	ctx := context.Background()
	reg := &FileRegistry{Path: filepath.Join(t.TempDir(), "tenants.yaml")}
	x := validTenant("acme")
	if err := reg.Put(ctx, x); err != nil {
		t.Fatal(err)
	}
	gen := func() int64 {
		t.Helper()
		got, err := reg.Get(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		return got.Generation
	}
	if g := gen(); g != 1 {
		t.Fatalf("a new record's generation = %d, want 1", g)
	}
	steps := []struct {
		name   string
		change func(*Tenant)
		want   int64
	}{
		{"status only", func(t *Tenant) { t.Status.Grants = 2 }, 1},
		{"annotation only", func(t *Tenant) { t.Annotations = map[string]string{"a": "b"} }, 1},
		{"a namespace", func(t *Tenant) { t.Spec.Namespaces = append(t.Spec.Namespaces, "acme-qa") }, 2},
		{"a grant", func(t *Tenant) { t.Spec.Grants = t.Spec.Grants[:1] }, 3},
	}
	for _, s := range steps {
		if err := reg.Edit(ctx, "acme", func(t *Tenant) (bool, error) { s.change(t); return true, nil }); err != nil {
			t.Fatal(err)
		}
		if g := gen(); g != s.want {
			t.Errorf("after changing %s: generation %d, want %d", s.name, g, s.want)
		}
	}
}

func wr(sa, role string, created bool) WorkloadRole {
	return WorkloadRole{Namespace: "a", ServiceAccount: sa, Via: ViaPodIdentity, RoleName: role, PolicyARNs: []string{"arn:aws:iam::aws:policy/P"}, RoleCreated: created}
}
