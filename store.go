package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"switchboard/accounts"
	"switchboard/accounts/postgres"
	"switchboard/accounts/sqlite"
)

// store is what build needs of a store: the accounts.Store, and the lock
// that serializes token refreshes across the processes sharing it.
type store interface {
	accounts.Store
	accounts.Locker
}

// openStore opens PostgreSQL when cfg.databaseURL is set (several replicas
// share it), otherwise the embedded SQLite file in the data dir.
func openStore(ctx context.Context, cfg config, log *zap.Logger) (store, error) {
	if cfg.databaseURL == "" {
		path := filepath.Join(cfg.dataDir, "switchboard.db")
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", path, err)
		}
		return db, nil
	}
	u, err := url.Parse(cfg.databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, errors.New("--database-url: want postgres://user@host:port/database (SWITCHBOARD_DATABASE_URL)")
	}
	db, err := postgres.Open(ctx, cfg.databaseURL, postgres.Options{MaxConns: int32(min(max(cfg.databaseMaxConns, 0), 1<<16))})
	if err != nil {
		return nil, err
	}
	log.Info("store: PostgreSQL", zap.String("database", u.Redacted()), zap.Int("max_conns", cfg.databaseMaxConns))
	return db, nil
}

// sharedKeysRequired refuses to start on PostgreSQL without
// SWITCHBOARD_SECRET_KEYS. Replicas share the database, so each must open
// the credentials the others sealed; a key generated into one replica's data
// dir would make every credential it stores unreadable to the rest, and a
// replica that generated its own would seal with a key nobody else has.
func sharedKeysRequired(cfg config) error {
	if cfg.databaseURL == "" || strings.TrimSpace(os.Getenv("SWITCHBOARD_SECRET_KEYS")) != "" {
		return nil
	}
	return fmt.Errorf("--database-url needs SWITCHBOARD_SECRET_KEYS: replicas sharing one database must seal credentials with the same keys, " +
		"so the key generated into the data dir is refused with PostgreSQL; set SWITCHBOARD_SECRET_KEYS=id:base64-of-32-bytes on every replica " +
		"(e.g. k1:$(head -c 32 /dev/urandom | base64))")
}

// envInt is the integer in the environment variable key, or def when it is
// unset or not a number.
func envInt(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return n
	}
	return def
}

// sweepPeriod is how often each process runs the retention sweep; with
// PostgreSQL only one replica sweeps at a time.
const sweepPeriod = 10 * time.Minute

// retention is the sweep's policy from the flags. Expired connect links
// share the window of FAILED placeholders: both are what is left of
// connection attempts that ended.
func retention(cfg config) accounts.Retention {
	return accounts.Retention{Links: cfg.retentionFailed, Failed: cfg.retentionFailed, SessionIdle: cfg.sessionIdleTTL, Audit: cfg.auditRetention}
}
