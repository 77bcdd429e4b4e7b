package tenant

import (
	"context"
	"errors"
	"fmt"
	"sort"
)

// Registry keeps tenant records. The file store is the default; a store
// in a management cluster comes later behind the same interface.
type Registry interface {
	// CheckWrite reports whether t could be recorded now, and writes
	// nothing: a command that makes something outside the registry (an
	// EKS cluster) asks before it does, so that it does not make what it
	// then cannot record.
	CheckWrite(ctx context.Context, t *Tenant) error
	// Get returns the named tenant, or an error matching ErrNotFound.
	Get(ctx context.Context, name string) (*Tenant, error)
	// List returns every tenant, sorted by name.
	List(ctx context.Context) ([]Tenant, error)
	// Put creates or replaces a tenant; it is validated first.
	Put(ctx context.Context, t *Tenant) error
	// Create records a new tenant, validated first, or returns an error
	// matching ErrExists when one of that name is recorded (by someone
	// else meanwhile): a first apply does not replace another's.
	Create(ctx context.Context, t *Tenant) error
	// Delete removes a tenant; deleting one that is not there is not an error.
	Delete(ctx context.Context, name string) error
	// Edit runs change on the named tenant's current record while no one
	// else can change the registry, and stores the record when change
	// reports a change, even when it also returns an error (a command
	// that failed half-way records what it did). Commands that act on a
	// cluster do so inside change, so two never act on stale records.
	Edit(ctx context.Context, name string, change func(*Tenant) (bool, error)) error
}

// ErrNotFound is returned for a tenant the registry does not hold.
var ErrNotFound = errors.New("tenant not found")

// ErrExists is returned by Create for a tenant the registry holds.
var ErrExists = errors.New("tenant already recorded")

// NotFoundError names the missing tenant and the known ones.
type NotFoundError struct {
	Name  string
	Known []string
}

func (e *NotFoundError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("no tenant named %q: the registry is empty; create one with 'kubectl tenant create %s --from-context CONTEXT'", e.Name, e.Name)
	}
	return fmt.Sprintf("no tenant named %q; known tenants: %v", e.Name, e.Known)
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// EditOrPreview runs change on tenant current's record: through reg.Edit,
// or for a dry run on a copy of current that is never stored.
func EditOrPreview(ctx context.Context, reg Registry, current *Tenant, dryRun bool, change func(*Tenant) (bool, error)) error {
	if dryRun {
		_, err := change(current.DeepCopy())
		return err
	}
	return reg.Edit(ctx, current.Name, change)
}
