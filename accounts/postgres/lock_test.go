package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"switchboard/accounts/postgres/pgtest"
)

// TestLockAcrossHandles pins the advisory lock between two handles on one
// database, as between two replicas: one holder at a time, a waiter gets
// the key once it is released, and a waiter gives up when its context ends.
func TestLockAcrossHandles(t *testing.T) {
	a, b := open(t, t.Name()), open(t, t.Name())
	defer a.Close()
	defer b.Close()
	unlock, err := a.Lock(context.Background(), "refresh:ca_1")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := b.Lock(short, "refresh:ca_1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second holder while the first holds: %v", err)
	}
	if u, err := b.Lock(context.Background(), "refresh:ca_2"); err != nil {
		t.Fatalf("another key: %v", err)
	} else {
		u()
	}
	got := make(chan error, 1)
	go func() {
		u, err := b.Lock(context.Background(), "refresh:ca_1")
		if err == nil {
			u()
		}
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter never got the released key")
	}
}

// TestLockFreedWhenHolderDies pins why the lock is an advisory lock: when
// the holder's connection ends (a replica killed mid-refresh), the key is
// free at once, with no lease to lapse.
func TestLockFreedWhenHolderDies(t *testing.T) {
	a, b := open(t, t.Name()), open(t, t.Name())
	defer a.Close()
	defer b.Close()
	unlock, err := a.Lock(context.Background(), "refresh:ca_1")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock() // fails on the dead connection, and gives it back
	got := make(chan error, 1)
	go func() {
		u, err := b.Lock(context.Background(), "refresh:ca_1")
		if err == nil {
			u()
		}
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	// End the holder's connection the way the death of its process does.
	var killed int
	err = rawConn(t, pgtest.SchemaURL(t, t.Name())).QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid))
		FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
		AND ((classid::bigint << 32) | objid::bigint) = hashtextextended(current_schema() || '/refresh:ca_1', 0)`).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminating the holder: %d connections, %v", killed, err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the key stayed held after its holder's connection ended")
	}
}
