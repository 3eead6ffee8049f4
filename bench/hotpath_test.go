package main

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"switchboard/accounts"
	"switchboard/accounts/sqlite"
	"switchboard/internal/fakeupstream"
	"switchboard/server"
	"switchboard/tools"
	"switchboard/transport"
)

// BenchmarkHotPath sends MCP requests through Switchboard's whole HTTP
// handler in process (transport, server, accounts, the SQLite store, the
// executor against a local fake GitHub, zap's production JSON logging to
// nowhere, Prometheus metrics), without sockets or a second process, and
// reports per request what the load driver cannot see from outside: heap
// allocations (-benchmem) and calls into accounts.Store, by method. The
// mcp-go ceiling has the same benchmark, in bench/ceiling:
//
//	go test ./bench ./bench/ceiling -run XXX -bench HotPath -benchmem
//
// The parallel variant runs 16 clients on the machine's cores, as the
// driver's c=16 does; it shows what contention costs (the store's
// connection pool among others).
func BenchmarkHotPath(b *testing.B) {
	hp := newHotPath(b)
	sid := hp.initialize(b)
	list := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_accounts","arguments":{}}}`
	call := `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"GITHUB_GET_AUTHENTICATED_USER","arguments":{}}}`
	stateless := `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"list_accounts","arguments":{},` + statelessMeta + `}}`
	for _, bc := range []struct {
		name     string
		body     string
		sid      string
		headers  map[string]string
		want     string
		parallel bool
	}{
		{name: "list_accounts", body: list, sid: sid, want: hp.account},
		{name: "list_accounts_parallel16", body: list, sid: sid, want: hp.account, parallel: true},
		{name: "toolkit_call", body: call, sid: sid, want: `"login":"hot-user"`},
		{name: "stateless_list_accounts", body: stateless, want: hp.account, headers: map[string]string{
			"Mcp-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "list_accounts"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			do := func() {
				resp := hp.post(b, bc.body, bc.sid, bc.headers)
				if !strings.Contains(resp, bc.want) || strings.Contains(resp, `"isError":true`) {
					b.Fatalf("unexpected answer: %.300s", resp)
				}
			}
			do() // the first call of a kind warms caches the others use
			hp.store.reset()
			b.ReportAllocs()
			b.ResetTimer()
			if bc.parallel {
				b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						do()
					}
				})
			} else {
				for b.Loop() {
					do()
				}
			}
			b.StopTimer()
			hp.gh.Reset()
			hp.store.report(b)
		})
	}
}

// hotPath is Switchboard assembled in process as `switchboard serve`
// assembles it (main.go's build and serve), with a store that counts.
type hotPath struct {
	h       http.Handler
	key     string
	store   *countingStore
	gh      *fakeupstream.GitHub
	account string // the connected account of user hot-user
}

func newHotPath(tb testing.TB) *hotPath {
	tb.Helper()
	ctx := context.Background()
	gh := fakeupstream.NewGitHub()
	tb.Cleanup(gh.Close)
	gh.AddUser("ghp_hotpath"+strings.Repeat("x", 29), "hot-user", 4242)
	catalog, err := tools.Builtin()
	if err != nil {
		tb.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "switchboard.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	store := &countingStore{Store: db, n: map[string]int{}}
	keys, err := accounts.ParseKeyRing("k1:" + base64.StdEncoding.EncodeToString(make([]byte, 32)))
	if err != nil {
		tb.Fatal(err)
	}
	log := productionLogger()
	metrics := transport.NewMetrics()
	exec := tools.NewExecutor(catalog, tools.ExecutorOptions{BaseURLs: map[string]string{"github": gh.URL()}, Observe: metrics.Upstream})
	const public = "http://127.0.0.1:8080"
	svc, err := accounts.NewService(accounts.Config{
		Store: store, Keys: keys, Catalog: catalog, Executor: exec, Locker: db, OnRefresh: metrics.Refresh,
		PublicURL: public, LinkTTL: 10 * time.Minute, Log: log.Named("accounts"),
	})
	if err != nil {
		tb.Fatal(err)
	}
	srv := server.New(server.Config{Service: svc, Log: log.Named("mcp"), Version: "bench", OnToolCall: metrics.ToolCall})
	key := "bench-hotpath-key"
	h, err := transport.NewHTTP(transport.HTTPConfig{
		Addr: "127.0.0.1:8080", PublicURL: public, Keys: transport.NewKeys([]string{key}), Log: log.Named("http"), Metrics: metrics,
	}, svc, srv)
	if err != nil {
		tb.Fatal(err)
	}
	// Connect hot-user's GitHub account as the connect page would.
	sess, err := svc.CreateSession(ctx, accounts.SessionOptions{UserID: "hot-user"})
	if err != nil {
		tb.Fatal(err)
	}
	auth, err := svc.Authorize(ctx, &accounts.Scope{Session: sess}, accounts.AuthorizeRequest{Toolkit: "github"})
	if err != nil {
		tb.Fatal(err)
	}
	_, token, _ := strings.Cut(auth.URL, "/connect/")
	if _, err := svc.CompleteWithSecret(ctx, token, "ghp_hotpath"+strings.Repeat("x", 29), ""); err != nil {
		tb.Fatal(err)
	}
	return &hotPath{h: h.Handler(), key: key, store: store, gh: gh, account: auth.Account.ID}
}

// productionLogger logs as `switchboard serve` does (zap's production
// config: JSON, info level, sampling), into nothing.
func productionLogger() *zap.Logger {
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zap.InfoLevel)
	return zap.New(zapcore.NewSamplerWithOptions(core, time.Second, 100, 100))
}

// initialize opens a legacy session for hot-user and returns its id.
func (hp *hotPath) initialize(tb testing.TB) string {
	tb.Helper()
	rec := hp.serve(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}`, "", nil)
	sid := rec.Header().Get("Mcp-Session-Id")
	if rec.Code != http.StatusOK || sid == "" {
		tb.Fatalf("initialize answered %d: %s", rec.Code, rec.Body)
	}
	if rec := hp.serve(`{"jsonrpc":"2.0","method":"notifications/initialized"}`, sid, map[string]string{"Mcp-Protocol-Version": "2025-11-25"}); rec.Code != http.StatusAccepted {
		tb.Fatalf("notifications/initialized answered %d: %s", rec.Code, rec.Body)
	}
	return sid
}

// post sends one JSON-RPC request and returns the answer's body.
func (hp *hotPath) post(tb testing.TB, body, sid string, headers map[string]string) string {
	if sid != "" {
		headers = map[string]string{"Mcp-Protocol-Version": "2025-11-25"}
	}
	rec := hp.serve(body, sid, headers)
	if rec.Code != http.StatusOK {
		tb.Fatalf("answered %d: %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

func (hp *hotPath) serve(body, sid string, headers map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+hp.key)
	req.Header.Set("X-User-Id", "hot-user")
	if sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	hp.h.ServeHTTP(rec, req)
	return rec
}

// countingStore counts the calls into the store, by method. Methods added
// to accounts.Store later pass through uncounted until they are added here.
type countingStore struct {
	accounts.Store
	mu sync.Mutex
	n  map[string]int
}

func (c *countingStore) count(method string) {
	c.mu.Lock()
	c.n[method]++
	c.mu.Unlock()
}

func (c *countingStore) reset() {
	c.mu.Lock()
	clear(c.n)
	c.mu.Unlock()
}

// report adds the store calls per request to b's figures.
func (c *countingStore) report(b *testing.B) {
	c.mu.Lock()
	defer c.mu.Unlock()
	total := 0
	for _, m := range sortedKeys(c.n) {
		total += c.n[m]
		b.ReportMetric(float64(c.n[m])/float64(b.N), "store."+m+"/op")
	}
	b.ReportMetric(float64(total)/float64(b.N), "store_calls/op")
}

func (c *countingStore) AppendAudit(ctx context.Context, entries []*accounts.AuditEntry) error {
	c.count("AppendAudit")
	return c.Store.AppendAudit(ctx, entries)
}

func (c *countingStore) CreateAccount(ctx context.Context, a *accounts.Account) error {
	c.count("CreateAccount")
	return c.Store.CreateAccount(ctx, a)
}

func (c *countingStore) UpdateAccount(ctx context.Context, a *accounts.Account) error {
	c.count("UpdateAccount")
	return c.Store.UpdateAccount(ctx, a)
}

func (c *countingStore) TouchAccount(ctx context.Context, a *accounts.Account) error {
	c.count("TouchAccount")
	return c.Store.TouchAccount(ctx, a)
}

func (c *countingStore) Account(ctx context.Context, userID, id string) (*accounts.Account, error) {
	c.count("Account")
	return c.Store.Account(ctx, userID, id)
}

func (c *countingStore) Accounts(ctx context.Context, userID, toolkit string) ([]*accounts.Account, error) {
	c.count("Accounts")
	return c.Store.Accounts(ctx, userID, toolkit)
}

func (c *countingStore) AccountByID(ctx context.Context, id string) (*accounts.Account, error) {
	c.count("AccountByID")
	return c.Store.AccountByID(ctx, id)
}

func (c *countingStore) ListAccounts(ctx context.Context, q accounts.AccountQuery) ([]*accounts.Account, error) {
	c.count("ListAccounts")
	return c.Store.ListAccounts(ctx, q)
}

func (c *countingStore) Credential(ctx context.Context, userID, accountID string) ([]byte, error) {
	c.count("Credential")
	return c.Store.Credential(ctx, userID, accountID)
}

func (c *countingStore) SetCredential(ctx context.Context, userID, accountID string, sealed []byte) error {
	c.count("SetCredential")
	return c.Store.SetCredential(ctx, userID, accountID, sealed)
}

func (c *countingStore) Link(ctx context.Context, tokenHash string) (*accounts.Link, error) {
	c.count("Link")
	return c.Store.Link(ctx, tokenHash)
}

func (c *countingStore) CreateSession(ctx context.Context, s *accounts.Session) error {
	c.count("CreateSession")
	return c.Store.CreateSession(ctx, s)
}

func (c *countingStore) Session(ctx context.Context, id string) (*accounts.Session, error) {
	c.count("Session")
	return c.Store.Session(ctx, id)
}

func (c *countingStore) UpdateSession(ctx context.Context, s *accounts.Session, changes map[string]string) error {
	c.count("UpdateSession")
	return c.Store.UpdateSession(ctx, s, changes)
}

func (c *countingStore) SelectAccount(ctx context.Context, sessionID, toolkit, accountID string) error {
	c.count("SelectAccount")
	return c.Store.SelectAccount(ctx, sessionID, toolkit, accountID)
}

// Generation and Stamp pass the SQLite store's generations and stamps
// through, so that the service caches in front of the counting store as it
// does in front of the store itself (see accounts.Generations).
func (c *countingStore) Generation(ctx context.Context, userID string) (int64, error) {
	c.count("Generation")
	return c.Store.(accounts.Generations).Generation(ctx, userID)
}

func (c *countingStore) Stamp() (uint64, bool) {
	return c.Store.(accounts.Stamper).Stamp()
}
