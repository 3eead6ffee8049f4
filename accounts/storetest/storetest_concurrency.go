package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	"switchboard/accounts"
)

func testPersistence(t *testing.T, s suite) {
	dir := t.TempDir()
	st, closeFirst := s.openAt(t, dir)
	p := startAuth(t, st, "alice", "github")
	c := p.completion("octocat")
	if err := st.Complete(t.Context(), c); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	none := newSession("alice")
	none.Toolkits = []string{}
	if err := st.CreateSession(t.Context(), none); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	before, err := st.Accounts(t.Context(), "alice", "")
	if err != nil {
		t.Fatalf("Accounts: %v", err)
	}
	closeFirst()

	st, _ = s.openAt(t, dir)
	wantCompleted(t, st, p, c)
	after, err := st.Accounts(t.Context(), "alice", "")
	if err != nil {
		t.Fatalf("Accounts after reopen: %v", err)
	}
	wantSame(t, "accounts after reopen", before, after)
	if got := mustSession(t, st, none.ID); got.Toolkits == nil {
		t.Error("a session allowing no toolkits allows every toolkit after reopen")
	}

	// Seq goes on from where the first store stopped.
	a := newAccount("alice", "github")
	createAccounts(t, st, a)
	if last := before[len(before)-1].Seq; a.Seq <= last {
		t.Errorf("Seq after reopen = %d, want > %d", a.Seq, last)
	}
}

// writeConcurrently has n goroutines each create an account of its own
// toolkit in st, with a credential, and select it in the session; it
// returns the accounts in goroutine order. The same alias on every toolkit
// collides with nothing.
func writeConcurrently(tb testing.TB, st accounts.Store, sessionID, prefix string, n int) []*accounts.Account {
	tb.Helper()
	created := make([]*accounts.Account, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ctx := tb.Context()
			a := newAccount("alice", fmt.Sprintf("%s%02d", prefix, i))
			a.Alias = "work"
			errs[i] = errors.Join(
				st.CreateAccount(ctx, a),
				st.SetCredential(ctx, "alice", a.ID, []byte("sealed "+a.ID)),
				st.SelectAccount(ctx, sessionID, a.Toolkit, a.ID))
			created[i] = a
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			tb.Errorf("writer %d: %v", i, err)
		}
	}
	return created
}

// wantWritten fails tb unless st holds every account in created, with its
// credential and its selection in the session, and Seqs are distinct.
func wantWritten(tb testing.TB, st accounts.Store, sessionID string, created []*accounts.Account) {
	tb.Helper()
	list, err := st.Accounts(tb.Context(), "alice", "")
	if err != nil {
		tb.Fatalf("Accounts: %v", err)
	}
	byID := cmpopts.SortSlices(func(a, b *accounts.Account) bool { return a.ID < b.ID })
	wantSame(tb, "accounts", created, list, byID)
	for i := 1; i < len(list); i++ {
		if list[i].Seq <= list[i-1].Seq {
			tb.Errorf("Seq %d follows %d", list[i].Seq, list[i-1].Seq)
		}
	}
	selected := mustSession(tb, st, sessionID).Selected
	for _, a := range created {
		wantCredential(tb, st, "alice", a.ID, []byte("sealed "+a.ID))
		if selected[a.Toolkit] != a.ID {
			tb.Errorf("session selects %q for %s, want %q", selected[a.Toolkit], a.Toolkit, a.ID)
		}
	}
}

func testConcurrentWriters(t *testing.T, s suite) {
	st := s.store(t)
	sess := newSession("alice")
	if err := st.CreateSession(t.Context(), sess); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	created := writeConcurrently(t, st, sess.ID, "toolkit", 20)
	wantWritten(t, st, sess.ID, created)
}

// testTwoHandles models two processes on one data dir, such as two stdio
// servers started by two desktop clients.
func testTwoHandles(t *testing.T, s suite) {
	dir := t.TempDir()
	first, _ := s.openAt(t, dir)
	second, _ := s.openAt(t, dir)
	ctx := t.Context()

	a := newAccount("alice", "github")
	createAccounts(t, first, a)
	wantSame(t, "account written by the other handle", a, mustAccount(t, second, "alice", a.ID))
	if err := second.SetCredential(ctx, "alice", a.ID, []byte("sealed "+a.ID)); err != nil {
		t.Fatalf("SetCredential: %v", err)
	}
	wantCredential(t, first, "alice", a.ID, []byte("sealed "+a.ID))

	sess := newSession("alice")
	if err := first.CreateSession(ctx, sess); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	var created []*accounts.Account
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, st := range []accounts.Store{first, second} {
		wg.Go(func() {
			list := writeConcurrently(t, st, sess.ID, fmt.Sprintf("handle%d_", i), 10)
			mu.Lock()
			defer mu.Unlock()
			created = append(created, list...)
		})
	}
	wg.Wait()
	created = append(created, a)
	if err := first.SelectAccount(ctx, sess.ID, "github", a.ID); err != nil {
		t.Fatalf("SelectAccount: %v", err)
	}
	for _, st := range []accounts.Store{first, second} {
		wantWritten(t, st, sess.ID, created)
	}

	p := startAuth(t, first, "alice", "gmail")
	errs := make([]error, 2)
	for i, st := range []accounts.Store{first, second} {
		wg.Go(func() { errs[i] = st.Complete(ctx, p.completion(fmt.Sprint("handle", i))) })
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Errorf("Complete on both handles = %v, %v; want exactly one success", errs[0], errs[1])
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, accounts.ErrLinkUsed) {
			t.Errorf("losing Complete = %v, want ErrLinkUsed", err)
		}
	}
}
