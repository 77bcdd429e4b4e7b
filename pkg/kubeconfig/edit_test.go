package kubeconfig

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
)

// A dry run of every edit leaves the file system as it was: no kubeconfig,
// no lock file, and no directory made for either, even where the
// kubeconfig's directory does not exist yet (a clean HOME's ~/.kube).
func TestDryRunEditsLeaveNoTrace(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "kube", "config") // its directory does not exist
	present := filepath.Join(dir, "config")
	if err := os.WriteFile(present, []byte(first), 0o600); err != nil {
		t.Fatal(err)
	}
	incoming := &clientcmdv1.Config{
		Clusters:  []clientcmdv1.NamedCluster{{Name: "c", Cluster: clientcmdv1.Cluster{Server: "https://c.example"}}},
		AuthInfos: []clientcmdv1.NamedAuthInfo{{Name: "u", AuthInfo: clientcmdv1.AuthInfo{Token: "x"}}},
		Contexts:  []clientcmdv1.NamedContext{{Name: "new", Context: clientcmdv1.Context{Cluster: "c", AuthInfo: "u"}}},
	}
	for _, paths := range [][]string{{missing}, {present}} {
		if _, err := AddOwnedContexts(ctx, paths, incoming, true); err != nil {
			t.Fatalf("AddOwnedContexts %v, dry run: %v", paths, err)
		}
		if _, _, err := MergeInto(ctx, paths, []*File{{Path: "in", Config: incoming, Exists: true}}, MergeOptions{}, true); err != nil {
			t.Fatalf("MergeInto %v, dry run: %v", paths, err)
		}
		if _, err := RemoveTenantContext(ctx, paths, "one", "acme", true); err != nil {
			t.Fatalf("RemoveTenantContext %v, dry run: %v", paths, err)
		}
	}
	if _, err := RemoveContexts(ctx, []string{present}, []string{"one"}, true); err != nil {
		t.Fatalf("RemoveContexts, dry run: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "config" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("after dry runs the directory holds %v, want only config", names)
	}
	if got, err := os.ReadFile(present); err != nil || string(got) != first {
		t.Errorf("a dry run changed %s: %v\n%s", present, err, got)
	}
	if _, err := AddOwnedContexts(ctx, nil, incoming, true); err == nil {
		t.Error("AddOwnedContexts with no kubeconfig file: no error")
	}
}
