package token

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fakeClock) Add(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

var key = Key{Cluster: "acme", Region: "eu-west-1", RoleChain: []Role{{ARN: "arn:aws:iam::111122223333:role/hop"}, {ARN: "arn:aws:iam::444455556666:role/tenant", ExternalID: "x"}}}

func newCache(t *testing.T) (*Cache, *fakeClock) {
	clock := &fakeClock{now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	return &Cache{Dir: t.TempDir() + "/tokens", Clock: clock}, clock
}

func maker(clock *fakeClock, calls *atomic.Int32) func(context.Context) (Entry, error) {
	return func(context.Context) (Entry, error) {
		n := calls.Add(1)
		return Entry{Token: fmt.Sprintf("token-%d", n), Expires: clock.Now().Add(14 * time.Minute)}, nil
	}
}

func TestCacheReusesUntilShortlyBeforeExpiry(t *testing.T) {
	c, clock := newCache(t)
	var calls atomic.Int32
	ctx := context.Background()
	e, err := c.GetOrMake(ctx, key, maker(clock, &calls))
	if err != nil || e.Token != "token-1" {
		t.Fatalf("first: %+v %v", e, err)
	}
	fi, err := os.Stat(c.Path(key))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file mode %v %v, want 0600", fi.Mode(), err)
	}
	clock.Add(12*time.Minute + 59*time.Second) // 1m01s left: reused
	if e, _ := c.GetOrMake(ctx, key, maker(clock, &calls)); e.Token != "token-1" {
		t.Errorf("with 61s left: %s, want the cached token", e.Token)
	}
	clock.Add(2 * time.Second) // 59s left: refreshed
	if e, _ := c.GetOrMake(ctx, key, maker(clock, &calls)); e.Token != "token-2" {
		t.Errorf("with 59s left: %s, want a new token", e.Token)
	}
	clock.Add(time.Hour) // long expired
	if _, ok := c.Get(key); ok {
		t.Error("an expired entry was reused")
	}
}

func TestCacheIgnoresAndReplacesBadFiles(t *testing.T) {
	for name, content := range map[string]string{
		"corrupt":     "{not json",
		"empty":       "",
		"no token":    `{"key":{"cluster":"acme"},"expires":"2099-01-01T00:00:00Z"}`,
		"foreign key": `{"key":{"cluster":"other"},"token":"theirs","expires":"2099-01-01T00:00:00Z"}`,
	} {
		t.Run(name, func(t *testing.T) {
			c, clock := newCache(t)
			if err := os.MkdirAll(c.Dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(c.Path(key), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			var calls atomic.Int32
			e, err := c.GetOrMake(context.Background(), key, maker(clock, &calls))
			if err != nil || e.Token != "token-1" {
				t.Fatalf("over a %s file: %+v %v", name, e, err)
			}
			if got, ok := c.Get(key); !ok || got.Token != "token-1" {
				t.Errorf("the %s file was not replaced: %+v", name, got)
			}
		})
	}
}

func TestCacheKeysAreDistinct(t *testing.T) {
	c, clock := newCache(t)
	var calls atomic.Int32
	other := key
	other.RoleChain = []Role{key.RoleChain[0], {ARN: key.RoleChain[1].ARN, ExternalID: "y"}}
	a, _ := c.GetOrMake(context.Background(), key, maker(clock, &calls))
	b, _ := c.GetOrMake(context.Background(), other, maker(clock, &calls))
	if a.Token == b.Token || c.Path(key) == c.Path(other) {
		t.Errorf("a different external ID shared the token: %s %s", a.Token, b.Token)
	}
}

// Parallel callers make the token once.
func TestCacheMakesOnceUnderConcurrency(t *testing.T) {
	c, clock := newCache(t)
	var calls atomic.Int32
	slow := func(ctx context.Context) (Entry, error) {
		time.Sleep(20 * time.Millisecond)
		return maker(clock, &calls)(ctx)
	}
	var wg sync.WaitGroup
	tokens := make([]string, 10)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := c.GetOrMake(context.Background(), key, slow)
			if err != nil {
				t.Error(err)
			}
			tokens[i] = e.Token
		}()
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("made %d tokens for 10 parallel callers, want 1 (%v)", n, tokens)
	}
}
