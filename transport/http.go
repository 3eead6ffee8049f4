// Package transport carries Switchboard's MCP server over stdio and
// streamable HTTP: identity from flags, environment and headers, operator
// API keys, Origin and Host checks, connect pages, health.
package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"switchboard/accounts"
	"switchboard/server"
)

// HTTPConfig configures the streamable HTTP transport.
type HTTPConfig struct {
	// Addr is the listen address, e.g. "127.0.0.1:8080".
	Addr string
	// PublicURL is the external base URL (connect links, OAuth redirects);
	// its host is accepted in Host and Origin headers.
	PublicURL string
	// Keys are the operator API keys; none means dev mode, allowed only on
	// a loopback address.
	Keys *Keys
	// AllowedOrigins are further browser origins accepted on /mcp, e.g.
	// "https://app.example.com".
	AllowedOrigins []string
	// MaxBodyBytes bounds a request body; default 1 MiB.
	MaxBodyBytes int64
	// Metrics, when set, are served on GET /metrics (behind the operator
	// key when keys are configured) and count sessions.
	Metrics *Metrics
	// SessionIdleTTL is how long an idle MCP session's in-memory state is
	// kept (its stored session may live longer, see the retention sweep); 0
	// or more than 30 minutes means 30 minutes.
	SessionIdleTTL time.Duration
	// AppName names the application that asks people to connect accounts,
	// on connect pages; "Switchboard" when empty.
	AppName string
	// Log is the logger.
	Log *zap.Logger
}

// HTTP is the streamable HTTP transport plus the connect pages.
type HTTP struct {
	cfg     HTTPConfig
	svc     *accounts.Service
	srv     *server.Server
	mcp     *mcpserver.StreamableHTTPServer
	live    *legacySessions
	log     *zap.Logger
	pages   *connectPages
	public  *url.URL
	handler http.Handler
}

// NewHTTP builds the transport. It refuses dev mode (no keys) on an address
// that is not loopback.
func NewHTTP(cfg HTTPConfig, svc *accounts.Service, srv *server.Server) (*HTTP, error) {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	pub, err := parsePublic(cfg.PublicURL)
	if err != nil {
		return nil, err
	}
	h := &HTTP{cfg: cfg, svc: svc, srv: srv, log: cfg.Log, public: pub}
	h.live = newLegacySessions(srv, cfg.memoryIdleTTL())
	h.mcp = mcpserver.NewStreamableHTTPServer(srv.MCP(),
		mcpserver.WithSessionIdManagerResolver(sessionIDs{svc: svc, live: h.live}),
		mcpserver.WithHTTPContextFunc(h.live.restore),
		mcpserver.WithHeartbeatInterval(25*time.Second),
		// hosts.guard checks Host for every route, also behind a reverse proxy
		// on loopback, where mcp-go's own check would refuse the public host.
		mcpserver.WithDisableLocalhostProtection(true),
	)
	h.pages = newConnectPages(svc, cfg.AppName, cfg.Log.Named("connect"))
	mux := http.NewServeMux()
	mcpHandler := h.live.handler(h.mcp)
	mux.Handle("/mcp", h.guardMCP(mcpHandler))
	mux.Handle("/sessions/{id}/mcp", h.guardMCP(mcpHandler))
	mux.Handle("/connect/{token}", h.pages)
	mux.Handle("/confirm/{token}", newConfirmPages(svc, cfg.AppName, cfg.Log.Named("confirm")))
	mux.HandleFunc("GET /oauth/callback", h.pages.callback)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /readyz", h.ready)
	h.mountAPI(mux, h.routes(), v1Params, h.writeAPIError)
	h.mountAPI(mux, h.composioRoutes(), nil, h.writeComposioError)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		h.writeAPIError(w, apiErrorf(http.StatusNotFound, codeNotFound, "There is no API route %s %s; GET /api/v1/openapi.json lists them.", r.Method, quote(r.URL.Path)))
	})
	if cfg.Metrics != nil {
		mux.Handle("GET /metrics", h.operatorOnly(cfg.Metrics.Handler()))
	}
	h.handler = hosts{public: pub.Host, listen: cfg.Addr}.guard(mux)
	return h, nil
}

// Check returns the error NewHTTP gives for cfg, if any: dev mode (no
// keys) on an address that is not loopback, or a public URL that is not an
// absolute http(s) URL. It touches nothing, so a program can refuse to start
// before it creates its store.
func (cfg HTTPConfig) Check() error {
	if cfg.Keys.Empty() && !isLoopbackAddr(cfg.Addr) {
		return fmt.Errorf("refusing to listen on %s without an API key: set SWITCHBOARD_API_KEYS, or give --addr (SWITCHBOARD_ADDR) a loopback address such as 127.0.0.1:8080 for dev mode", cfg.Addr)
	}
	_, err := parsePublic(cfg.PublicURL)
	return err
}

// memoryIdleTTL bounds the in-memory state of idle MCP sessions (see
// legacySessions): a client that comes back after it finds its stored
// session again, so keeping the state longer than half an hour buys little.
func (c HTTPConfig) memoryIdleTTL() time.Duration {
	if c.SessionIdleTTL <= 0 || c.SessionIdleTTL > 30*time.Minute {
		return 30 * time.Minute
	}
	return c.SessionIdleTTL
}

// Handler returns the transport's HTTP handler.
func (h *HTTP) Handler() http.Handler { return h.handler }

// Serve serves on ln until ctx ends, then shuts down gracefully: in-flight
// requests get up to 10 seconds.
func (h *HTTP) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           h.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          zap.NewStdLog(h.log.Named("http")),
	}
	// Open SSE streams would hold Shutdown for its whole grace period.
	hs.RegisterOnShutdown(func() { h.mcp.CloseSessions(context.Background()) })
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = hs.Close()
	}
	return err
}

func (h *HTTP) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := h.svc.Store().Session(ctx, "ses_readiness_probe"); err != nil && !errors.Is(err, accounts.ErrNotFound) {
		h.log.Warn("readiness check failed", zap.Error(err))
		http.Error(w, `{"status":"store unavailable"}`, http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintln(w, `{"status":"ready"}`)
}

// hosts says which Host headers a listener serves: loopback names, the
// public URL's host, and the literal listen address. Checking it on every
// route is the defence against DNS rebinding.
type hosts struct {
	public string // host[:port] of the public URL
	listen string // the listen address, host:port
}

// guard refuses requests whose Host is not served here.
func (hs hosts) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hs.allowed(r.Host) {
			writeJSONError(w, http.StatusForbidden, nil, fmt.Sprintf("Host %s is not served here", quote(r.Host)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (hs hosts) allowed(host string) bool {
	if strings.EqualFold(host, hs.public) {
		return true
	}
	name := host
	if hn, _, err := net.SplitHostPort(host); err == nil {
		name = hn
	}
	name = strings.Trim(name, "[]")
	if strings.EqualFold(name, "localhost") {
		return true
	}
	ip := net.ParseIP(name)
	if ip != nil && ip.IsLoopback() {
		return true
	}
	// Listening on a specific non-loopback address: its literal is fine.
	if lh, _, err := net.SplitHostPort(hs.listen); err == nil && lh != "" && strings.EqualFold(lh, name) {
		return true
	}
	return false
}

// originAllowed accepts requests without Origin (non-browser clients), and
// browser origins that are loopback, the public URL's, or configured.
func (h *HTTP) originAllowed(origin string) bool {
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Scheme+"://"+u.Host, h.public.Scheme+"://"+h.public.Host) {
		return true
	}
	for _, o := range h.cfg.AllowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	name := strings.Trim(u.Hostname(), "[]")
	ip := net.ParseIP(name)
	return strings.EqualFold(name, "localhost") || (ip != nil && ip.IsLoopback())
}

// isLoopbackAddr reports whether a listen address only accepts local
// connections.
func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parsePublic checks the public base URL.
func parsePublic(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("public URL %q (--public-url, SWITCHBOARD_PUBLIC_URL or public_url in the config file) must be an absolute http(s) URL", raw)
	}
	return u, nil
}

// operatorOnly lets a request through when no key is configured (dev mode,
// loopback only) or when it carries an operator key.
func (h *HTTP) operatorOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.cfg.Keys.Empty() {
			if _, ok := h.cfg.Keys.Check(presentedKey(r)); !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="switchboard"`)
				http.Error(w, "an operator API key is required", http.StatusUnauthorized)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
