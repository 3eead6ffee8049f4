package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"switchboard/accounts/sqlite"
)

// TestLockAcrossHandles pins the lease lock between two handles on one
// file, as between two processes: one holder at a time, a waiter gets the
// key once it is released, and a waiter gives up when its context ends.
func TestLockAcrossHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.db")
	open := func() *sqlite.DB {
		db, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(), open()
	unlock, err := a.Lock(context.Background(), "refresh:ca_1")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
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
	case <-time.After(5 * time.Second):
		t.Fatal("the waiter never got the released key")
	}
}
