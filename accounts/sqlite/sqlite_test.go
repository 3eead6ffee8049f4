package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"switchboard/accounts"
	"switchboard/accounts/sqlite"
	"switchboard/accounts/storetest"
)

// open opens the store of dir the way the server does.
func open(tb testing.TB, dir string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(tb.Context(), filepath.Join(dir, "switchboard.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(tb testing.TB, dir string) accounts.Store { return open(tb, dir) })
}

// raw opens the database file of dir directly, bypassing the store, to look
// at what it wrote.
func raw(tb testing.TB, dir string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "switchboard.db"))
	if err != nil {
		tb.Fatalf("sql.Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestSealedCredentialStoredAsGiven(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	defer db.Close()
	ctx := t.Context()
	a := &accounts.Account{ID: "ca_1", UserID: "alice", Toolkit: "github", Status: accounts.StatusActive}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	sealed := []byte("k1:\x00\x9f\xfe opaque ciphertext")
	if err := db.SetCredential(ctx, "alice", a.ID, sealed); err != nil {
		t.Fatalf("SetCredential: %v", err)
	}
	var stored []byte
	var kind string
	err := raw(t, dir).QueryRowContext(ctx,
		`SELECT sealed, typeof(sealed) FROM credentials WHERE account_id = ?`, a.ID).Scan(&stored, &kind)
	if err != nil {
		t.Fatalf("reading the credentials table: %v", err)
	}
	if !bytes.Equal(stored, sealed) || kind != "blob" {
		t.Errorf("stored credential = %q (%s), want %q (blob)", stored, kind, sealed)
	}
}

func TestMigrationsIdempotentOnReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	var versions []int
	for i := range 3 {
		db := open(t, dir)
		if err := db.CreateAccount(ctx, &accounts.Account{
			ID: fmt.Sprint("ca_", i), UserID: "alice", Toolkit: "github", Status: accounts.StatusActive,
		}); err != nil {
			t.Fatalf("CreateAccount: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		var n int
		if err := raw(t, dir).QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
			t.Fatalf("counting migrations: %v", err)
		}
		versions = append(versions, n)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migration files found: %v", err)
	}
	for i, n := range versions {
		if n != len(files) {
			t.Errorf("open %d: %d migrations recorded, want %d", i+1, n, len(files))
		}
	}
	db := open(t, dir)
	defer db.Close()
	list, err := db.Accounts(ctx, "alice", "")
	if err != nil || len(list) != 3 {
		t.Errorf("after three opens: %d accounts, %v; want 3 (reopening must keep the data)", len(list), err)
	}
}

func TestOpenConcurrently(t *testing.T) {
	// Two processes starting at once both migrate a new file; neither may
	// fail or apply a step twice.
	dir := t.TempDir()
	errs := make(chan error, 8)
	for range cap(errs) {
		go func() {
			db, err := sqlite.Open(context.Background(), filepath.Join(dir, "switchboard.db"))
			if err == nil {
				err = db.Close()
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Errorf("Open: %v", err)
		}
	}
}

func TestTimesStoredAsUTC(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	defer db.Close()
	ctx := t.Context()
	at := time.Date(2025, 6, 1, 14, 30, 15, 123456789, time.FixedZone("UTC+2", 2*60*60))
	a := &accounts.Account{ID: "ca_1", UserID: "alice", Toolkit: "github", Status: accounts.StatusActive, ConnectedAt: at}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	got, err := db.Account(ctx, "alice", a.ID)
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	if !got.ConnectedAt.Equal(at) || got.ConnectedAt.Location() != time.UTC {
		t.Errorf("ConnectedAt = %v, want %v in UTC, to the nanosecond", got.ConnectedAt, at.UTC())
	}
	if !got.LastUsedAt.IsZero() {
		t.Errorf("LastUsedAt = %v, want the zero time", got.LastUsedAt)
	}
}

func TestOpenFailsOnUnwritableDir(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root can write anywhere")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	if db, err := sqlite.Open(t.Context(), filepath.Join(dir, "switchboard.db")); err == nil {
		db.Close()
		t.Error("Open in a read-only directory succeeded, want an error")
	}
}
