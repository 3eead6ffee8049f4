package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"switchboard/accounts"
	"switchboard/internal/fakeupstream"
	"switchboard/server"
	"switchboard/tools"
)

// newGitHubServer builds the MCP server with alice's GitHub account
// connected to a fake GitHub, initialized, and returns the fake with its
// identity request forgotten.
func newGitHubServer(tb testing.TB) (*server.Server, context.Context, *fakeupstream.GitHub) {
	tb.Helper()
	srv, ctx, gh, _ := newGitHubServerMode(tb, "")
	return srv, ctx, gh
}

// newGitHubServerMode is newGitHubServer with the server's default tool
// mode; it also returns the service.
func newGitHubServerMode(tb testing.TB, mode string) (*server.Server, context.Context, *fakeupstream.GitHub, *accounts.Service) {
	tb.Helper()
	gh := fakeupstream.NewGitHub()
	tb.Cleanup(gh.Close)
	gh.AddUser("ghp_alice", "alice-gh", 1)
	svc := testService(tb, map[string]string{"github": gh.URL()}, nil)
	srv := server.New(server.Config{Service: svc, Version: "test", ToolMode: mode})
	ctx := context.Background()
	sess, err := svc.CreateSession(ctx, accounts.SessionOptions{UserID: "alice"})
	if err != nil {
		tb.Fatal(err)
	}
	sc := &accounts.Scope{Session: sess}
	auth, err := svc.Authorize(ctx, sc, accounts.AuthorizeRequest{Toolkit: "github"})
	if err != nil {
		tb.Fatal(err)
	}
	_, token, _ := strings.Cut(auth.URL, "/connect/")
	if _, err := svc.CompleteWithSecret(ctx, token, "ghp_alice", ""); err != nil {
		tb.Fatal(err)
	}
	ctx = server.NewContext(ctx, sc)
	srv.MCP().HandleMessage(ctx, json.RawMessage(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
	gh.Reset()
	return srv, ctx, gh, svc
}

// callRaw sends tools/call of tool with the JSON text arguments as given
// and returns the error code of the result, "" for success.
func callRaw(tb testing.TB, srv *server.Server, ctx context.Context, tool, arguments string) string {
	tb.Helper()
	msg := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"` + tool + `","arguments":` + arguments + `}}`
	raw, err := json.Marshal(srv.MCP().HandleMessage(ctx, json.RawMessage(msg)))
	if err != nil {
		tb.Fatal(err)
	}
	var resp struct {
		Result struct {
			IsError           bool `json:"isError"`
			StructuredContent struct {
				Error struct {
					Code string `json:"code"`
				} `json:"error"`
			} `json:"structuredContent"`
		} `json:"result"`
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil || resp.Error != nil {
		tb.Fatalf("tools/call: %s (%v)", raw, err)
	}
	if resp.Result.IsError && resp.Result.StructuredContent.Error.Code == "" {
		tb.Fatalf("error result without a code: %s", raw)
	}
	return resp.Result.StructuredContent.Error.Code
}

// TestArgumentsMustBeAnObject: arguments that are not an object used to
// become {} (mcp-go's GetArguments) and reach GitHub; they are refused
// before any upstream request.
func TestArgumentsMustBeAnObject(t *testing.T) {
	srv, ctx, gh := newGitHubServer(t)
	for _, args := range []string{`"x"`, `[]`, `[{"owner":"a"}]`, `5`, `true`} {
		if code := callRaw(t, srv, ctx, "GITHUB_GET_AUTHENTICATED_USER", args); code != tools.CodeInvalidArguments {
			t.Errorf("arguments %s: code %q, want %s", args, code, tools.CodeInvalidArguments)
		}
	}
	if n := len(gh.Requests()); n != 0 {
		t.Errorf("GitHub got %d requests, want none", n)
	}
	t.Run("ObjectOrNullCalls", func(t *testing.T) {
		for _, args := range []string{`{}`, `null`} {
			if code := callRaw(t, srv, ctx, "GITHUB_GET_AUTHENTICATED_USER", args); code != "" {
				t.Errorf("arguments %s: code %q, want success", args, code)
			}
		}
		if n := len(gh.Requests()); n != 2 {
			t.Errorf("GitHub got %d requests, want 2", n)
		}
	})
}

// TestArgumentNumbersReadExactly: the MCP server reads the arguments' JSON
// itself, so a number is checked as the client wrote it, not as the double
// mcp-go made of it (1.0000000000000001 is 1 as a double).
func TestArgumentNumbersReadExactly(t *testing.T) {
	srv, ctx, gh := newGitHubServer(t)
	for _, n := range []string{`1.0000000000000001`, `9007199254740993`, `1e21`} {
		args := `{"owner":"octo-work","repo":"hello-world","issue_number":` + n + `}`
		if code := callRaw(t, srv, ctx, "GITHUB_GET_ISSUE", args); code != tools.CodeInvalidArguments {
			t.Errorf("issue_number %s: code %q, want %s", n, code, tools.CodeInvalidArguments)
		}
	}
	if n := len(gh.Requests()); n != 0 {
		t.Errorf("GitHub got %d requests, want none", n)
	}
	callRaw(t, srv, ctx, "GITHUB_GET_ISSUE", `{"owner":"octo-work","repo":"hello-world","issue_number":1.0}`)
	if reqs := gh.Requests(); len(reqs) != 1 || reqs[0].Path != "/repos/octo-work/hello-world/issues/1" {
		t.Errorf("requests %+v, want one for issue 1", reqs)
	}
}
