package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"switchboard/accounts"
	"switchboard/tools"
)

// A toolkit call that its account's policy makes ask the person first
// (accounts.Policy.Confirm) asks through MCP form elicitation when the
// client declared it: a message naming the tool, the account and the
// arguments, answered with accept or decline. A legacy session is asked
// within the call (elicitation/create); a stateless 2026-07-28 client, which
// cannot receive requests from the server, gets the revision's multi
// round-trip answer instead (an input_required result carrying the
// elicitation), and repeats the call with the person's answer and the
// confirmation id as its request state. A client that did not declare
// elicitation, or a legacy one whose elicitation fails, gets
// CONFIRMATION_REQUIRED with a link for the person, and repeats the call
// through execute_tool with the confirmation id: tool schemas are strict,
// so a toolkit tool's own arguments cannot carry it.

// confirmInput keys the elicitation in a multi round-trip result.
const confirmInput = "confirm"

// canElicit reports whether the request's client declared form
// elicitation: in the request's own capabilities for a 2026-07-28 client,
// at initialize for a legacy session. A client that declared elicitation
// without naming a mode supports form mode. A direct call cannot
// (inDirectCall).
func canElicit(ctx context.Context, req mcp.CallToolRequest) bool {
	if inDirectCall(ctx) {
		return false
	}
	var caps *mcp.ClientCapabilities
	if modern(ctx) {
		caps = req.Params.Meta.ClientCapabilities()
	} else if info, ok := mcpserver.ClientSessionFromContext(ctx).(mcpserver.SessionWithClientInfo); ok {
		c := info.GetClientCapabilities()
		caps = &c
	}
	return caps != nil && caps.Elicitation != nil && (caps.Elicitation.Form != nil || caps.Elicitation.URL == nil)
}

// modern reports whether the request speaks the stateless 2026-07-28
// revision, where the server cannot send requests of its own.
func modern(ctx context.Context) bool {
	return mcp.IsModernProtocol(mcpserver.RequestProtocolVersion(ctx))
}

// runTool runs a toolkit tool for a tools/call (by name, or through
// execute_tool with opts.Confirmation), asking the person first where the
// account's policy says so and the client can. Its error is the call's
// failure, for the caller to turn into a tool result.
func (s *Server) runTool(ctx context.Context, sc *accounts.Scope, t *tools.Tool, args map[string]any, req mcp.CallToolRequest, opts accounts.CallOptions) (*mcp.CallToolResult, error) {
	opts.Elicit = canElicit(ctx, req)
	if id, answer := answerOf(req); id != "" {
		// A 2026-07-28 client repeats the call with the person's answer.
		if err := s.svc.AnswerConfirmation(ctx, sc.UserID(), id, answer); err != nil {
			return nil, err
		}
		opts.Confirmation = id
	}
	res, err := s.Execute(ctx, sc, t, args, opts)
	if c := elicitable(err); c != nil {
		a := accounts.ErrorOf(err).Account
		if modern(ctx) {
			return mcpserver.NewInputRequestBuilder(c.ID).Elicit(confirmInput, confirmParams(t, args, a)).ToolResult(), nil
		}
		approved, asked := s.askPerson(ctx, t, args, a)
		if asked {
			if err := s.svc.AnswerConfirmation(ctx, sc.UserID(), c.ID, approved); err != nil {
				return nil, err
			}
			opts.Confirmation = c.ID
		} else {
			opts.Elicit = false // a link for the person instead
		}
		res, err = s.Execute(ctx, sc, t, args, opts)
	}
	if err != nil {
		return nil, err
	}
	text, structured := CallOutput(res)
	return okResult(text, structured), nil
}

// elicitable returns the confirmation that err asks the client to obtain
// from the person itself (one without a link), or nil.
func elicitable(err error) *accounts.ConfirmationRequest {
	var e *accounts.Error
	if errors.As(err, &e) && e.Code == accounts.CodeConfirmationRequired && e.Confirmation != nil && e.Confirmation.URL == "" && e.Account != nil {
		return e.Confirmation
	}
	return nil
}

// answerOf reads the person's answer from a repeated 2026-07-28 call: the
// confirmation id (the request state) and whether they accepted; "" when
// the call carries no answer. Declining and dismissing the form both
// decline.
func answerOf(req mcp.CallToolRequest) (string, bool) {
	res := mcpserver.ElicitationResponse(req.Params.InputResponses, confirmInput)
	if res == nil || req.Params.RequestState == "" {
		return "", false
	}
	return req.Params.RequestState, res.Action == mcp.ElicitationResponseActionAccept
}

// confirmTimeout bounds how long a legacy call waits for the person's
// answer before it falls back to a confirmation link.
const confirmTimeout = 5 * time.Minute

// askPerson asks a legacy session's client to show the person the call
// and returns their answer; asked is false when the question could not be
// put (the client failed or did not answer in time), and the caller falls
// back to a link.
func (s *Server) askPerson(ctx context.Context, t *tools.Tool, args map[string]any, a *accounts.Account) (approved, asked bool) {
	ectx, cancel := context.WithTimeout(s.mcp.WithContext(ctx, s.asker(ctx)), confirmTimeout)
	defer cancel()
	res, err := s.mcp.RequestElicitation(ectx, mcp.ElicitationRequest{
		Request: mcp.Request{Method: string(mcp.MethodElicitationCreate)},
		Params:  confirmParams(t, args, a),
	})
	if err != nil || res == nil {
		s.log.Info("confirmation not asked through elicitation; falling back to a link", zap.String("tool", t.Name), zap.Error(err))
		return false, false
	}
	return res.Action == mcp.ElicitationResponseActionAccept, true
}

// confirmParams is the form the person answers: a message naming the tool,
// the account and the arguments, and no field to fill in (accepting is
// the answer).
func confirmParams(t *tools.Tool, args map[string]any, a *accounts.Account) mcp.ElicitationParams {
	msg := fmt.Sprintf("Allow the agent to %s (%s) as your %s account %s?", lowerFirst(t.Title), t.Name, a.Toolkit, name(a))
	if summary := accounts.FormatSummary(accounts.ArgumentSummary(args)); summary != "" {
		msg += "\n\n" + summary
	}
	return mcp.ElicitationParams{
		Mode:            mcp.ElicitationModeForm,
		Message:         msg,
		RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{}},
	}
}

// lowerFirst lower-cases the first letter of a tool title ("Create an
// issue" → "create an issue") for use inside a sentence.
func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}
