package accounts_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/accounts"
	"switchboard/accounts/sqlite"
	"switchboard/tools"
)

// TestSessionsInUseAreNotSwept pins that reading a session through the
// Service keeps it alive: a session read within every idle TTL survives the
// sweep, one left alone does not, and reads between keep-alives write
// nothing.
func TestSessionsInUseAreNotSwept(t *testing.T) {
	catalog, err := tools.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	keys, err := accounts.ParseKeyRing("k1:" + strings.Repeat("T", 43) + "=")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tick := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	const idle = 8 * time.Hour
	svc, err := accounts.NewService(accounts.Config{
		Store: store, Keys: keys, Catalog: catalog, Executor: tools.NewExecutor(catalog, tools.ExecutorOptions{}),
		PublicURL: "http://switchboard.test", Now: clock, Retention: accounts.Retention{SessionIdle: idle},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	used, err := svc.CreateSession(ctx, accounts.SessionOptions{UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	left, err := svc.CreateSession(ctx, accounts.SessionOptions{UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}

	tick(30 * time.Minute) // under an eighth of the TTL: a read writes nothing
	if _, err := svc.Session(ctx, used.ID, "alice", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.Session(ctx, used.ID); !got.UpdatedAt.Equal(used.UpdatedAt) {
		t.Errorf("UpdatedAt moved to %v after a read %v later; want no write that soon", got.UpdatedAt, 30*time.Minute)
	}
	for range 4 { // 4 × 3h: past the TTL since creation, but read all along
		tick(3 * time.Hour)
		if _, err := svc.Session(ctx, used.ID, "alice", ""); err != nil {
			t.Fatal(err)
		}
	}
	n, err := svc.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Sessions != 1 {
		t.Errorf("swept %d sessions, want 1 (the one left alone)", n.Sessions)
	}
	if _, err := store.Session(ctx, used.ID); err != nil {
		t.Errorf("the session in use was swept: %v", err)
	}
	if _, err := store.Session(ctx, left.ID); err == nil {
		t.Error("the idle session survived the sweep")
	}
}
