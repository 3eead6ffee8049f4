package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"switchboard/accounts"
	"switchboard/tools"
)

// Search mode's two tools: search_tools finds toolkit tools by what the
// agent wants done, execute_tool runs one exactly as calling it by name
// would.

const (
	searchDefaultLimit = 5
	searchMaxLimit     = 20
)

// searchTools answers search_tools: the session's toolkit tools best
// matching the query, with their schemas, annotations, and the account
// that would act (or why none can), its policy, and what the policy makes
// of the tool (policy_decision: allowed, confirm or denied). Search lists
// tools a policy refuses, marked denied, so that the agent can say why it
// cannot do what was asked; the all-mode listing leaves them out.
func (s *Server) searchTools(ctx context.Context, sc *accounts.Scope, args map[string]any, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	if err := checkArgs(args, "query", "toolkit", "limit"); err != nil {
		return nil, err
	}
	query, err := requiredArg(args, "query")
	if err != nil {
		return nil, err
	}
	toolkit, err := stringArg(args, "toolkit")
	if err != nil {
		return nil, err
	}
	if toolkit != "" && s.svc.Catalog().Toolkit(toolkit) == nil {
		return nil, accounts.Errorf(accounts.CodeToolkitUnknown, "There is no toolkit %s; list_toolkits shows the toolkits there are.", accounts.Quote(toolkit))
	}
	limit := searchDefaultLimit
	if v, ok := args["limit"]; ok && v != nil {
		n, ok := wholeNumber(v)
		if !ok || n < 1 || n > searchMaxLimit {
			return nil, accounts.Errorf(accounts.CodeInvalidArguments, "limit must be a whole number from 1 to %d.", searchMaxLimit)
		}
		limit = n
	}
	hits := s.index.Search(query, func(t *tools.Tool) bool {
		return sc.Allows(t.Toolkit) && (toolkit == "" || t.Toolkit == toolkit)
	}, limit)
	all, err := s.svc.Accounts(ctx, sc.UserID(), "")
	if err != nil {
		return nil, err
	}
	items := []any{}
	var lines []string
	for i, h := range hits {
		t := h.Tool
		item := map[string]any{
			"name": t.Name, "toolkit": t.Toolkit, "title": t.Title, "description": t.Description,
			"input_schema": json.RawMessage(t.InputSchema),
			"annotations": map[string]bool{
				"readOnlyHint": t.ReadOnly, "destructiveHint": t.Destructive,
				"idempotentHint": t.Idempotent, "openWorldHint": t.OpenWorld,
			},
			"account": nil,
		}
		line := fmt.Sprintf("%d. %s — %s", i+1, t.Name, t.Title)
		a, by, err := s.svc.ActiveIn(sc, t.Toolkit, all)
		if err != nil {
			e := accounts.ErrorOf(err)
			item["account_error"] = map[string]any{"code": e.Code, "message": e.Message}
			line += fmt.Sprintf(" (no account can act: %s)", e.Code)
		} else {
			item["account"] = map[string]any{"id": a.ID, "alias": nullable(a.Alias), "label": nullable(a.Label), "selected_by": by, "policy": PolicyJSON(a.Policy)}
			line += fmt.Sprintf(" (acts as %s, by %s", name(a), by)
			switch rule, _ := a.Policy.Refusal(t); {
			case rule != "":
				item["policy_decision"] = "denied"
				line += "; its policy refuses this tool: " + rule
			case a.Policy.Asks(t):
				item["policy_decision"] = "confirm"
				line += "; asks the person first"
			default:
				item["policy_decision"] = "allowed"
			}
			line += ")"
		}
		items = append(items, item)
		lines = append(lines, line)
	}
	text := "No tool of this session matches; try other words, or list_toolkits to see the services."
	if len(lines) > 0 {
		text = "Best matches:\n" + strings.Join(lines, "\n") + "\nRun one with execute_tool {\"tool\": name, \"arguments\": {...}} (arguments as its input_schema says), or call it by name."
	}
	return okResult(text, map[string]any{"tools": items}), nil
}

// wholeNumber reads a JSON number that is an exact whole number.
func wholeNumber(v any) (int, bool) {
	switch n := v.(type) {
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<31 {
			return 0, false
		}
		return int(n), true
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil && i >= math.MinInt32 && i <= math.MaxInt32
	}
	return 0, false
}

// executeTool answers execute_tool: the named toolkit tool runs exactly as
// a tools/call of it would, with the same argument checks (before any
// upstream request), account choice, refusals and result.
func (s *Server) executeTool(ctx context.Context, sc *accounts.Scope, _ map[string]any, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var in struct {
		Tool         string          `json:"tool"`
		Arguments    json.RawMessage `json:"arguments"`
		Confirmation string          `json:"confirmation"`
	}
	raw, _ := json.Marshal(req.GetRawArguments())
	if r, ok := req.GetRawArguments().(json.RawMessage); ok {
		raw = r
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, accounts.Errorf(accounts.CodeInvalidArguments, "execute_tool takes {\"tool\": name, \"arguments\": {...}, \"confirmation\": id (optional)}.")
	}
	in.Tool = strings.TrimSpace(in.Tool)
	if in.Tool == "" {
		return nil, accounts.Errorf(accounts.CodeInvalidArguments, "tool is required: the name of a toolkit tool, as search_tools gives it.")
	}
	t := s.svc.Catalog().Tool(in.Tool)
	if t == nil {
		return nil, accounts.Errorf(accounts.CodeInvalidArguments, "There is no tool %q; search_tools finds the tools of this session.", in.Tool)
	}
	args, err := t.Arguments(in.Arguments)
	if err != nil {
		return nil, err
	}
	return s.runTool(ctx, sc, t, args, req, accounts.CallOptions{Via: accounts.ViaExecuteTool, Confirmation: strings.TrimSpace(in.Confirmation)})
}
