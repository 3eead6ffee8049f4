package server

import (
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"switchboard/accounts"
)

// errorResult turns err into a tool result with isError and
// structuredContent.error.code: the one place where failures become results.
// The message is the agent-facing one; causes stay in the log.
func errorResult(err error) *mcp.CallToolResult {
	e, body := ErrorBody(err)
	text := fmt.Sprintf("Error %s: %s", e.Code, e.Message)
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(text)},
		StructuredContent: map[string]any{"error": body},
		IsError:           true,
	}
}

// ErrorBody is a failure as the agent or application reads it: code,
// message, and where they apply the candidates of an ambiguous choice, the
// account concerned and retry_after_seconds. Tool results and the
// application API's error responses carry the same object.
func ErrorBody(err error) (*accounts.Error, map[string]any) {
	e := accounts.ErrorOf(err)
	body := map[string]any{"code": e.Code, "message": e.Message}
	if len(e.Candidates) > 0 {
		cands := make([]map[string]any, len(e.Candidates))
		for i, a := range e.Candidates {
			cands[i] = AccountBrief(a)
		}
		body["candidates"] = cands
	}
	if e.Account != nil {
		body["account"] = AccountBrief(e.Account)
	}
	if e.RetryAfterSeconds > 0 {
		body["retry_after_seconds"] = e.RetryAfterSeconds
	}
	if e.Account != nil && (e.Code == accounts.CodeAccountPolicyDenied || e.Code == accounts.CodeConfirmationRequired) {
		body["policy"] = PolicyJSON(e.Account.Policy)
	}
	if c := e.Confirmation; c != nil {
		body["confirmation"] = map[string]any{"id": c.ID, "url": nullable(c.URL), "expires_at": timeOrNil(c.ExpiresAt)}
	}
	return e, body
}

// PolicyJSON is how an account's policy is shown, with its defaults
// spelled out: access, allow_tools (empty: every tool), deny_tools and
// confirm. Tool results and the application API show the same object.
func PolicyJSON(p accounts.Policy) PolicyView {
	n := p.Normal()
	return PolicyView{Access: n.Access, AllowTools: nonNil(n.AllowTools), Confirm: n.Confirm, DenyTools: nonNil(n.DenyTools)}
}

// PolicyView is the JSON of a policy (PolicyJSON). A struct instead of a
// map spares an allocation per value and the encoder's reflection on map
// keys; its fields are in sorted order, so it encodes as the map did.
type PolicyView struct {
	Access     accounts.Access  `json:"access"`
	AllowTools []string         `json:"allow_tools"`
	Confirm    accounts.Confirm `json:"confirm"`
	DenyTools  []string         `json:"deny_tools"`
}

// policyNote is a policy in a few words for result text, "" for none.
func policyNote(p accounts.Policy) string {
	if p.IsZero() {
		return ""
	}
	var parts []string
	if p.Access == accounts.AccessReadOnly {
		parts = append(parts, "read-only")
	}
	if len(p.AllowTools) > 0 {
		parts = append(parts, "only "+strings.Join(p.AllowTools, ", "))
	}
	if len(p.DenyTools) > 0 {
		parts = append(parts, "never "+strings.Join(p.DenyTools, ", "))
	}
	switch p.Confirm {
	case accounts.ConfirmWrites:
		parts = append(parts, "asks the person before writes")
	case accounts.ConfirmDestructive:
		parts = append(parts, "asks the person before destructive calls")
	}
	return "policy: " + strings.Join(parts, "; ")
}

// okResult is a successful result with text and structured content.
func okResult(text string, structured map[string]any) *mcp.CallToolResult {
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(text)},
		StructuredContent: structured,
	}
}

// AccountBrief is how an account is shown inside other results: id,
// alias, label and status.
func AccountBrief(a *accounts.Account) map[string]any {
	return map[string]any{
		"id":     a.ID,
		"alias":  nullable(a.Alias),
		"label":  nullable(a.Label),
		"status": a.Status,
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// nullableRef is s, or nil (JSON null) when *s is empty.
func nullableRef(s *string) *string {
	if *s == "" {
		return nil
	}
	return s
}

// timeText is t as results show it, "" when t is zero.
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// name is how an account is named in result text: "ca_x (alias work, login)".
func name(a *accounts.Account) string {
	switch {
	case a.Alias != "" && a.Label != "":
		return a.ID + " (alias " + a.Alias + ", " + a.Label + ")"
	case a.Alias != "":
		return a.ID + " (alias " + a.Alias + ")"
	case a.Label != "":
		return a.ID + " (" + a.Label + ")"
	}
	return a.ID
}
