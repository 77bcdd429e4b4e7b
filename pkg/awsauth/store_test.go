package awsauth

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/aws-iam-authenticator/pkg/mapper/configmap"

	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

var cp *testenv.ControlPlane

func TestMain(m *testing.M) { os.Exit(testenv.RunWithControlPlane(m, testenv.Options{}, &cp)) }

func seed(t *testing.T, data map[string]string) *Store {
	t.Helper()
	client, err := cp.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_ = client.CoreV1().ConfigMaps(Namespace).Delete(ctx, Name, metav1.DeleteOptions{})
	_ = client.CoreV1().ConfigMaps(Namespace).Delete(ctx, BackupName, metav1.DeleteOptions{})
	if data != nil {
		if _, err := client.CoreV1().ConfigMaps(Namespace).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: Namespace}, Data: data}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return &Store{Client: client}
}

func current(t *testing.T, s *Store) map[string]string {
	t.Helper()
	cm, err := s.Client.CoreV1().ConfigMaps(Namespace).Get(context.Background(), Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cm.Data
}

// Twenty writers at once, each adding its own role: every one lands, and
// what was there before is there byte for byte.
func TestConcurrentAddsAllLand(t *testing.T) {
	s := seed(t, eksData())
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := Mapping{RoleARN: fmt.Sprintf("arn:aws:iam::444455556666:role/r%02d", i), Username: "u", Groups: []string{"kubectl-tenant:acme:view"}}
			_, err := s.Update(context.Background(), func(d map[string]string) (map[string]string, bool, error) { return Add(d, m) })
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	got := current(t, s)
	if !strings.HasPrefix(got["mapRoles"], eksData()["mapRoles"]) || got["mapUsers"] != eksData()["mapUsers"] || got["mapAccounts"] != eksData()["mapAccounts"] {
		t.Errorf("the entries that were there changed:\n%s", got["mapRoles"])
	}
	_, roles, _, err := configmap.ParseMap(got)
	if err != nil || len(roles) != 22 {
		t.Errorf("%d role mappings after 20 concurrent adds, want 22: %v", len(roles), err)
	}
	// Every add kept a backup; the oldest beyond the bound were dropped.
	backups, err := s.Backups(context.Background())
	if err != nil || len(backups) < KeepBackups || len(backups) >= KeepBackups+pruneSlack {
		t.Errorf("%d backups after 20 changes, want %d to %d: %v", len(backups), KeepBackups, KeepBackups+pruneSlack-1, err)
	}
}

func TestMalformedIsRefusedAndUnchanged(t *testing.T) {
	broken := eksData()
	broken["mapRoles"] = "- rolearn: arn:aws:iam::1:role/x\n  username: [unclosed\n"
	s := seed(t, broken)
	_, err := s.Update(context.Background(), func(d map[string]string) (map[string]string, bool, error) { return Add(d, grant) })
	if err == nil || !strings.Contains(err.Error(), "aws-auth does not parse") {
		t.Errorf("editing a malformed aws-auth: %v", err)
	}
	if got := current(t, s); got["mapRoles"] != broken["mapRoles"] {
		t.Error("a malformed aws-auth was changed")
	}
}

func TestRestoreBringsBackThePreviousContent(t *testing.T) {
	s := seed(t, eksData())
	ctx := context.Background()
	if _, err := s.Update(ctx, func(d map[string]string) (map[string]string, bool, error) { return Add(d, grant) }); err != nil {
		t.Fatal(err)
	}
	kept, err := s.Backups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	newest, err := Pick(kept, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(ctx, newest, nil); err != nil {
		t.Fatal(err)
	}
	got := current(t, s)
	for k, v := range eksData() {
		if got[k] != v {
			t.Errorf("%s after restore:\n%q\nwant\n%q", k, got[k], v)
		}
	}
	// The restore itself is undoable: the version with the grant is kept.
	backups, err := s.Backups(ctx)
	if err != nil || len(backups) != 2 || !strings.Contains(backups[0].Data["mapRoles"], "acme-dev") {
		t.Errorf("backups after restore: %d %v", len(backups), err)
	}
}
