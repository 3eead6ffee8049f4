// Package pgtest gives tests a PostgreSQL schema of their own on the server
// at SWITCHBOARD_TEST_DATABASE_URL (default DefaultURL), so that tests of
// the PostgreSQL store run in parallel without seeing each other's rows.
//
// When no server answers, a test that asks for one skips with a message
// saying so, unless SWITCHBOARD_E2E=1 (set by .ci/run), where the same
// absence fails it.
package pgtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the server the tests use when SWITCHBOARD_TEST_DATABASE_URL
// is unset: the one the development and CI machines run.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// ServerURL returns the URL of the test server, skipping tb (or failing it
// under SWITCHBOARD_E2E=1) when none answers.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("SWITCHBOARD_TEST_DATABASE_URL")
	if u == "" {
		u = DefaultURL
	}
	probe.Do(func() { probe.err = ping(u) })
	if probe.err != nil {
		msg := "no PostgreSQL server answers at " + redacted(u) + ": " + probe.err.Error()
		if os.Getenv("SWITCHBOARD_E2E") == "1" {
			tb.Fatalf("SWITCHBOARD_E2E=1 but %s", msg)
		}
		tb.Skipf("skipping: %s (set SWITCHBOARD_TEST_DATABASE_URL, or run bash .ci/run, which starts one; SWITCHBOARD_E2E=1 makes this a failure)", msg)
	}
	return u
}

// probe remembers whether the server answered, so that a missing server
// costs one connection timeout per test binary, not one per test.
var probe struct {
	sync.Once
	err error
}

func ping(u string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx)
}

// redacted is u without its password, for messages.
func redacted(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "the configured URL"
	}
	return p.Redacted()
}

// created records the schemas made in this process, so that opening the
// same name again reaches the same data and drops it once.
var created sync.Map

// SchemaURL returns a URL of the test server whose connections use a
// schema named after name, creating the schema on first use. The same name
// always maps to the same schema, so two stores opened with one name share
// their data, as two processes share one database. The schema is dropped
// when the test that first asked for it ends.
func SchemaURL(tb testing.TB, name string) string {
	tb.Helper()
	server := ServerURL(tb)
	sum := sha256.Sum256([]byte(name))
	schema := "sbtest_" + hex.EncodeToString(sum[:10])
	if _, loaded := created.LoadOrStore(schema, true); !loaded {
		exec(tb, server, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize())
		tb.Cleanup(func() {
			exec(tb, server, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			created.Delete(schema)
		})
	}
	return WithSchema(tb, server, schema)
}

// WithSchema returns u with its connections' search_path set to schema.
func WithSchema(tb testing.TB, u, schema string) string {
	tb.Helper()
	p, err := url.Parse(u)
	if err != nil {
		tb.Fatalf("database URL: %v", err)
	}
	q := p.Query()
	q.Set("search_path", schema)
	p.RawQuery = q.Encode()
	return p.String()
}

// exec runs one statement on the server, failing tb on an error.
func exec(tb testing.TB, u, sql string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		tb.Fatalf("connecting to the test server: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}
