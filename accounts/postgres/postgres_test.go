package postgres_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"switchboard/accounts"
	"switchboard/accounts/postgres"
	"switchboard/accounts/postgres/pgtest"
	"switchboard/accounts/storetest"
)

// open opens the store of name (a schema of its own) the way the server
// does; it is closed when tb ends.
func open(tb testing.TB, name string) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(tb.Context(), pgtest.SchemaURL(tb, name), postgres.Options{MaxConns: 8})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(tb testing.TB, dir string) accounts.Store { return open(tb, dir) })
}

// TestOpenConcurrently pins migrations under the advisory lock: eight
// replicas starting together on a new schema all open it, and every step is
// recorded once.
func TestOpenConcurrently(t *testing.T) {
	u := pgtest.SchemaURL(t, t.Name())
	errs := make(chan error, 8)
	for range cap(errs) {
		go func() {
			db, err := postgres.Open(context.Background(), u, postgres.Options{})
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
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migration files found: %v", err)
	}
	var versions []string
	conn := rawConn(t, u)
	rows, _ := conn.Query(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	versions, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("reading schema_migrations: %v", err)
	}
	var want []string
	for _, f := range files {
		want = append(want, strings.TrimSuffix(filepath.Base(f), ".sql"))
	}
	if diff := cmp.Diff(want, versions); diff != "" {
		t.Errorf("recorded migrations (-want +got):\n%s", diff)
	}
}

// rawConn connects to u directly, bypassing the store, to look at what it
// wrote; closed when tb ends.
func rawConn(tb testing.TB, u string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(tb.Context(), u)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TestTimesMicrosecondsUTC pins the precision PostgreSQL keeps: digits
// below the microsecond are dropped, and times come back in UTC.
func TestTimesMicrosecondsUTC(t *testing.T) {
	db := open(t, t.Name())
	defer db.Close()
	at := time.Date(2025, 6, 1, 14, 30, 15, 123456789, time.FixedZone("UTC+2", 2*60*60))
	a := &accounts.Account{ID: "ca_1", UserID: "alice", Toolkit: "github", Status: accounts.StatusActive, ConnectedAt: at}
	if err := db.CreateAccount(t.Context(), a); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	got, err := db.Account(t.Context(), "alice", a.ID)
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	want := at.Truncate(time.Microsecond).UTC()
	if !got.ConnectedAt.Equal(want) || got.ConnectedAt.Location() != time.UTC {
		t.Errorf("ConnectedAt = %v, want %v", got.ConnectedAt, want)
	}
	if !got.LastUsedAt.IsZero() || !got.CreatedAt.IsZero() {
		t.Errorf("LastUsedAt, CreatedAt = %v, %v; want zero times", got.LastUsedAt, got.CreatedAt)
	}
}

// TestSealedCredentialStoredAsGiven pins that credentials are bytes in,
// bytes out, also those that are no valid text.
func TestSealedCredentialStoredAsGiven(t *testing.T) {
	u := pgtest.SchemaURL(t, t.Name())
	db := open(t, t.Name())
	defer db.Close()
	a := &accounts.Account{ID: "ca_1", UserID: "alice", Toolkit: "github", Status: accounts.StatusActive}
	if err := db.CreateAccount(t.Context(), a); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	sealed := []byte("k1:\x00\x9f\xfe opaque ciphertext")
	if err := db.SetCredential(t.Context(), "alice", a.ID, sealed); err != nil {
		t.Fatalf("SetCredential: %v", err)
	}
	var stored []byte
	var kind string
	err := rawConn(t, u).QueryRow(t.Context(),
		`SELECT sealed, pg_typeof(sealed)::text FROM credentials WHERE account_id = $1`, a.ID).Scan(&stored, &kind)
	if err != nil {
		t.Fatalf("reading the credentials table: %v", err)
	}
	if !bytes.Equal(stored, sealed) || kind != "bytea" {
		t.Errorf("stored credential = %q (%s), want %q (bytea)", stored, kind, sealed)
	}
}

func TestOpenRefusesBadURL(t *testing.T) {
	_, err := postgres.Open(t.Context(), "postgres://user:hunter2@[::1", postgres.Options{})
	if err == nil {
		t.Fatal("Open accepted a malformed URL")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error quotes the password: %v", err)
	}
}
