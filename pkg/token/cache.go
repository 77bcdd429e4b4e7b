package token

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/atomicfile"
)

// Key is what a cached token was made for, and as whom: two keys that
// differ in anything get different tokens.
type Key struct {
	Cluster string `json:"cluster"`
	Region  string `json:"region"`
	// RoleChain is the roles assumed in order, each with its external ID.
	RoleChain []Role `json:"roleChain"`
	// Profile is the AWS profile the source credentials came from.
	Profile string `json:"profile,omitempty"`
	// Source names the source credentials the environment gives
	// (SourceIdentity), so that a token minted as one identity is never
	// served to another.
	Source string `json:"source,omitempty"`
}

// Role is one hop of a role chain.
type Role struct {
	ARN        string `json:"arn"`
	ExternalID string `json:"externalID,omitempty"`
}

// file names the key's cache file: a hash, so that no ARN or external ID
// appears in a file name.
func (k Key) file() string {
	data, _ := json.Marshal(k)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16]) + ".json"
}

func (k Key) equal(o Key) bool {
	return k.Cluster == o.Cluster && k.Region == o.Region && k.Profile == o.Profile && k.Source == o.Source && slices.Equal(k.RoleChain, o.RoleChain)
}

// Entry is a cached token.
type Entry struct {
	Key     Key       `json:"key"`
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// Clock tells the time; tests use a fake one to test expiry.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// RefreshBefore is how long before its expiry a token stops being reused,
// so that kubectl never sends one that expires in flight.
const RefreshBefore = time.Minute

// Cache keeps tokens in files of their own under Dir, with mode 0600,
// written atomically. Reading takes no lock; making a token does, so that
// kubectl calls in parallel make it once.
type Cache struct {
	Dir   string
	Clock Clock
}

// DefaultCacheDir is ${XDG_CACHE_HOME:-~/.cache}/kubectl-tenant/tokens.
func DefaultCacheDir() (string, error) {
	dir := os.Getenv("XDG_CACHE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("finding the token cache: %w", err)
		}
		dir = filepath.Join(home, ".cache")
	}
	return filepath.Join(dir, "kubectl-tenant", "tokens"), nil
}

func (c *Cache) now() time.Time {
	if c.Clock == nil {
		return systemClock{}.Now()
	}
	return c.Clock.Now()
}

// Path is the file that holds the key's token.
func (c *Cache) Path(k Key) string { return filepath.Join(c.Dir, k.file()) }

// Get returns the key's token if one is cached and valid for longer than
// RefreshBefore. A missing, unreadable, corrupt or foreign file is a miss,
// never an error: the caller makes a new token, which replaces it.
func (c *Cache) Get(k Key) (Entry, bool) {
	data, err := os.ReadFile(c.Path(k))
	if err != nil {
		return Entry{}, false
	}
	var e Entry
	if err := json.Unmarshal(data, &e); err != nil || e.Token == "" || !e.Key.equal(k) {
		return Entry{}, false
	}
	if !c.now().Before(e.Expires.Add(-RefreshBefore)) {
		return Entry{}, false
	}
	return e, true
}

// Put stores an entry for its key.
func (c *Cache) Put(e Entry) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("creating the token cache: %w", err)
	}
	return atomicfile.Write(c.Path(e.Key), data)
}

// GetOrMake returns the cached token for the key, or makes one with mint,
// caches it and returns it. Making happens under the key's lock, and the
// cache is read again once the lock is held: of several processes asking
// at once, one makes the token and the others reuse it. A token that
// cannot be cached is still returned.
func (c *Cache) GetOrMake(ctx context.Context, k Key, mint func(context.Context) (Entry, error)) (Entry, error) {
	if e, ok := c.Get(k); ok {
		return e, nil
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return Entry{}, fmt.Errorf("creating the token cache: %w", err)
	}
	unlock, err := atomicfile.Lock(ctx, c.Path(k))
	if err != nil {
		return Entry{}, err
	}
	defer unlock()
	if e, ok := c.Get(k); ok {
		return e, nil
	}
	e, err := mint(ctx)
	if err != nil {
		return Entry{}, err
	}
	e.Key = k
	if e.Token == "" {
		return Entry{}, errors.New("made an empty token")
	}
	if err := c.Put(e); err != nil {
		return e, nil // the token is good; caching it is an optimisation
	}
	return e, nil
}
