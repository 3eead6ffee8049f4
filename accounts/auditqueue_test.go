package accounts_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"switchboard/accounts"
	"switchboard/accounts/sqlite"
	"switchboard/internal/fakeupstream"
	"switchboard/tools"
)

// batchCounter is a store that counts AppendAudit's batches and entries.
type batchCounter struct {
	accounts.Store
	mu               sync.Mutex
	batches, entries int
}

func (b *batchCounter) AppendAudit(ctx context.Context, entries []*accounts.AuditEntry) error {
	b.mu.Lock()
	b.batches++
	b.entries += len(entries)
	b.mu.Unlock()
	return b.Store.AppendAudit(ctx, entries)
}

// TestAuditEntriesFlushedBeforeReading pins the audit queue: concurrent
// calls each leave their entry, written exactly once (in batches when the
// calls overlap; how many is logged, as it depends on timing), and a
// reader of the trail sees every call that answered before it asked.
func TestAuditEntriesFlushedBeforeReading(t *testing.T) {
	gh := fakeupstream.NewGitHub()
	defer gh.Close()
	gh.AddUser("ghp_queue", "queue-user", 7)
	catalog, err := tools.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store := &batchCounter{Store: db}
	keys, _ := accounts.ParseKeyRing("k1:" + strings.Repeat("Q", 43) + "=")
	svc, err := accounts.NewService(accounts.Config{Store: store, Keys: keys, Catalog: catalog, PublicURL: "http://switchboard.test",
		Executor: tools.NewExecutor(catalog, tools.ExecutorOptions{BaseURLs: map[string]string{"github": gh.URL()}})})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sc := aliceScope(t, svc)
	auth, err := svc.Authorize(ctx, sc, accounts.AuthorizeRequest{Toolkit: "github"})
	if err != nil {
		t.Fatal(err)
	}
	_, token, _ := strings.Cut(auth.URL, "/connect/")
	if _, err := svc.CompleteWithSecret(ctx, token, "ghp_queue", ""); err != nil {
		t.Fatal(err)
	}
	const calls = 64
	var wg sync.WaitGroup
	for range calls {
		wg.Go(func() {
			if _, err := svc.Call(ctx, sc, catalog.Tool("GITHUB_GET_AUTHENTICATED_USER"), map[string]any{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	list, _, err := svc.Audit(ctx, accounts.AuditQuery{UserID: "alice", Limit: accounts.MaxAuditLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != calls {
		t.Errorf("the trail holds %d entries right after %d calls", len(list), calls)
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	if store.entries != calls {
		t.Errorf("%d entries written in %d transactions; want %d", store.entries, store.batches, calls)
	}
	t.Logf("%d entries in %d transactions", store.entries, store.batches)
}
