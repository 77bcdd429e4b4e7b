package kubeconfig

import (
	"context"
	"errors"
	"fmt"

	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/atomicfile"
)

// editSet reads the KUBECONFIG list at paths under the lock of every file
// in it, lets change edit it, and writes the files it changed, unless
// change reports that nothing is to be written (a dry run, or no change).
//
// A dry run (dryRun) reads the files as they are, without taking their
// locks: it leaves no trace, not even a lock file or a directory.
func editSet(ctx context.Context, paths []string, dryRun bool, change func(*Set) (write bool, err error)) error {
	if len(paths) == 0 {
		return errors.New("no kubeconfig file to edit (the KUBECONFIG list is empty)")
	}
	if dryRun {
		set, err := ReadSet(ctx, paths)
		if err != nil {
			return err
		}
		_, err = change(set)
		return err
	}
	abs := make([]string, 0, len(paths))
	for _, p := range paths {
		a, err := AbsPath(p)
		if err != nil {
			return err
		}
		abs = append(abs, a)
	}
	unlock, err := atomicfile.LockAll(ctx, abs)
	if err != nil {
		return err
	}
	defer unlock()
	set, err := ReadSet(ctx, paths)
	if err != nil {
		return err
	}
	write, err := change(set)
	if err != nil || !write {
		return err
	}
	return set.WriteChanged()
}

// RemoveContexts removes the named contexts, and the clusters and users
// only they used, from the files of the KUBECONFIG list at paths. Unknown
// names are an error and nothing is changed; with dryRun nothing is
// written and the result says what would go.
func RemoveContexts(ctx context.Context, paths, names []string, dryRun bool) (*Removed, error) {
	var removed *Removed
	err := editSet(ctx, paths, dryRun, func(set *Set) (bool, error) {
		var err error
		removed, err = set.Remove(names)
		return !dryRun, err
	})
	return removed, err
}

// RemoveTenantContext removes the context name if it is the plugin's for
// tenantName: a context of that name that is the user's own, or that does
// not exist, is left alone. It reports whether it removed it (or, with
// dryRun, would have).
func RemoveTenantContext(ctx context.Context, paths []string, name, tenantName string, dryRun bool) (bool, error) {
	found := false
	err := editSet(ctx, paths, dryRun, func(set *Set) (bool, error) {
		c, _ := set.Context(name)
		if c == nil {
			return false, nil
		}
		if ext, ok := TenantExtensionOf(c.Context); !ok || ext.Tenant != tenantName {
			return false, nil
		}
		found = true
		_, err := set.Remove([]string{name})
		return !dryRun, err
	})
	return found, err
}

// AddOwnedContexts merges the entries of cfg into the KUBECONFIG list at
// paths (under their locks), replacing earlier entries of the same names
// only when they are the plugin's for the same tenant and subject: a
// context of that name that is anyone else's is an error and nothing is
// written. With dryRun everything is checked and nothing written. It
// returns the file the new entries go to.
func AddOwnedContexts(ctx context.Context, paths []string, cfg *clientcmdv1.Config, dryRun bool) (string, error) {
	var into string
	err := editSet(ctx, paths, dryRun, func(set *Set) (bool, error) {
		for _, c := range cfg.Contexts {
			have, f := set.Context(c.Name)
			if have == nil {
				continue
			}
			want, _ := TenantExtensionOf(c.Context)
			got, ok := TenantExtensionOf(have.Context)
			if !ok || got.Tenant != want.Tenant || got.Subject != want.Subject {
				return false, fmt.Errorf("context %q already exists in %s and is not %s's context in tenant %q; choose another name",
					c.Name, f.Path, want.Subject, want.Tenant)
			}
		}
		src := &File{Path: "kubectl-tenant", Config: cfg, Exists: true}
		if _, err := set.Merge([]*File{src}, MergeOptions{OnConflict: OnConflictOverwrite}); err != nil {
			return false, err
		}
		into = set.Files[0].Path
		return !dryRun, nil
	})
	return into, err
}

// WriteFile makes the file at path hold cfg and nothing else, under the
// file's lock; an existing file's content is kept in path+BackupSuffix. A
// file that is there but is not a kubeconfig is refused. It reports
// whether a file was replaced.
func WriteFile(ctx context.Context, path string, cfg *clientcmdv1.Config) (replaced bool, err error) {
	path, err = AbsPath(path)
	if err != nil {
		return false, err
	}
	unlock, err := atomicfile.Lock(ctx, path)
	if err != nil {
		return false, err
	}
	defer unlock()
	f, err := ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("not overwriting %s: %w; choose another file", path, err)
	}
	replaced = f.Exists
	f.Config = cfg
	return replaced, Write(f)
}

// MergeFiles reads the kubeconfig files named by files, which must all
// exist, and merges them into the KUBECONFIG list at targets (MergeInto).
// The incoming files are read before the targets are locked, so the lock
// is held only for the read-merge-write of the targets. It returns the
// changes, the file new entries go to, and how many files were merged.
func MergeFiles(ctx context.Context, targets, files []string, opts MergeOptions, dryRun bool) ([]Change, string, int, error) {
	sources, err := ReadFiles(ctx, files)
	if err != nil {
		return nil, "", 0, err
	}
	for _, f := range sources {
		if !f.Exists {
			return nil, "", 0, fmt.Errorf("kubeconfig %s does not exist", f.Path)
		}
	}
	changes, into, err := MergeInto(ctx, targets, sources, opts, dryRun)
	return changes, into, len(sources), err
}

// MergeInto merges sources into the KUBECONFIG list at targets (see
// Set.Merge), under the lock of every target file; with dryRun nothing is
// written (nor locked). It returns the changes and the file new entries go to.
func MergeInto(ctx context.Context, targets []string, sources []*File, opts MergeOptions, dryRun bool) ([]Change, string, error) {
	var changes []Change
	var into string
	err := editSet(ctx, targets, dryRun, func(set *Set) (bool, error) {
		var err error
		changes, err = set.Merge(sources, opts)
		into = set.Files[0].Path
		return !dryRun, err
	})
	return changes, into, err
}
