package awsauth

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// The ConfigMaps: aws-auth itself and the plugin's backups of it.
const (
	Namespace  = "kube-system"
	Name       = "aws-auth"
	BackupName = "aws-auth-kubectl-tenant-backup"
	// KeepBackups is how many earlier versions the backup holds.
	KeepBackups = 10
)

// Store reads and changes the cluster's aws-auth.
type Store struct {
	Client kubernetes.Interface
	DryRun bool
}

// conflictBackoff retries lost races with other writers, kubectl-tenant
// or not, with jittered waits.
var conflictBackoff = wait.Backoff{Steps: 12, Duration: 20 * time.Millisecond, Factor: 1.6, Jitter: 0.5, Cap: 2 * time.Second}

// Update applies change to aws-auth's data: read, change, write with the
// read's resourceVersion, and on a conflict (someone wrote in between) all
// again. Before a write it keeps the previous data in the backup. An
// aws-auth that does not exist is created (for a cluster whose
// authenticator has none yet). It reports whether anything was written.
func (s *Store) Update(ctx context.Context, change func(map[string]string) (map[string]string, bool, error)) (bool, error) {
	changed := false
	err := retry.RetryOnConflict(conflictBackoff, func() error {
		cms := s.Client.CoreV1().ConfigMaps(Namespace)
		cm, err := cms.Get(ctx, Name, metav1.GetOptions{})
		create := apierrors.IsNotFound(err)
		if create {
			cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: Namespace}}
		} else if err != nil {
			return fmt.Errorf("reading %s/%s: %w", Namespace, Name, err)
		}
		data := cm.Data
		if data == nil {
			data = map[string]string{}
		}
		next, ok, err := change(data)
		if err != nil || !ok {
			return err
		}
		if !create && !s.DryRun {
			if err := s.backup(ctx, data); err != nil {
				return err
			}
		}
		cm.Data = next
		opts := metav1.UpdateOptions{}
		if s.DryRun {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		if create {
			_, err = cms.Create(ctx, cm, metav1.CreateOptions{DryRun: opts.DryRun})
			if apierrors.IsAlreadyExists(err) {
				return apierrors.NewConflict(corev1.Resource("configmaps"), Name, err)
			}
		} else {
			_, err = cms.Update(ctx, cm, opts)
		}
		if err != nil {
			return err
		}
		changed = true
		return nil
	})
	if err != nil && apierrors.IsConflict(err) {
		return false, fmt.Errorf("aws-auth kept changing under us; nothing was written: retry: %w", err)
	}
	return changed, err
}

// Backup is one earlier version of aws-auth's data.
type Backup struct {
	Version string
	Data    map[string]string
}

// backup adds data as the newest version of the backup ConfigMap,
// keeping the last KeepBackups.
func (s *Store) backup(ctx context.Context, data map[string]string) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	return retry.RetryOnConflict(conflictBackoff, func() error {
		cms := s.Client.CoreV1().ConfigMaps(Namespace)
		cm, err := cms.Get(ctx, BackupName, metav1.GetOptions{})
		create := apierrors.IsNotFound(err)
		if create {
			cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: BackupName, Namespace: Namespace,
				Labels: map[string]string{"app.kubernetes.io/managed-by": "kubectl-tenant"}}}
		} else if err != nil {
			return fmt.Errorf("reading the aws-auth backup: %w", err)
		}
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		cm.Data[strconv.FormatInt(time.Now().UnixNano(), 10)] = string(raw)
		versions := sortedVersions(cm.Data)
		for len(versions) > KeepBackups {
			delete(cm.Data, versions[0])
			versions = versions[1:]
		}
		if create {
			_, err = cms.Create(ctx, cm, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				return apierrors.NewConflict(corev1.Resource("configmaps"), BackupName, err)
			}
			return err
		}
		_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
		return err
	})
}

// Backups lists the kept versions, newest first.
func (s *Store) Backups(ctx context.Context) ([]Backup, error) {
	cm, err := s.Client.CoreV1().ConfigMaps(Namespace).Get(ctx, BackupName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the aws-auth backup: %w", err)
	}
	versions := sortedVersions(cm.Data)
	out := make([]Backup, 0, len(versions))
	for i := len(versions) - 1; i >= 0; i-- {
		var data map[string]string
		if err := json.Unmarshal([]byte(cm.Data[versions[i]]), &data); err != nil {
			return nil, fmt.Errorf("backup version %s is damaged: %w", versions[i], err)
		}
		out = append(out, Backup{Version: versions[i], Data: data})
	}
	return out, nil
}

// Restore puts a backed-up version back (the newest when version is
// empty); what it replaces is backed up in turn, so a restore can be
// undone the same way.
func (s *Store) Restore(ctx context.Context, version string) (string, error) {
	backups, err := s.Backups(ctx)
	if err != nil {
		return "", err
	}
	if len(backups) == 0 {
		return "", fmt.Errorf("there is no aws-auth backup (%s/%s) to restore", Namespace, BackupName)
	}
	pick := backups[0]
	if version != "" {
		found := false
		for _, b := range backups {
			if b.Version == version {
				pick, found = b, true
			}
		}
		if !found {
			return "", fmt.Errorf("no aws-auth backup version %q", version)
		}
	}
	_, err = s.Update(ctx, func(map[string]string) (map[string]string, bool, error) {
		return pick.Data, true, nil
	})
	return pick.Version, err
}

func sortedVersions(data map[string]string) []string {
	var v []string
	for k := range data {
		v = append(v, k)
	}
	sort.Slice(v, func(i, j int) bool {
		a, _ := strconv.ParseInt(v[i], 10, 64)
		b, _ := strconv.ParseInt(v[j], 10, 64)
		return a < b
	})
	return v
}
