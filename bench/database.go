package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// database is the PostgreSQL schema a run measures the server on, made
// fresh for the run and dropped after it, so that runs never see each
// other's rows and the operator's own schema is never touched.
type database struct {
	server string // the -database-url the operator gave
	schema string
	url    string // server with search_path set to schema: what the server gets
}

// newDatabase creates a fresh schema on the server at serverURL.
func newDatabase(ctx context.Context, serverURL string) (*database, error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("-database-url: want postgres://user@host:port/database")
	}
	schema := "switchboard_bench_" + strings.ToLower(rand.Text()[:12])
	if err := execOn(ctx, serverURL, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return &database{server: serverURL, schema: schema, url: u.String()}, nil
}

// drop removes the run's schema and everything in it.
func (d *database) drop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return execOn(ctx, d.server, "DROP SCHEMA IF EXISTS "+pgx.Identifier{d.schema}.Sanitize()+" CASCADE")
}

func execOn(ctx context.Context, serverURL, sql string) error {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// sharedKeys returns a fresh SWITCHBOARD_SECRET_KEYS value: the server
// refuses to generate its own key on PostgreSQL.
func sharedKeys() string {
	key := make([]byte, 32)
	rand.Read(key)
	return "bench:" + base64.StdEncoding.EncodeToString(key)
}
