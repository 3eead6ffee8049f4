package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"switchboard/accounts"
	"switchboard/tools"
)

// listToolkits answers list_toolkits: the seed's session.toolkits().
func (s *Server) listToolkits(ctx context.Context, sc *accounts.Scope, args map[string]any, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	if err := checkArgs(args); err != nil {
		return nil, err
	}
	states, err := s.svc.Toolkits(ctx, sc)
	if err != nil {
		return nil, err
	}
	items := []any{}
	var lines []string
	for _, st := range states {
		items = append(items, ToolkitItem(st))
		tk := st.Toolkit
		line := fmt.Sprintf("- %s (%s): %d account(s), %d tools", tk.Slug, tk.Name, st.AccountCount, len(tk.Tools))
		switch a := st.Active; {
		case a != nil:
			line += fmt.Sprintf("; active: %s [%s, by %s]", name(a), a.Status, st.SelectedBy)
			if note := policyNote(a.Policy); note != "" {
				line += " (" + note + ")"
			}
		case st.Problem != nil && st.Problem.Code == accounts.CodeToolkitNotConfigured:
			line = fmt.Sprintf("- %s (%s): cannot be connected on this server until the operator configures it (%s)", tk.Slug, tk.Name, st.Problem.Code)
		case st.Problem != nil && st.Problem.Code == accounts.CodeAccountRequired:
			line += "; not connected: call authorize to connect an account; its tools appear once it is ACTIVE"
		case st.Problem != nil:
			line += fmt.Sprintf("; no active account (%s)", st.Problem.Code)
		}
		lines = append(lines, line)
	}
	text := "Toolkits in this session:\n" + strings.Join(lines, "\n") +
		"\n\nA toolkit's tools are listed once the user has an ACTIVE account of it (authorize, then wait_for_connection), or ahead of that when the session names the toolkit (X-Toolkits)."
	if len(lines) == 0 {
		text = "No toolkit is enabled in this session."
	}
	return okResult(text, map[string]any{"toolkits": items}), nil
}

// ToolkitItem is how one toolkit's state is shown in list_toolkits: slug,
// name, auth schemes, configured (whether users can connect it at all),
// connected, active_account (with selected_by and its policy) or null,
// account and tool counts, and selection_error when no account can act.
func ToolkitItem(st accounts.ToolkitState) map[string]any {
	item := map[string]any{
		"slug":           st.Toolkit.Slug,
		"name":           st.Toolkit.Name,
		"auth_schemes":   nonNil(st.AuthSchemes),
		"configured":     len(st.AuthSchemes) > 0,
		"connected":      st.Connected,
		"active_account": nil,
		"account_count":  st.AccountCount,
		"tool_count":     len(st.Toolkit.Tools),
	}
	if st.Active != nil {
		brief := AccountBrief(st.Active)
		brief["selected_by"] = st.SelectedBy
		brief["policy"] = PolicyJSON(st.Active.Policy)
		item["active_account"] = brief
	}
	if st.Problem != nil {
		item["selection_error"] = map[string]any{"code": st.Problem.Code, "message": st.Problem.Message}
	}
	return item
}

// callToolkitTool is the handler of one catalog tool.
func (s *Server) callToolkitTool(t *tools.Tool) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		sc, err := s.scope(ctx)
		if err != nil {
			s.logCall(nil, t.Name, nil, time.Now(), err)
			return errorResult(err), nil
		}
		// The raw arguments keep every number exact (mcp-go's decoded map
		// holds doubles), and a value that is not an object is refused
		// here: GetArguments would make it an empty map.
		args, err := t.Arguments(req.GetRawArguments())
		if err != nil {
			s.logCall(sc, t.Name, nil, time.Now(), err)
			return errorResult(err), nil
		}
		res, err := s.runTool(ctx, sc, t, args, req, accounts.CallOptions{Via: accounts.ViaMCP})
		if err != nil {
			return errorResult(err), nil
		}
		return res, nil
	}
}

// Execute runs a toolkit tool in the scope, as a tools/call does, and
// records the call in the log and the metrics (the audit trail records it
// too, in accounts). The application API's execute routes call it too, so
// every path chooses the account, applies its policy, refuses and reports
// the same way; opts say which path it is and carry a confirmation.
func (s *Server) Execute(ctx context.Context, sc *accounts.Scope, t *tools.Tool, args map[string]any, opts accounts.CallOptions) (*accounts.CallResult, error) {
	start := time.Now()
	res, err := s.svc.CallWith(ctx, sc, t, args, opts)
	if err != nil {
		s.logCall(sc, t.Name, accounts.ErrorOf(err).Account, start, err)
		return nil, err
	}
	s.logCall(sc, t.Name, res.Account, start, nil)
	return res, nil
}

// CallOutput is how a toolkit call's result reads: the upstream's text with
// a line naming the account that acted, and structured content with that
// account (and the layer that chose it) beside the shaped result.
func CallOutput(res *accounts.CallResult) (text string, structured map[string]any) {
	a := res.Account
	text = res.Result.Text + "\n\n(Acted as " + a.Toolkit + " account " + name(a) + ", chosen by " + string(res.SelectedBy) + ".)"
	acted := &actingAccount{ID: a.ID, SelectedBy: res.SelectedBy, Status: a.Status, Toolkit: a.Toolkit, alias: a.Alias, label: a.Label}
	acted.Alias, acted.Label = nullableRef(&acted.alias), nullableRef(&acted.label)
	return text, map[string]any{"account": acted, "result": res.Result.Structured}
}

// actingAccount is the account of a toolkit call's result: AccountBrief's
// id, alias, label and status, with toolkit and selected_by. Its fields are
// in sorted order, so it encodes as the map it replaces did.
type actingAccount struct {
	Alias      *string             `json:"alias"`
	ID         string              `json:"id"`
	Label      *string             `json:"label"`
	SelectedBy accounts.SelectedBy `json:"selected_by"`
	Status     accounts.Status     `json:"status"`
	Toolkit    string              `json:"toolkit"`

	alias, label string // what Alias and Label point to
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
