package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"switchboard/accounts"
	"switchboard/server"
)

// StdioConfig configures the stdio transport: one session for the process.
type StdioConfig struct {
	// UserID is the end user; default "default".
	UserID string
	// ConnectedAccounts is an X-Connected-Accounts style override,
	// "github=work,gmail=ca_…".
	ConnectedAccounts string
	// Toolkits restricts the session's toolkits; empty means all.
	Toolkits string
	// RequireExplicitSelection turns on rule 6's strict mode.
	RequireExplicitSelection bool
	// Log is the logger; it must write to stderr, never stdout.
	Log *zap.Logger
}

// ListenConnect opens the loopback listener that serves connect pages in
// stdio mode and returns it with its base URL. When addr is taken (another
// stdio server of the same user is running, e.g. Claude Desktop and Cursor at
// once) it falls back to a free port on the same host, so both processes can
// issue working links.
func ListenConnect(addr string) (net.Listener, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		host, _, splitErr := net.SplitHostPort(addr)
		if splitErr != nil {
			return nil, "", err
		}
		ln, err = net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, "", err
		}
	}
	return ln, "http://" + ln.Addr().String(), nil
}

// ServeConnect serves connect pages, confirmation pages and /healthz on
// ln until ctx ends.
// appName names the application on the pages ("Switchboard" when empty).
func ServeConnect(ctx context.Context, ln net.Listener, svc *accounts.Service, publicURL, appName string, log *zap.Logger) error {
	pub, err := parsePublic(publicURL)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	pages := newConnectPages(svc, appName, log.Named("connect"))
	mux.Handle("/connect/{token}", pages)
	mux.Handle("/confirm/{token}", newConfirmPages(svc, appName, log.Named("confirm")))
	mux.HandleFunc("GET /oauth/callback", pages.callback)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, `{"status":"ok"}`) })
	hs := &http.Server{Handler: hosts{public: pub.Host, listen: ln.Addr().String()}.guard(mux), ReadHeaderTimeout: 10 * time.Second, ErrorLog: zap.NewStdLog(log)}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// CheckStdio returns the error RunStdio gives for cfg before it opens the
// session, if any, as far as it can be told without the store: a user id or
// toolkit list RunStdio refuses, or account overrides with characters that
// accounts.CheckIdentifier refuses. known reports whether a toolkit exists.
// It touches nothing, so a program can refuse to start before it creates
// its store.
func CheckStdio(cfg StdioConfig, known func(toolkit string) bool) error {
	if cfg.UserID == "" {
		cfg.UserID = "default"
	}
	_, err := stdioScope(cfg, known)
	return err
}

// stdioScope checks cfg's user id, toolkits and the characters of its
// account overrides, and returns the session's scope so far.
func stdioScope(cfg StdioConfig, known func(toolkit string) bool) (*accounts.Scope, error) {
	if err := checkUserID("the user id (--user-id or SWITCHBOARD_USER_ID)", cfg.UserID); err != nil {
		return nil, err
	}
	sc := &accounts.Scope{RequireExplicit: cfg.RequireExplicitSelection}
	if cfg.Toolkits != "" {
		var err error
		if sc.Toolkits, err = parseToolkits([]string{cfg.Toolkits}, known); err != nil {
			return nil, errors.New(strings.Replace(err.Error(), "X-Toolkits", "--toolkits", 1))
		}
	}
	if err := accounts.CheckIdentifier("--connected-accounts", cfg.ConnectedAccounts); err != nil {
		return nil, err
	}
	return sc, nil
}

// RunStdio serves one MCP session over in and out until in ends or ctx is
// cancelled. A malformed or foreign account override refuses to start.
func RunStdio(ctx context.Context, cfg StdioConfig, svc *accounts.Service, srv *server.Server, in io.Reader, out io.Writer) error {
	if cfg.UserID == "" {
		cfg.UserID = "default"
	}
	sc, err := stdioScope(cfg, func(t string) bool { return svc.Catalog().Toolkit(t) != nil })
	if err != nil {
		return err
	}
	overrides, err := svc.ParseOverrides(ctx, cfg.UserID, cfg.ConnectedAccounts)
	if err != nil {
		return errors.New(strings.Replace(err.Error(), "X-Connected-Accounts", "--connected-accounts", 1))
	}
	sc.Header, sc.Pending = overrides.Accounts, overrides.Pending
	if sc.Session, err = svc.CreateSession(ctx, accounts.SessionOptions{UserID: cfg.UserID}); err != nil {
		return err
	}
	cfg.Log.Info("stdio session started", zap.String("session", sc.Session.ID), zap.String("user", cfg.UserID))
	std := mcpserver.NewStdioServer(srv.MCP())
	std.SetErrorLogger(zap.NewStdLog(cfg.Log.Named("stdio")))
	err = std.Listen(server.NewContext(ctx, sc), in, out)
	if errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
