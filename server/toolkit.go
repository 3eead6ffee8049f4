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
	all, err := s.svc.Accounts(ctx, sc.UserID(), "")
	if err != nil {
		return nil, err
	}
	var items []any
	var lines []string
	for _, tk := range s.svc.Catalog().Toolkits() {
		if !sc.Allows(tk.Slug) {
			continue
		}
		count, connected := 0, false
		for _, a := range all {
			if a.Toolkit == tk.Slug && a.Status != accounts.StatusInitiated && a.Status != accounts.StatusFailed {
				count++
				connected = connected || a.Active()
			}
		}
		item := map[string]any{
			"slug":           tk.Slug,
			"name":           tk.Name,
			"auth_schemes":   nonNil(s.svc.AuthSchemes(tk.Slug)),
			"connected":      connected,
			"active_account": nil,
			"account_count":  count,
			"tool_count":     len(tk.Tools),
		}
		line := fmt.Sprintf("- %s (%s): %d account(s), %d tools", tk.Slug, tk.Name, count, len(tk.Tools))
		a, by, err := s.svc.ActiveIn(sc, tk.Slug, all)
		if a != nil {
			brief := accountBrief(a)
			brief["selected_by"] = by
			item["active_account"] = brief
			line += fmt.Sprintf("; active: %s [%s, by %s]", name(a), a.Status, by)
		}
		if err != nil {
			e := accounts.ErrorOf(err)
			item["selection_error"] = map[string]any{"code": e.Code, "message": e.Message}
			if a == nil {
				line += fmt.Sprintf("; no active account (%s)", e.Code)
			}
		}
		items = append(items, item)
		lines = append(lines, line)
	}
	text := "Toolkits in this session:\n" + strings.Join(lines, "\n")
	if len(lines) == 0 {
		text = "No toolkit is enabled in this session."
	}
	return okResult(text, map[string]any{"toolkits": nonNilAny(items)}), nil
}

// callToolkitTool is the handler of one catalog tool.
func (s *Server) callToolkitTool(t *tools.Tool) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		start := time.Now()
		sc, err := s.scope(ctx)
		if err != nil {
			s.logCall(nil, t.Name, nil, start, err)
			return errorResult(err), nil
		}
		// The raw arguments keep every number exact (mcp-go's decoded map
		// holds doubles), and a value that is not an object is refused
		// here: GetArguments would make it an empty map.
		args, err := t.Arguments(req.GetRawArguments())
		if err != nil {
			s.logCall(sc, t.Name, nil, start, err)
			return errorResult(err), nil
		}
		res, err := s.svc.Call(ctx, sc, t, args)
		if err != nil {
			var acct *accounts.Account
			if e := accounts.ErrorOf(err); e.Account != nil {
				acct = e.Account
			}
			s.logCall(sc, t.Name, acct, start, err)
			return errorResult(err), nil
		}
		s.logCall(sc, t.Name, res.Account, start, nil)
		brief := accountBrief(res.Account)
		brief["toolkit"] = res.Account.Toolkit
		brief["selected_by"] = res.SelectedBy
		text := fmt.Sprintf("%s\n\n(Acted as %s account %s, chosen by %s.)", res.Result.Text, res.Account.Toolkit, name(res.Account), res.SelectedBy)
		return okResult(text, map[string]any{"account": brief, "result": res.Result.Structured}), nil
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilAny(s []any) []any {
	if s == nil {
		return []any{}
	}
	return s
}
