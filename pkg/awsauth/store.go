package awsauth

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
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
	// Warn, when set, hears once about each key of the data read that
	// aws-iam-authenticator ignores (IgnoredKeys).
	Warn io.Writer

	warned bool
}

// warn tells Warn, once, about the keys of data the authenticator ignores.
func (s *Store) warn(data map[string]string) {
	if s.Warn == nil || s.warned {
		return
	}
	s.warned = true
	for _, msg := range IgnoredKeys(data) {
		fmt.Fprintf(s.Warn, "warning: %s\n", msg)
	}
}

// conflictBackoff retries lost races with other writers, kubectl-tenant
// or not: up to 100 tries, each after a wait drawn from 20-100 ms, so that
// every one of many writers gets its turn (with N writers the last may
// lose N-1 times). The wait does not grow: wait.Backoff ends the retries
// once a growing wait reaches its Cap, which left ten tries and lost
// grants among 20 concurrent ones on a loaded machine.
var conflictBackoff = wait.Backoff{Steps: 100, Duration: 20 * time.Millisecond, Factor: 1, Jitter: 4}

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
		s.warn(data)
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

// backup adds data as the newest version of the backup ConfigMap. A
// version is the data as gzipped JSON under a binaryData key of the time
// in nanoseconds: 2,000 mappings take about 20 KiB that way, so ten
// versions fit a ConfigMap with room to spare. It is one merge patch and
// no read; only once the backup holds KeepBackups+pruneSlack versions does
// a second patch drop the oldest.
func (s *Store) backup(ctx context.Context, data map[string]string) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	cms := s.Client.CoreV1().ConfigMaps(Namespace)
	patch, err := json.Marshal(map[string]any{"binaryData": map[string][]byte{backupKey(time.Now()): buf.Bytes()}})
	if err != nil {
		return err
	}
	cm, err := cms.Patch(ctx, BackupName, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: fieldManager})
	if apierrors.IsNotFound(err) {
		cm, err = cms.Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: BackupName, Namespace: Namespace, Labels: map[string]string{"app.kubernetes.io/managed-by": "kubectl-tenant"}},
			BinaryData: map[string][]byte{backupKey(time.Now()): buf.Bytes()},
		}, metav1.CreateOptions{FieldManager: fieldManager})
		if apierrors.IsAlreadyExists(err) { // another writer made it first
			cm, err = cms.Patch(ctx, BackupName, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: fieldManager})
		}
	}
	if err != nil {
		return fmt.Errorf("keeping the previous aws-auth in %s/%s (nothing was changed): %w", Namespace, BackupName, err)
	}
	versions := sortedVersions(cm.BinaryData)
	if len(versions) < KeepBackups+pruneSlack {
		return nil
	}
	drop := map[string]any{}
	for _, v := range versions[:len(versions)-KeepBackups] {
		drop[v] = nil
	}
	patch, err = json.Marshal(map[string]any{"binaryData": drop})
	if err != nil {
		return err
	}
	if _, err := cms.Patch(ctx, BackupName, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: fieldManager}); err != nil {
		return fmt.Errorf("dropping old aws-auth backups: %w", err)
	}
	return nil
}

// pruneSlack is how many versions beyond KeepBackups the backup may hold
// before the oldest are dropped, so that most changes cost one patch.
const pruneSlack = 5

const fieldManager = "kubectl-tenant"

func backupKey(t time.Time) string { return strconv.FormatInt(t.UnixNano(), 10) + ".json.gz" }

// Backups lists the kept versions, newest first.
func (s *Store) Backups(ctx context.Context) ([]Backup, error) {
	cm, err := s.Client.CoreV1().ConfigMaps(Namespace).Get(ctx, BackupName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the aws-auth backup: %w", err)
	}
	versions := sortedVersions(cm.BinaryData)
	out := make([]Backup, 0, len(versions))
	for i := len(versions) - 1; i >= 0; i-- {
		data, err := decodeBackup(cm.BinaryData[versions[i]])
		if err != nil {
			return nil, fmt.Errorf("backup version %s is damaged: %w", versions[i], err)
		}
		out = append(out, Backup{Version: strings.TrimSuffix(versions[i], ".json.gz"), Data: data})
	}
	return out, nil
}

func decodeBackup(raw []byte) (map[string]string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	var data map[string]string
	if err := json.NewDecoder(zr).Decode(&data); err != nil {
		return nil, err
	}
	return data, nil
}

// Pick returns the backup of the version (the newest when version is
// empty) from backups, newest first as Backups lists them.
func Pick(backups []Backup, version string) (Backup, error) {
	if len(backups) == 0 {
		return Backup{}, fmt.Errorf("there is no aws-auth backup (%s/%s) to restore", Namespace, BackupName)
	}
	if version == "" {
		return backups[0], nil
	}
	for _, b := range backups {
		if b.Version == version {
			return b, nil
		}
	}
	return Backup{}, fmt.Errorf("no aws-auth backup version %q", version)
}

// Restore puts a backed-up version back. check, when given, sees the
// current data of the same read the write is based on, and can refuse.
// What the restore replaces is backed up in turn, so a restore can be
// undone the same way.
func (s *Store) Restore(ctx context.Context, b Backup, check func(current map[string]string) error) error {
	_, err := s.Update(ctx, func(current map[string]string) (map[string]string, bool, error) {
		if check != nil {
			if err := check(current); err != nil {
				return nil, false, err
			}
		}
		return b.Data, true, nil
	})
	return err
}

// sortedVersions are the backup's keys, oldest first.
func sortedVersions(data map[string][]byte) []string {
	var v []string
	for k := range data {
		v = append(v, k)
	}
	sort.Slice(v, func(i, j int) bool {
		a, _ := strconv.ParseInt(strings.TrimSuffix(v[i], ".json.gz"), 10, 64)
		b, _ := strconv.ParseInt(strings.TrimSuffix(v[j], ".json.gz"), 10, 64)
		return a < b
	})
	return v
}

// Read returns aws-auth's data; an aws-auth that does not exist reads as
// empty.
func (s *Store) Read(ctx context.Context) (map[string]string, error) {
	cm, err := s.Client.CoreV1().ConfigMaps(Namespace).Get(ctx, Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s/%s: %w", Namespace, Name, err)
	}
	if cm.Data == nil {
		return map[string]string{}, nil
	}
	s.warn(cm.Data)
	return cm.Data, nil
}
