// Command switchboard is a self-hosted MCP server that lets AI agents act in
// GitHub, Gmail, Slack and other services on behalf of end users who have
// connected several accounts per service.
//
//	switchboard serve    streamable HTTP on --addr (default 127.0.0.1:8080), endpoint /mcp
//	switchboard stdio    one MCP session over stdin/stdout
//	switchboard accounts list|delete|disable|enable|policy  manage a user's accounts
//	switchboard audit    read the audit trail of toolkit calls
//	switchboard version  print the version and the VCS revision
//	switchboard help     print the commands; `switchboard COMMAND --help` a command's flags
//
// Every flag has a SWITCHBOARD_* environment fallback; see README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"switchboard/accounts"
	"switchboard/server"
	"switchboard/tools"
	"switchboard/transport"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// config is every setting, from flags with environment fallbacks.
type config struct {
	dataDir       string            // where the SQLite store and the generated key live
	publicURL     string            // external base URL of connect links
	linkTTL       time.Duration     // lifetime of connect links
	toolkitURL    map[string]string // toolkit slug → API base URL override
	logLevel      string            // debug, info, warn, error
	configFile    string            // optional YAML file: public URL, toolkit URLs, auth configs
	toolkitDirs   []string          // operator-written toolkit files, in the catalog format
	sessionTTL    time.Duration     // default lifetime of sessions made by the application API
	sessionMaxTTL time.Duration     // longest lifetime such a session may ask for
	callbackHosts []string          // hosts a connect link may return the browser to (callback_url)
	appName       string            // the application named on connect pages
	toolMode      string            // default tool mode: all, search or auto
	toolModeAt    int               // auto's threshold of listed toolkit tools
	resultBudget  int               // bytes of a tool result's text and structured content
	maxSessions   int               // sessions kept per user (0: no limit)

	databaseURL      string        // PostgreSQL shared by replicas (postgres://…); empty: SQLite in dataDir
	databaseMaxConns int           // PostgreSQL pool size per process; 0: pgxpool's default
	sessionIdleTTL   time.Duration // stored sessions unused this long are deleted
	retentionFailed  time.Duration // FAILED placeholder accounts and expired links are kept this long
	auditRetention   time.Duration // audit entries are kept this long (0: forever)

	authConfigs []accounts.AuthConfig // from the config file, then SWITCHBOARD_OAUTH_* variables

	addr           string   // serve: listen address
	apiKeys        []string // serve: operator API keys (SWITCHBOARD_API_KEYS only, never a flag)
	allowedOrigins []string // serve: extra browser origins accepted on /mcp
	maxBody        int64    // serve: request body limit in bytes

	userID            string // stdio: the end user
	connectedAccounts string // stdio: per-toolkit account overrides
	toolkits          string // stdio: toolkits of the session
	requireExplicit   bool   // stdio: rule 6's strict mode
	connectAddr       string // stdio: loopback listener for connect pages
}

func main() {
	version = fullVersion(version)
	err := run(os.Args[1:])
	var help *helpError
	var usage *usageError
	switch {
	case err == nil:
	case errors.As(err, &help):
		fmt.Print(help.text)
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "switchboard:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "switchboard:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, mainUsage)
		return usageErrorf("no command given")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "help", "--help", "-help", "-h":
		if len(args) > 0 && args[0] != "help" {
			return run([]string{args[0], "--help"})
		}
		return &helpError{mainUsage}
	case "version", "--version", "-v":
		fmt.Print(versionText(version))
		return nil
	case "accounts":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return accountsCommand(ctx, args, os.Stdout)
	case "audit":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return auditCommand(ctx, args, os.Stdout)
	case "serve", "stdio":
	default:
		return usageErrorf("unknown command %q; run 'switchboard help' for the commands", cmd)
	}
	cfg, err := parseFlags(cmd, args)
	if err != nil {
		return err
	}
	log, err := newLogger(cmd, cfg.logLevel)
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck // stderr sync errors are meaningless
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cmd == "serve" {
		return serve(ctx, cfg, log)
	}
	return stdio(ctx, cfg, log)
}

func parseFlags(cmd string, args []string) (config, error) {
	cfg := config{toolkitURL: map[string]string{}}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // help and errors are printed by main
	fs.StringVar(&cfg.dataDir, "data-dir", env("SWITCHBOARD_DATA_DIR", ".switchboard"), "directory of the embedded store and generated key")
	fs.StringVar(&cfg.publicURL, "public-url", env("SWITCHBOARD_PUBLIC_URL", ""), "external base URL of connect links (default: derived from the listen address)")
	fs.DurationVar(&cfg.linkTTL, "link-ttl", envDuration("SWITCHBOARD_LINK_TTL", 10*time.Minute), "lifetime of connect links")
	fs.StringVar(&cfg.logLevel, "log-level", env("SWITCHBOARD_LOG_LEVEL", "info"), "debug, info, warn or error")
	fs.StringVar(&cfg.configFile, "config", env("SWITCHBOARD_CONFIG", ""), "YAML file with public_url, toolkit_urls and auth_configs")
	fs.StringVar(&cfg.databaseURL, "database-url", env("SWITCHBOARD_DATABASE_URL", ""), "PostgreSQL URL (postgres://…) shared by several replicas; default: SQLite in --data-dir")
	fs.IntVar(&cfg.databaseMaxConns, "database-max-conns", envInt("SWITCHBOARD_DATABASE_MAX_CONNS", 0), "PostgreSQL connections per process (0: max(4, CPUs))")
	fs.DurationVar(&cfg.sessionIdleTTL, "session-idle-ttl", envDuration("SWITCHBOARD_SESSION_IDLE_TTL", 24*time.Hour), "delete stored MCP sessions (those without a TTL) unused this long (0: keep)")
	fs.DurationVar(&cfg.retentionFailed, "retention-failed", envDuration("SWITCHBOARD_RETENTION_FAILED", 24*time.Hour), "delete FAILED placeholder accounts and expired connect links this long after (0: keep)")
	fs.DurationVar(&cfg.auditRetention, "audit-retention", envDuration("SWITCHBOARD_AUDIT_RETENTION", 90*24*time.Hour), "delete audit entries of toolkit calls this long after the call (0: keep)")
	fs.DurationVar(&cfg.sessionTTL, "session-ttl", envDuration("SWITCHBOARD_SESSION_TTL", accounts.DefaultSessionTTL), "default lifetime of a session created through the application API")
	fs.DurationVar(&cfg.sessionMaxTTL, "session-max-ttl", envDuration("SWITCHBOARD_SESSION_MAX_TTL", accounts.DefaultMaxSessionTTL), "longest lifetime a session created through the application API may ask for")
	fs.StringVar(&cfg.appName, "app-name", env("SWITCHBOARD_APP_NAME", "Switchboard"), "the application named on connect pages (\"Acme Assistant asks to act in your GitHub account\")")
	fs.StringVar(&cfg.toolMode, "tool-mode", env("SWITCHBOARD_TOOL_MODE", "auto"), "how sessions list toolkit tools: all, search (search_tools and execute_tool instead), or auto (search past --tool-mode-threshold tools)")
	fs.IntVar(&cfg.resultBudget, "result-budget", envInt("SWITCHBOARD_RESULT_BUDGET", tools.DefaultResultBudget), "bytes of a toolkit tool result's text (and of its structured content) before it is cut with a note; at most 65536")
	fs.IntVar(&cfg.maxSessions, "max-sessions-per-user", envInt("SWITCHBOARD_MAX_SESSIONS_PER_USER", 1000), "sessions kept per user; a new one past this is refused (0: no limit)")
	fs.IntVar(&cfg.toolModeAt, "tool-mode-threshold", envInt("SWITCHBOARD_TOOL_MODE_THRESHOLD", 30), "auto's limit: a session listing more toolkit tools than this lists search_tools instead")
	cfg.callbackHosts = splitList(os.Getenv("SWITCHBOARD_CALLBACK_HOSTS"))
	fs.Func("callback-hosts", "comma-separated hosts (host or host:port) a connect link's callback_url may name, besides the public URL's; repeatable", func(v string) error {
		cfg.callbackHosts = append(cfg.callbackHosts, splitList(v)...)
		return nil
	})
	cfg.toolkitDirs = splitList(os.Getenv("SWITCHBOARD_TOOLKITS_DIR"))
	fs.Func("toolkits-dir", "extra toolkit files (*.yaml, the catalog format) in `DIR`; repeatable (the variable: comma-separated)", func(v string) error {
		cfg.toolkitDirs = append(cfg.toolkitDirs, v)
		return nil
	})
	urls := env("SWITCHBOARD_TOOLKIT_URLS", "")
	fs.Func("toolkit-url", "`TOOLKIT=URL`: the API base URL of a toolkit; repeatable (the variable: comma-separated)", func(v string) error {
		urls += "," + v
		return nil
	})
	var origins string
	if cmd == "serve" {
		fs.StringVar(&cfg.addr, "addr", env("SWITCHBOARD_ADDR", "127.0.0.1:8080"), "listen address")
		fs.StringVar(&origins, "allowed-origins", env("SWITCHBOARD_ALLOWED_ORIGINS", ""), "comma-separated browser origins accepted on /mcp besides loopback and the public URL")
		fs.Int64Var(&cfg.maxBody, "max-body-bytes", 1<<20, "request body limit in bytes")
		cfg.apiKeys = splitList(os.Getenv("SWITCHBOARD_API_KEYS"))
	} else {
		fs.StringVar(&cfg.userID, "user-id", env("SWITCHBOARD_USER_ID", "default"), "the end user this process acts for")
		fs.StringVar(&cfg.connectedAccounts, "connected-accounts", env("SWITCHBOARD_CONNECTED_ACCOUNTS", ""), "per-toolkit accounts, e.g. github=work,gmail=ca_…")
		fs.StringVar(&cfg.toolkits, "toolkits", env("SWITCHBOARD_TOOLKITS", ""), "comma-separated toolkits of the session (default all)")
		fs.BoolVar(&cfg.requireExplicit, "require-explicit-selection", env("SWITCHBOARD_REQUIRE_EXPLICIT_SELECTION", "") == "true", "refuse to pick among several accounts without a selection")
		fs.StringVar(&cfg.connectAddr, "connect-addr", env("SWITCHBOARD_CONNECT_ADDR", "127.0.0.1:8765"), "loopback address serving connect pages")
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return cfg, &helpError{commandUsage(cmd, fs)}
	} else if err != nil {
		return cfg, usageErrorf("%v; run 'switchboard %s --help' for the flags", err, cmd)
	}
	if fs.NArg() > 0 {
		return cfg, usageErrorf("unexpected argument %q; run 'switchboard %s --help' for the flags", fs.Arg(0), cmd)
	}
	if err := envFallback(fs); err != nil {
		return cfg, err
	}
	cfg.allowedOrigins = splitList(origins)
	if err := absPaths(&cfg); err != nil {
		return cfg, err
	}
	if accounts.CheckToolMode(cfg.toolMode, true) != nil || cfg.toolMode == "" {
		return cfg, fmt.Errorf("--tool-mode %q: want all, search or auto (or SWITCHBOARD_TOOL_MODE)", cfg.toolMode)
	}
	if cfg.configFile != "" {
		fc, acs, err := readConfigFile(cfg.configFile)
		if err != nil {
			return cfg, err
		}
		if cfg.publicURL == "" {
			cfg.publicURL = fc.PublicURL
		}
		for name, u := range fc.ToolkitURLs {
			cfg.toolkitURL[name] = strings.TrimRight(u, "/")
		}
		cfg.authConfigs = acs
	}
	for _, pair := range splitList(urls) {
		name, u, ok := strings.Cut(pair, "=")
		if !ok || name == "" || u == "" {
			return cfg, fmt.Errorf("--toolkit-url or SWITCHBOARD_TOOLKIT_URLS: %q is not toolkit=URL", pair)
		}
		cfg.toolkitURL[strings.TrimSpace(name)] = strings.TrimRight(strings.TrimSpace(u), "/")
	}
	fromEnv, err := envAuthConfigs(os.Environ())
	if err != nil {
		return cfg, err
	}
	cfg.authConfigs = append(cfg.authConfigs, fromEnv...)
	return cfg, nil
}

// absPaths makes cfg's paths absolute, so that every message naming them
// names the same file whatever the working directory.
func absPaths(cfg *config) error {
	paths := []*string{&cfg.dataDir, &cfg.configFile}
	for i := range cfg.toolkitDirs {
		paths = append(paths, &cfg.toolkitDirs[i])
	}
	for _, p := range paths {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	return nil
}

// build opens the store and assembles the service and the MCP server,
// reporting to m when it is not nil. Whatever can be checked without the
// disk is checked first — the catalog, toolkit URLs, auth configs, the
// shared keys PostgreSQL needs, SWITCHBOARD_SECRET_KEYS, and check (the
// caller's, given the catalog) — so that a refused start creates no data
// dir, key or store. With PostgreSQL no data dir is made at all.
func build(ctx context.Context, cfg config, publicURL string, log *zap.Logger, m *transport.Metrics, check func(*tools.Catalog) error) (*accounts.Service, *server.Server, func(), error) {
	catalog, err := tools.BuiltinWith(cfg.toolkitDirs...)
	if err != nil {
		if len(cfg.toolkitDirs) > 0 {
			err = fmt.Errorf("%w (toolkit files come from --toolkits-dir or SWITCHBOARD_TOOLKITS_DIR)", err)
		}
		return nil, nil, nil, err
	}
	for name := range cfg.toolkitURL {
		if catalog.Toolkit(name) == nil {
			return nil, nil, nil, fmt.Errorf("a toolkit URL names unknown toolkit %q (--toolkit-url, SWITCHBOARD_TOOLKIT_URLS or toolkit_urls in the config file)", name)
		}
	}
	if err := accounts.CheckAuthConfigs(catalog, cfg.authConfigs); err != nil {
		return nil, nil, nil, err
	}
	if err := sharedKeysRequired(cfg); err != nil {
		return nil, nil, nil, err
	}
	if check != nil {
		if err := check(catalog); err != nil {
			return nil, nil, nil, err
		}
	}
	keys, err := secretKeys(cfg.dataDir, log)
	if err != nil {
		return nil, nil, nil, err
	}
	if cfg.databaseURL == "" {
		if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
			return nil, nil, nil, fmt.Errorf("data dir (--data-dir or SWITCHBOARD_DATA_DIR): %w", err)
		}
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, nil, nil, err
	}
	opts := tools.ExecutorOptions{BaseURLs: cfg.toolkitURL, UserAgent: "switchboard/" + version, ResultBudget: cfg.resultBudget}
	var onRefresh func(string, string)
	var onToolCall func(string, string, time.Duration)
	if m != nil {
		opts.Observe, onRefresh, onToolCall = m.Upstream, m.Refresh, m.ToolCall
	}
	exec := tools.NewExecutor(catalog, opts)
	svc, err := accounts.NewService(accounts.Config{
		Store: store, Keys: keys, Catalog: catalog, Executor: exec, AuthConfigs: cfg.authConfigs, Locker: store, OnRefresh: onRefresh,
		PublicURL: strings.TrimRight(publicURL, "/"), LinkTTL: cfg.linkTTL, Log: log.Named("accounts"),
		Retention:  retention(cfg),
		SessionTTL: cfg.sessionTTL, MaxSessionTTL: cfg.sessionMaxTTL, CallbackHosts: cfg.callbackHosts, MaxSessionsPerUser: cfg.maxSessions,
	})
	if err != nil {
		store.Close()
		return nil, nil, nil, err
	}
	sweepCtx, stopSweep := context.WithCancel(ctx)
	go svc.RunRetention(sweepCtx, sweepPeriod)
	srv := server.New(server.Config{Service: svc, Log: log.Named("mcp"), Version: version, OnToolCall: onToolCall, LocalLinks: cfg.connectAddr != "",
		ToolMode: cfg.toolMode, AutoThreshold: cfg.toolModeAt})
	return svc, srv, func() { stopSweep(); _ = svc.FlushAudit(context.Background()); store.Close() }, nil
}

func serve(ctx context.Context, cfg config, log *zap.Logger) error {
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("%w (--addr or SWITCHBOARD_ADDR)", err)
	}
	defer ln.Close()
	public := cfg.publicURL
	if public == "" {
		public = "http://" + ln.Addr().String()
	}
	metrics := transport.NewMetrics()
	hc := transport.HTTPConfig{
		Addr: cfg.addr, PublicURL: public, Keys: transport.NewKeys(cfg.apiKeys),
		AllowedOrigins: cfg.allowedOrigins, MaxBodyBytes: cfg.maxBody, Log: log.Named("http"), Metrics: metrics, AppName: cfg.appName,
		SessionIdleTTL: cfg.sessionIdleTTL,
	}
	svc, srv, closeStore, err := build(ctx, cfg, public, log, metrics, func(*tools.Catalog) error { return hc.Check() })
	if err != nil {
		return err
	}
	defer closeStore()
	h, err := transport.NewHTTP(hc, svc, srv)
	if err != nil {
		return err
	}
	if len(cfg.apiKeys) == 0 {
		log.Warn("dev mode: no SWITCHBOARD_API_KEYS set, accepting unauthenticated requests on loopback only")
	}
	log.Info("listening", zap.String("mcp", "http://"+ln.Addr().String()+"/mcp"), zap.String("public_url", public), zap.String("data_dir", cfg.dataDir))
	served := make(chan error, 1)
	go func() { served <- h.Serve(ctx, ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", zap.String("reason", context.Cause(ctx).Error()))
	err = <-served
	log.Info("stopped", zap.Error(err))
	return err
}

func stdio(ctx context.Context, cfg config, log *zap.Logger) error {
	ln, base, err := transport.ListenConnect(cfg.connectAddr)
	if err != nil {
		return fmt.Errorf("connect listener (--connect-addr or SWITCHBOARD_CONNECT_ADDR): %w", err)
	}
	public := cfg.publicURL
	if public == "" {
		public = base
	}
	sc := transport.StdioConfig{
		UserID: cfg.userID, ConnectedAccounts: cfg.connectedAccounts, Toolkits: cfg.toolkits,
		RequireExplicitSelection: cfg.requireExplicit, Log: log,
	}
	svc, srv, closeStore, err := build(ctx, cfg, public, log, nil, func(c *tools.Catalog) error {
		return transport.CheckStdio(sc, func(t string) bool { return c.Toolkit(t) != nil })
	})
	if err != nil {
		ln.Close()
		return err
	}
	defer closeStore()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		if err := transport.ServeConnect(ctx, ln, svc, public, cfg.appName, log.Named("connect")); err != nil {
			log.Error("connect listener stopped", zap.Error(err))
		}
	}()
	log.Info("connect pages served", zap.String("url", public), zap.String("addr", ln.Addr().(*net.TCPAddr).String()))
	return transport.RunStdio(ctx, sc, svc, srv, os.Stdin, os.Stdout)
}

// secretKeys returns the sealing keys: SWITCHBOARD_SECRET_KEYS, or a key
// generated once into the data dir.
func secretKeys(dataDir string, log *zap.Logger) (*accounts.KeyRing, error) {
	if spec := os.Getenv("SWITCHBOARD_SECRET_KEYS"); spec != "" {
		kr, err := accounts.ParseKeyRing(spec)
		if err != nil {
			return nil, fmt.Errorf("SWITCHBOARD_SECRET_KEYS: %w", err)
		}
		return kr, nil
	}
	path := filepath.Join(dataDir, "secret.key")
	kr, created, err := accounts.LoadOrCreateKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret key (--data-dir holds it; SWITCHBOARD_SECRET_KEYS replaces it): %w", err)
	}
	if created {
		log.Warn("generated a credential sealing key; back it up, or set SWITCHBOARD_SECRET_KEYS", zap.String("path", path))
	}
	return kr, nil
}

// newLogger logs to stderr: JSON for serve, console for stdio or a terminal.
func newLogger(cmd, level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level or SWITCHBOARD_LOG_LEVEL: %w", err)
	}
	zc := zap.NewProductionConfig()
	if cmd == "stdio" || isTerminal(os.Stderr) {
		zc = zap.NewDevelopmentConfig()
		zc.DisableStacktrace = true
	}
	zc.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder // not the production config's epoch seconds
	zc.Level = zap.NewAtomicLevelAt(lvl)
	zc.OutputPaths = []string{"stderr"}
	zc.ErrorOutputPaths = []string{"stderr"}
	return zc.Build()
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func envDuration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(key)); err == nil {
		return d
	}
	return def
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
