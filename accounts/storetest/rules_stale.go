package storetest

import (
	"context"
	"testing"
	"time"

	"switchboard/accounts"
	"switchboard/tools"
)

// The rules below hold when what a request read is stale by the time it
// writes: the session that asked for a link has ended, or the account was
// disabled or expired between a request's read and its write.

// testLinkOutlivesSession pins that a connect link still connects after
// the session it was issued in ended (a client's DELETE, the API's, the
// idle sweep): the account turns ACTIVE and, most recently connected, is
// what every session of the user acts with by default.
func testLinkOutlivesSession(t *testing.T, open Opener) {
	w := newWorld(t, open, t.TempDir())
	ctx := context.Background()
	w.connect(t, w.scope(t, "alice"), tokWork, "work")
	sc := w.scope(t, "alice")
	placeholder, token := w.authorize(t, sc, accounts.AuthorizeRequest{})
	if err := w.svc.EndSession(ctx, sc.Session); err != nil {
		t.Fatal(err)
	}
	w.tick(time.Second)
	c, err := w.svc.CompleteWithSecret(ctx, token, tokHome, "home")
	if err != nil {
		t.Fatalf("completing the link of an ended session: %v", err)
	}
	if c.Account.ID != placeholder || c.Account.Status != accounts.StatusActive {
		t.Errorf("completed %s (%s), want %s ACTIVE", c.Account.ID, c.Account.Status, placeholder)
	}
	if got := mustAccount(t, w.store, "alice", placeholder); got.Status != accounts.StatusActive || got.Alias != "home" {
		t.Errorf("stored account: %s, alias %q; want ACTIVE, alias home", got.Status, got.Alias)
	}
	if id, by := w.active(t, w.scope(t, "alice")); id != placeholder || by != accounts.SelectedByDefault {
		t.Errorf("a new session acts with %s (%s), want the newly connected %s by default", id, by, placeholder)
	}
	_, err = w.svc.CompleteWithSecret(ctx, token, tokHome, "")
	if err == nil {
		t.Error("the link completed a second time")
	}
}

// testStaleWritesKeepStatus pins that no change made with an account read
// earlier undoes a status change made since: the review's lost update,
// replayed deterministically (read, change the status, write the stale
// read's change).
func testStaleWritesKeepStatus(t *testing.T, open Opener) {
	// setup connects alice's work account and returns the world, the
	// account as a request read it, and the operator disabling it after.
	setup := func(t *testing.T) (*world, *accounts.Account) {
		w := newWorld(t, open, t.TempDir())
		a := w.connect(t, w.scope(t, "alice"), tokWork, "work")
		stale, err := w.svc.AccountByID(context.Background(), a.ID, "alice")
		if err != nil {
			t.Fatal(err)
		}
		return w, stale
	}
	disable := func(t *testing.T, w *world, id string) {
		t.Helper()
		a, err := w.svc.AccountByID(context.Background(), id, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Disable(context.Background(), a, true); err != nil {
			t.Fatal(err)
		}
	}
	wantInactive := func(t *testing.T, w *world, what string, returned *accounts.Account) {
		t.Helper()
		if got := mustAccount(t, w.store, "alice", returned.ID); got.Status != accounts.StatusInactive {
			t.Errorf("after disable and %s: stored account %s, want INACTIVE", what, got.Status)
		}
		if returned.Status != accounts.StatusInactive {
			t.Errorf("after disable and %s: %s answered an account %s, want INACTIVE as stored", what, what, returned.Status)
		}
	}

	t.Run("RenameAfterDisable", func(t *testing.T) {
		w, stale := setup(t)
		disable(t, w, stale.ID)
		renamed, err := w.svc.SetAlias(context.Background(), stale, "job")
		if err != nil {
			t.Fatal(err)
		}
		wantInactive(t, w, "a rename", renamed)
		if got := mustAccount(t, w.store, "alice", stale.ID).Alias; got != "job" {
			t.Errorf("alias %q, want job", got)
		}
	})

	t.Run("PolicyAfterDisable", func(t *testing.T) {
		w, stale := setup(t)
		disable(t, w, stale.ID)
		readOnly := accounts.Policy{Access: accounts.AccessReadOnly}
		changed, err := w.svc.SetPolicy(context.Background(), stale, readOnly)
		if err != nil {
			t.Fatal(err)
		}
		wantInactive(t, w, "a policy change", changed)
		if got := mustAccount(t, w.store, "alice", stale.ID).Policy; got.Access != accounts.AccessReadOnly {
			t.Errorf("policy %v, want read-only", got)
		}
	})

	t.Run("DisableAfterExpiry", func(t *testing.T) {
		w, stale := setup(t)
		w.setStatus(t, stale.ID, accounts.StatusExpired)
		_, err := w.svc.Disable(context.Background(), stale, true)
		wantCode(t, err, accounts.CodeInvalidArguments)
		if got := mustAccount(t, w.store, "alice", stale.ID).Status; got != accounts.StatusExpired {
			t.Errorf("a disable decided on a stale read turned the EXPIRED account %s", got)
		}
	})

	t.Run("ReconnectWhileDisabling", func(t *testing.T) {
		w, stale := setup(t)
		sc := w.scope(t, "alice")
		_, token := w.authorize(t, sc, accounts.AuthorizeRequest{Account: stale.ID})
		catalog, err := tools.Builtin()
		if err != nil {
			t.Fatal(err)
		}
		racing := w.service(t, catalog, disableBeforeComplete{w.store})
		w.tick(time.Second)
		c, err := racing.CompleteWithSecret(context.Background(), token, tokWork2, "")
		if err != nil {
			t.Fatal(err)
		}
		if c.Account.ID != stale.ID {
			t.Fatalf("reconnected %s, want %s", c.Account.ID, stale.ID)
		}
		wantInactive(t, w, "a reconnect", c.Account)
	})
}

// disableBeforeComplete is a store on which the operator disables the
// account a completion writes just before the completion lands: after the
// Service read the account, before the store wrote it.
type disableBeforeComplete struct {
	accounts.Store
}

func (d disableBeforeComplete) Complete(ctx context.Context, c *accounts.Completion) error {
	a, err := d.Account(ctx, c.Account.UserID, c.Account.ID)
	if err != nil {
		return err
	}
	off := *a
	off.Status, off.StatusReason = accounts.StatusInactive, "disabled by the operator"
	if err := d.SetAccountStatus(ctx, &off, a.Status); err != nil {
		return err
	}
	return d.Store.Complete(ctx, c)
}
