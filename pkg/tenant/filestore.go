package tenant

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/atomicfile"
)

// DefaultRegistryPath is the registry file when no other registry is
// named: ${XDG_CONFIG_HOME:-~/.config}/kubectl-tenant/tenants.yaml.
func DefaultRegistryPath() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("finding the registry: %w; set XDG_CONFIG_HOME or --registry", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "kubectl-tenant", "tenants.yaml"), nil
}

// FileRegistry keeps tenants in one YAML file (a TenantList). Every change
// is a read-modify-write under the file's lock, written atomically with
// mode 0600, so concurrent commands do not lose each other's changes.
type FileRegistry struct {
	Path string
}

var _ Registry = (*FileRegistry)(nil)

// Get implements Registry.
func (r *FileRegistry) Get(ctx context.Context, name string) (*Tenant, error) {
	list, err := r.read()
	if err != nil {
		return nil, err
	}
	for i := range list.Items {
		if list.Items[i].Name == name {
			return list.Items[i].DeepCopy(), nil
		}
	}
	return nil, &NotFoundError{Name: name, Known: names(list)}
}

// List implements Registry.
func (r *FileRegistry) List(ctx context.Context) ([]Tenant, error) {
	list, err := r.read()
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// Put implements Registry.
func (r *FileRegistry) Put(ctx context.Context, t *Tenant) error {
	if errs := Validate(t); len(errs) > 0 {
		return fmt.Errorf("tenant %q is not valid: %w", t.Name, errs.ToAggregate())
	}
	stored := t.DeepCopy()
	stored.APIVersion, stored.Kind = APIVersion, Kind
	return r.update(ctx, func(list *List) (bool, error) {
		for i := range list.Items {
			if list.Items[i].Name == t.Name {
				stored.Generation = nextGeneration(&list.Items[i], stored)
				list.Items[i] = *stored
				return true, nil
			}
		}
		stored.Generation = 1
		list.Items = append(list.Items, *stored)
		return true, nil
	})
}

// CheckWrite implements Registry: t is valid, and the registry's
// directory, or the nearest one that exists to be made in, takes a new
// file (how every write is made: a temporary file renamed over the
// registry). Nothing is left behind.
func (r *FileRegistry) CheckWrite(_ context.Context, t *Tenant) error {
	if errs := Validate(t); len(errs) > 0 {
		return fmt.Errorf("tenant %q is not valid: %w", t.Name, errs.ToAggregate())
	}
	dir := filepath.Dir(r.Path)
	for {
		fi, err := os.Stat(dir)
		if err == nil && !fi.IsDir() {
			return fmt.Errorf("the registry %s cannot be written: %s is not a directory", r.Path, dir)
		}
		if err == nil || filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir)
	}
	f, err := os.CreateTemp(dir, ".kubectl-tenant-check-*")
	if err != nil {
		return fmt.Errorf("the registry %s cannot be written: %w", r.Path, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// Create implements Registry.
func (r *FileRegistry) Create(ctx context.Context, t *Tenant) error {
	if errs := Validate(t); len(errs) > 0 {
		return fmt.Errorf("tenant %q is not valid: %w", t.Name, errs.ToAggregate())
	}
	stored := t.DeepCopy()
	stored.APIVersion, stored.Kind, stored.Generation = APIVersion, Kind, 1
	return r.update(ctx, func(list *List) (bool, error) {
		for i := range list.Items {
			if list.Items[i].Name == t.Name {
				return false, fmt.Errorf("tenant %q: %w", t.Name, ErrExists)
			}
		}
		list.Items = append(list.Items, *stored)
		return true, nil
	})
}

// Delete implements Registry.
func (r *FileRegistry) Delete(ctx context.Context, name string) error {
	return r.update(ctx, func(list *List) (bool, error) {
		kept := list.Items[:0]
		for _, t := range list.Items {
			if t.Name != name {
				kept = append(kept, t)
			}
		}
		list.Items = kept
		return true, nil
	})
}

// Edit implements Registry.
func (r *FileRegistry) Edit(ctx context.Context, name string, change func(*Tenant) (bool, error)) error {
	return r.update(ctx, func(list *List) (bool, error) {
		for i := range list.Items {
			if list.Items[i].Name != name {
				continue
			}
			t := list.Items[i].DeepCopy()
			changed, err := change(t)
			if !changed {
				return false, err
			}
			if errs := Validate(t); len(errs) > 0 {
				return false, errors.Join(err, fmt.Errorf("tenant %q is not valid: %w", t.Name, errs.ToAggregate()))
			}
			t.APIVersion, t.Kind = APIVersion, Kind
			t.Generation = nextGeneration(&list.Items[i], t)
			list.Items[i] = *t
			return true, err
		}
		return false, &NotFoundError{Name: name, Known: names(list)}
	})
}

func (r *FileRegistry) update(ctx context.Context, change func(*List) (bool, error)) error {
	unlock, err := atomicfile.Lock(ctx, r.Path)
	if err != nil {
		return err
	}
	defer unlock()
	list, err := r.read()
	if err != nil {
		return err
	}
	// A change that fails half-way may still have changed the list: what
	// it did is stored, and its error returned.
	changed, changeErr := change(list)
	if !changed {
		return changeErr
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	data, err := yaml.Marshal(list)
	if err != nil {
		return fmt.Errorf("encoding the registry: %w", err)
	}
	target, err := atomicfile.ResolveLink(r.Path)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(target, data); err != nil {
		return errors.Join(changeErr, fmt.Errorf("writing the registry %s: %w", r.Path, err))
	}
	return changeErr
}

// read parses the registry strictly: a field this version does not know
// is an error rather than something a later write would silently drop.
func (r *FileRegistry) read() (*List, error) {
	list := &List{}
	list.APIVersion, list.Kind = APIVersion, ListKind
	data, err := os.ReadFile(r.Path)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(bytes.TrimSpace(data)) == 0 {
		return list, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the registry: %w", err)
	}
	if err := yaml.UnmarshalStrict(data, list); err != nil {
		return nil, fmt.Errorf("the registry %s is not valid (%v); fix or move it (a newer kubectl-tenant may have written it)", r.Path, err)
	}
	if list.APIVersion != APIVersion || list.Kind != ListKind {
		return nil, fmt.Errorf("the registry %s holds %s %s, want %s %s", r.Path, list.APIVersion, list.Kind, APIVersion, ListKind)
	}
	return list, nil
}

// nextGeneration is the generation of next, which replaces stored: one
// more when the spec changed, as the API server counts a custom
// resource's generations, so that status.observedGeneration means the
// same in either registry.
func nextGeneration(stored, next *Tenant) int64 {
	if SameSpec(stored.Spec, next.Spec) {
		return max(stored.Generation, 1)
	}
	return max(stored.Generation, 0) + 1
}

func names(list *List) []string {
	out := make([]string, len(list.Items))
	for i, t := range list.Items {
		out[i] = t.Name
	}
	return out
}

// OpenRegistry opens the file registry at path, or at
// DefaultRegistryPath when path is empty.
func OpenRegistry(path string) (Registry, error) {
	if path == "" {
		var err error
		if path, err = DefaultRegistryPath(); err != nil {
			return nil, err
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return &FileRegistry{Path: abs}, nil
}
