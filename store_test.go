package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"

	"switchboard/accounts/postgres"
	"switchboard/accounts/postgres/pgtest"
)

// TestPostgresRefusesGeneratedKey pins that replicas never start on a key
// of their own: with --database-url and no SWITCHBOARD_SECRET_KEYS, build
// fails saying why, before it writes a key file or touches the database.
func TestPostgresRefusesGeneratedKey(t *testing.T) {
	t.Setenv("SWITCHBOARD_SECRET_KEYS", "")
	cfg, err := parseFlags("serve", []string{"--data-dir", t.TempDir(), "--database-url", "postgres://nobody@127.0.0.1:1/none"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, closeStore, err := build(t.Context(), cfg, "http://127.0.0.1", zap.NewNop(), nil, nil)
	if err == nil {
		closeStore()
		t.Fatal("build started on PostgreSQL without SWITCHBOARD_SECRET_KEYS")
	}
	for _, want := range []string{"SWITCHBOARD_SECRET_KEYS", "replicas", "same keys"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.dataDir, "secret.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a key file was written: %v", err)
	}
}

func TestDatabaseURLMustBePostgres(t *testing.T) {
	t.Setenv("SWITCHBOARD_SECRET_KEYS", "k1:"+strings.Repeat("A", 43)+"=")
	cfg, err := parseFlags("serve", []string{"--data-dir", t.TempDir(), "--database-url", "mysql://root@127.0.0.1/test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, closeStore, err := build(t.Context(), cfg, "http://127.0.0.1", zap.NewNop(), nil, nil); err == nil {
		closeStore()
		t.Fatal("build accepted a mysql:// URL")
	} else if !strings.Contains(err.Error(), "postgres://") {
		t.Errorf("error %q does not say what URL is wanted", err)
	}
}

// TestDatabaseFlagsFromEnvironment pins the env fallbacks of the store
// settings, and that the flags win over them.
func TestDatabaseFlagsFromEnvironment(t *testing.T) {
	t.Setenv("SWITCHBOARD_DATABASE_URL", "postgres://env@db/switchboard")
	t.Setenv("SWITCHBOARD_DATABASE_MAX_CONNS", "12")
	cfg, err := parseFlags("serve", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.databaseURL != "postgres://env@db/switchboard" || cfg.databaseMaxConns != 12 {
		t.Errorf("from the environment: %q, %d", cfg.databaseURL, cfg.databaseMaxConns)
	}
	cfg, err = parseFlags("serve", []string{"--database-url", "postgres://flag@db/x", "--database-max-conns", "3"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.databaseURL != "postgres://flag@db/x" || cfg.databaseMaxConns != 3 {
		t.Errorf("from the flags: %q, %d", cfg.databaseURL, cfg.databaseMaxConns)
	}
}

// TestBuildOnPostgres pins the wiring: with a database URL and shared keys,
// the service runs on PostgreSQL.
func TestBuildOnPostgres(t *testing.T) {
	t.Setenv("SWITCHBOARD_SECRET_KEYS", "k1:"+strings.Repeat("A", 43)+"=")
	dir := t.TempDir()
	cfg, err := parseFlags("serve", []string{"--data-dir", dir, "--database-url", pgtest.SchemaURL(t, t.Name())})
	if err != nil {
		t.Fatal(err)
	}
	svc, _, closeStore, err := build(t.Context(), cfg, "http://127.0.0.1", zap.NewNop(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	if _, ok := svc.Store().(*postgres.DB); !ok {
		t.Errorf("the store is %T, want *postgres.DB", svc.Store())
	}
	if _, err := os.Stat(filepath.Join(dir, "switchboard.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a SQLite file was created beside PostgreSQL: %v", err)
	}
}
