// Package e2e runs the built switchboard binary with real MCP clients: mcp-go's
// client in Go, and (when Node.js is available) the official TypeScript SDK,
// the MCP Inspector CLI and the OpenAI Agents SDK. Upstreams are the fakes of
// internal/fakeupstream.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// binary is the switchboard executable built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "switchboard-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "switchboard")
	build := exec.Command("go", "build", "-o", binary, "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building switchboard:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// logBuffer collects a process's stderr, safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logFile is a process's stdout and stderr, written by the process straight
// into a file. With no copying goroutine in between (as exec.Cmd has for a
// writer that is not a file), whatever the process wrote before answering a
// request is in the file when the answer arrives: reading the log after
// /healthz answers sees every line logged before serving began.
type logFile struct{ path string }

// String returns what the process has written so far.
func (l *logFile) String() string {
	b, err := os.ReadFile(l.path)
	if err != nil {
		return fmt.Sprintf("(reading %s: %v)", l.path, err)
	}
	return string(b)
}

// instance is one running `switchboard serve`.
type instance struct {
	base    string // http://127.0.0.1:port
	dataDir string
	cmd     *exec.Cmd
	logs    *logFile
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serve starts `switchboard serve` on a free port with dataDir, extra
// environment and flags, and waits for /healthz. It stops on cleanup.
func serve(tb testing.TB, dataDir string, env []string, args ...string) *instance {
	tb.Helper()
	addr := freeAddr(tb)
	inst := &instance{base: "http://" + addr, dataDir: dataDir, logs: &logFile{path: filepath.Join(tb.TempDir(), "switchboard.log")}}
	full := append([]string{"serve", "--addr", addr, "--data-dir", dataDir}, args...)
	inst.cmd = exec.Command(binary, full...)
	inst.cmd.Env = append(os.Environ(), env...)
	out, err := os.Create(inst.logs.path)
	if err != nil {
		tb.Fatal(err)
	}
	defer out.Close() // the process holds its own descriptor
	inst.cmd.Stdout, inst.cmd.Stderr = out, out
	if err := inst.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { inst.stop(tb) })
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(inst.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				// It logs where it listens before it serves (see logFile).
				if !strings.Contains(inst.logs.String(), `"listening"`) {
					tb.Fatalf("switchboard answers /healthz, but its log does not say where it listens:\n%s", inst.logs)
				}
				return inst
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("switchboard did not become healthy; logs:\n%s", inst.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the process gracefully (SIGTERM) and waits for it.
func (in *instance) stop(tb testing.TB) {
	if in.cmd.ProcessState != nil {
		return
	}
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- in.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = in.cmd.Process.Kill()
		<-done
		tb.Errorf("switchboard did not stop within 15s of SIGTERM")
	}
}

// session is an MCP client connected to switchboard.
type session struct {
	*mcpclient.Client
	notes *notifications
}

// notifications records the notifications a client received.
type notifications struct {
	mu      sync.Mutex
	methods []string
}

func (n *notifications) add(m mcp.JSONRPCNotification) {
	n.mu.Lock()
	n.methods = append(n.methods, m.Method)
	n.mu.Unlock()
}

func (n *notifications) count(method string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, m := range n.methods {
		if m == method {
			c++
		}
	}
	return c
}

// await reports whether a notification of method arrives within d.
func (n *notifications) await(method string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for n.count(method) == 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// connectHTTP opens a legacy (initialize) session at url with headers.
func connectHTTP(tb testing.TB, url string, headers map[string]string) *session {
	tb.Helper()
	//lint:ignore SA1019 legacy sessions (initialize, GET stream) are what these tests exercise
	s, err := tryConnectHTTP(url, headers, mcpclient.WithLegacyProtocolOnly())
	if err != nil {
		tb.Fatalf("connecting to %s: %v", url, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func tryConnectHTTP(url string, headers map[string]string, opts ...mcpclient.ClientOption) (*session, error) {
	//lint:ignore SA1019 legacy sessions (initialize, GET stream) are what these tests exercise
	tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPHeaders(headers), transport.WithContinuousListening())
	if err != nil {
		return nil, err
	}
	return start(tr, opts...)
}

// connectStateless connects a client of the stateless 2026-07-28 revision.
func connectStateless(url string, headers map[string]string) (*session, error) {
	tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPHeaders(headers))
	if err != nil {
		return nil, err
	}
	return startVersion(tr, mcp.LATEST_PROTOCOL_VERSION)
}

func start(tr transport.Interface, opts ...mcpclient.ClientOption) (*session, error) {
	return startVersion(tr, mcp.LATEST_LEGACY_PROTOCOL_VERSION, opts...)
}

func startVersion(tr transport.Interface, version string, opts ...mcpclient.ClientOption) (*session, error) {
	c := mcpclient.NewClient(tr, opts...)
	s := &session{Client: c, notes: &notifications{}}
	c.OnNotification(s.notes.add)
	// Start's context lives as long as the transport: a stdio transport
	// kills its subprocess when it ends.
	if err := c.Start(context.Background()); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = version
	req.Params.ClientInfo = mcp.Implementation{Name: "switchboard-e2e", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

// call invokes a tool and returns its result; protocol errors fail the test.
func (s *session) call(tb testing.TB, name string, args map[string]any) *mcp.CallToolResult {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := s.CallTool(ctx, req)
	if err != nil {
		tb.Fatalf("calling %s: %v", name, err)
	}
	return res
}

// ok calls a tool that must succeed and returns its structured content.
func (s *session) ok(tb testing.TB, name string, args map[string]any) map[string]any {
	tb.Helper()
	res := s.call(tb, name, args)
	if res.IsError {
		tb.Fatalf("%s failed: %s", name, text(res))
	}
	return structured(tb, res)
}

// fails calls a tool that must fail with code, and returns the error body.
func (s *session) fails(tb testing.TB, code, name string, args map[string]any) map[string]any {
	tb.Helper()
	res := s.call(tb, name, args)
	if !res.IsError {
		tb.Fatalf("%s succeeded, want %s: %s", name, code, text(res))
	}
	e, _ := structured(tb, res)["error"].(map[string]any)
	if e["code"] != code {
		tb.Fatalf("%s: error code %v, want %s: %s", name, e["code"], code, text(res))
	}
	return e
}

// toolNames lists the session's tools.
func (s *session) toolNames(tb testing.TB) []string {
	tb.Helper()
	res, err := s.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		tb.Fatalf("tools/list: %v", err)
	}
	var names []string
	for _, t := range res.Tools {
		names = append(names, t.Name)
	}
	return names
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// structured returns a result's structuredContent as a map.
func structured(tb testing.TB, res *mcp.CallToolResult) map[string]any {
	tb.Helper()
	var raw []byte
	switch {
	case len(res.RawStructuredContent) > 0:
		raw = res.RawStructuredContent
	default:
		var err error
		if raw, err = json.Marshal(res.StructuredContent); err != nil {
			tb.Fatal(err)
		}
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatalf("structuredContent is not an object: %s", raw)
	}
	return m
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// completeLink plays the person: opens the connect page and submits the
// credential. It returns the final page's status and body.
func completeLink(tb testing.TB, link, credential, alias string) (int, string) {
	tb.Helper()
	resp, err := http.Get(link)
	if err != nil {
		tb.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		return resp.StatusCode, string(page)
	}
	form := url.Values{"csrf": {string(m[1])}, "credential": {credential}}
	if alias != "" {
		form.Set("alias", alias)
	}
	resp, err = http.PostForm(link, form)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// connectAccount runs authorize → connect page → wait_for_connection and
// returns the ACTIVE account's id.
func connectAccount(tb testing.TB, s *session, toolkit, credential, alias string) string {
	tb.Helper()
	auth := s.ok(tb, "authorize", map[string]any{"toolkit": toolkit})
	link, _ := auth["redirect_url"].(string)
	id, _ := auth["connected_account_id"].(string)
	if !strings.Contains(link, "/connect/") || !strings.HasPrefix(id, "ca_") {
		tb.Fatalf("authorize returned %v", auth)
	}
	status, body := completeLink(tb, link, credential, alias)
	if status != http.StatusOK || !strings.Contains(body, "connected") {
		tb.Fatalf("connect page answered %d:\n%s", status, body)
	}
	got := s.ok(tb, "wait_for_connection", map[string]any{"connected_account_id": id, "timeout_seconds": 10})
	if got["status"] != "ACTIVE" {
		tb.Fatalf("wait_for_connection: %v", got)
	}
	return got["connected_account_id"].(string)
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
