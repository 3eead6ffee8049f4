package accounts_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"switchboard/accounts"
	"switchboard/accounts/sqlite"
	"switchboard/tools"
)

// testService builds a Service for a test on a fresh SQLite file. The
// catalog defaults to the built-in one, and the executor sends toolkit
// slugs to the base URLs in urls; auth configs are the test's.
func testService(tb testing.TB, catalog *tools.Catalog, urls map[string]string, configs ...accounts.AuthConfig) *accounts.Service {
	tb.Helper()
	if catalog == nil {
		var err error
		if catalog, err = tools.Builtin(); err != nil {
			tb.Fatal(err)
		}
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "s.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	keys, err := accounts.ParseKeyRing("k1:" + strings.Repeat("T", 43) + "=")
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := accounts.NewService(accounts.Config{
		Store: store, Locker: store, Keys: keys, Catalog: catalog, PublicURL: "http://switchboard.test",
		Executor: tools.NewExecutor(catalog, tools.ExecutorOptions{BaseURLs: urls}), AuthConfigs: configs,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

// aliceScope opens a session of alice on svc.
func aliceScope(tb testing.TB, svc *accounts.Service) *accounts.Scope {
	tb.Helper()
	sess, err := svc.CreateSession(context.Background(), accounts.SessionOptions{UserID: "alice"})
	if err != nil {
		tb.Fatal(err)
	}
	return &accounts.Scope{Session: sess}
}
