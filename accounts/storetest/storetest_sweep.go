package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"switchboard/accounts"
)

// sweepPolicy keeps everything for a day.
var sweepPolicy = accounts.Retention{Links: 24 * time.Hour, Failed: 24 * time.Hour, SessionIdle: 24 * time.Hour, Audit: 24 * time.Hour}

// sweepFixture is a store holding one row of every kind Sweep decides on,
// as of now: two days after t0.
type sweepFixture struct {
	now                                  time.Time
	active, failedOld, failedNew         *accounts.Account
	initiatedOld, initiatedLive, expired *accounts.Account
	oldLink, recentLink, liveLink        *accounts.Link
	idle, fresh, ended, endsLater        *accounts.Session
	idleWithExpiry                       *accounts.Session
	oldAudit, recentAudit                *accounts.AuditEntry
	lapsed, live                         *accounts.Confirmation
}

func newSweepFixture(tb testing.TB, st accounts.Store) *sweepFixture {
	tb.Helper()
	ctx := tb.Context()
	f := &sweepFixture{now: t0.Add(48 * time.Hour)}
	placeholder := func(status accounts.Status, created time.Time) *accounts.Account {
		a := newAccount("alice", "github")
		a.Status, a.StatusReason = status, "set by the test"
		a.Label, a.UpstreamID, a.ConnectedAt, a.CreatedAt = "", "", time.Time{}, created
		return a
	}
	f.active = newAccount("alice", "github")
	f.failedOld = placeholder(accounts.StatusFailed, t0)
	f.failedNew = placeholder(accounts.StatusFailed, f.now.Add(-time.Hour))
	f.initiatedOld = placeholder(accounts.StatusInitiated, t0)
	f.initiatedLive = placeholder(accounts.StatusInitiated, t0)
	// Once connected, an account is no placeholder whatever its status.
	f.expired = newAccount("alice", "github")
	f.expired.Status, f.expired.StatusReason = accounts.StatusExpired, "refresh refused"
	createAccounts(tb, st, f.active, f.failedOld, f.failedNew, f.initiatedOld, f.initiatedLive, f.expired)
	for _, a := range []*accounts.Account{f.active, f.failedOld} {
		if err := st.SetCredential(ctx, "alice", a.ID, []byte("sealed "+a.ID)); err != nil {
			tb.Fatalf("SetCredential: %v", err)
		}
	}

	link := func(a *accounts.Account, expires time.Time) *accounts.Link {
		l := newLink(a)
		l.ExpiresAt = expires
		if err := st.CreateLink(ctx, l); err != nil {
			tb.Fatalf("CreateLink: %v", err)
		}
		return l
	}
	f.oldLink = link(f.active, t0.Add(10*time.Minute))
	f.recentLink = link(f.active, f.now.Add(-time.Hour))
	link(f.failedOld, t0.Add(10*time.Minute))
	link(f.initiatedOld, t0.Add(10*time.Minute))
	f.liveLink = link(f.initiatedLive, f.now.Add(time.Hour))

	session := func(updated, expires time.Time) *accounts.Session {
		s := newSession("alice")
		s.UpdatedAt, s.ExpiresAt = updated, expires
		if err := st.CreateSession(ctx, s); err != nil {
			tb.Fatalf("CreateSession: %v", err)
		}
		return s
	}
	f.idle = session(t0, time.Time{})
	f.fresh = session(f.now.Add(-time.Hour), time.Time{})
	f.ended = session(f.now.Add(-time.Hour), f.now.Add(-time.Minute))
	f.endsLater = session(f.now.Add(-time.Hour), f.now.Add(time.Hour))
	// A session with an expiry of its own lives until it, however idle.
	f.idleWithExpiry = session(t0, f.now.Add(time.Hour))
	if err := st.SelectAccount(ctx, f.fresh.ID, "github", f.failedOld.ID); err != nil {
		tb.Fatalf("SelectAccount: %v", err)
	}

	// The trail keeps a day; a confirmation goes once it expired.
	f.oldAudit = newAuditEntry("alice", f.active.ID, 0)
	f.recentAudit = newAuditEntry("alice", f.active.ID, 0)
	f.recentAudit.At = f.now.Add(-time.Hour)
	appendAudit(tb, st, f.oldAudit, f.recentAudit)
	f.lapsed, f.live = newConfirmation("alice"), newConfirmation("alice")
	f.lapsed.ExpiresAt = f.now.Add(-time.Second)
	f.live.ExpiresAt = f.now.Add(time.Minute)
	createConfirmation(tb, st, f.lapsed)
	createConfirmation(tb, st, f.live)
	return f
}

// wantSwept fails tb unless st holds exactly what a sweep of f under
// sweepPolicy leaves.
func (f *sweepFixture) wantSwept(tb testing.TB, st accounts.Store) {
	tb.Helper()
	ctx := tb.Context()
	for _, a := range []*accounts.Account{f.active, f.failedNew, f.initiatedLive, f.expired} {
		mustAccount(tb, st, "alice", a.ID)
	}
	for name, a := range map[string]*accounts.Account{"old FAILED": f.failedOld, "old INITIATED": f.initiatedOld} {
		if _, err := st.Account(ctx, "alice", a.ID); !errors.Is(err, accounts.ErrNotFound) {
			tb.Errorf("the %s placeholder is still there (%v)", name, err)
		}
		if _, err := st.LatestLink(ctx, "alice", a.ID); !errors.Is(err, accounts.ErrNotFound) {
			tb.Errorf("the link of the %s placeholder is still there (%v)", name, err)
		}
	}
	_, err := st.Credential(ctx, "alice", f.failedOld.ID)
	wantErr(tb, "Credential(swept account)", err, accounts.ErrNotFound)
	wantCredential(tb, st, "alice", f.active.ID, []byte("sealed "+f.active.ID))

	_, err = st.Link(ctx, f.oldLink.TokenHash)
	wantErr(tb, "Link(expired a day ago)", err, accounts.ErrNotFound)
	mustLink(tb, st, f.recentLink.TokenHash)
	mustLink(tb, st, f.liveLink.TokenHash)

	for name, s := range map[string]*accounts.Session{"idle": f.idle, "ended": f.ended} {
		if _, err := st.Session(ctx, s.ID); !errors.Is(err, accounts.ErrNotFound) {
			tb.Errorf("the %s session is still there (%v)", name, err)
		}
	}
	mustSession(tb, st, f.endsLater.ID)
	mustSession(tb, st, f.idleWithExpiry.ID)
	if sel := mustSession(tb, st, f.fresh.ID).Selected; len(sel) != 0 {
		tb.Errorf("the fresh session still selects %v, a swept account", sel)
	}

	wantSame(tb, "audit entries left", []*accounts.AuditEntry{f.recentAudit}, audit(tb, st, accounts.AuditQuery{UserID: "alice", Limit: 10}))
	_, err = st.Confirmation(ctx, "alice", f.lapsed.ID)
	wantErr(tb, "Confirmation(expired)", err, accounts.ErrNotFound)
	mustConfirmation(tb, st, "alice", f.live.ID)
}

// want is what one sweep of the fixture deletes: the links of swept
// accounts go with them and are not counted as links.
var wantSweptCounts = accounts.Swept{Links: 1, Accounts: 2, Sessions: 2, Audit: 1, Confirmations: 1}

// add sums sweep counts.
func (f *sweepFixture) add(total *accounts.Swept, n accounts.Swept) {
	total.Links += n.Links
	total.Accounts += n.Accounts
	total.Sessions += n.Sessions
	total.Audit += n.Audit
	total.Confirmations += n.Confirmations
}

func testSweep(t *testing.T, s suite) {
	st := s.store(t)
	f := newSweepFixture(t, st)
	got, err := st.Sweep(t.Context(), f.now, sweepPolicy)
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	wantSame(t, "first sweep", wantSweptCounts, got)
	f.wantSwept(t, st)

	again, err := st.Sweep(t.Context(), f.now, sweepPolicy)
	if err != nil {
		t.Fatalf("second Sweep: %v", err)
	}
	wantSame(t, "second sweep", accounts.Swept{}, again)
	f.wantSwept(t, st)
}

func testSweepZeroPolicy(t *testing.T, s suite) {
	st := s.store(t)
	f := newSweepFixture(t, st)
	got, err := st.Sweep(t.Context(), f.now, accounts.Retention{})
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	// A session past its expiry is over whatever the policy keeps, and so
	// is an expired confirmation.
	wantSame(t, "sweep with the zero policy", accounts.Swept{Sessions: 1, Confirmations: 1}, got)
	mustAccount(t, st, "alice", f.failedOld.ID)
	mustLink(t, st, f.oldLink.TokenHash)
	mustSession(t, st, f.idle.ID)
	if n := len(audit(t, st, accounts.AuditQuery{Limit: 10})); n != 2 {
		t.Errorf("%d audit entries left, want both", n)
	}
}

// testSweepConcurrently models replicas sweeping at the same moment: none
// fails, and together they delete everything once.
func testSweepConcurrently(t *testing.T, s suite) {
	dir := t.TempDir()
	first, _ := s.openAt(t, dir)
	second, _ := s.openAt(t, dir)
	f := newSweepFixture(t, first)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total accounts.Swept
	)
	for _, st := range []accounts.Store{first, second, first, second} {
		wg.Go(func() {
			n, err := st.Sweep(t.Context(), f.now, sweepPolicy)
			if err != nil {
				t.Errorf("Sweep: %v", err)
			}
			mu.Lock()
			f.add(&total, n)
			mu.Unlock()
		})
	}
	wg.Wait()
	// A sweeper that found another at work may have left its share: one
	// more sweep finishes the job, and nothing is ever deleted twice.
	n, err := first.Sweep(t.Context(), f.now, sweepPolicy)
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	f.add(&total, n)
	wantSame(t, "deleted by all sweeps together", wantSweptCounts, total)
	f.wantSwept(t, second)
}

func testTouchSession(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	sess := newSession("alice")
	if err := st.CreateSession(ctx, sess); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	later := t0.Add(3*time.Hour + 5*time.Microsecond)
	if err := st.TouchSession(ctx, sess.ID, later); err != nil {
		t.Fatalf("TouchSession: %v", err)
	}
	want := *sess
	want.UpdatedAt = later
	wantSame(t, "touched session", &want, mustSession(t, st, sess.ID), cmpopts.EquateEmpty())
	// A late toucher with an older time never moves it back.
	if err := st.TouchSession(ctx, sess.ID, t0.Add(time.Hour)); err != nil {
		t.Fatalf("TouchSession: %v", err)
	}
	wantSame(t, "session after an older touch", &want, mustSession(t, st, sess.ID), cmpopts.EquateEmpty())
	wantErr(t, "TouchSession(unknown)", st.TouchSession(ctx, "ses_unknown", later), accounts.ErrNotFound)
}
