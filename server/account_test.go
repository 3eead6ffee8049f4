package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/accounts"
	"switchboard/tools"
)

// TestListAccountsEncodesAsMaps pins that list_accounts' typed items, and
// its text, read exactly as the maps and fmt lines they replaced: the same
// JSON bytes (keys, nulls, policy defaults) and the same text, for accounts
// with and without alias, label, reason, times and policy, active or not.
func TestListAccountsEncodesAsMaps(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 8, time.FixedZone("x", 3600))
	cases := []*accounts.Account{
		{ID: "ca_bare", Toolkit: "github", Status: accounts.StatusActive},
		{ID: "ca_full", Toolkit: "gmail", AuthConfigID: "ac_1", Alias: "work", Label: "a@b.example <&>",
			Status: accounts.StatusActive, ConnectedAt: at, LastUsedAt: at.Add(time.Hour),
			Policy: accounts.Policy{Access: accounts.AccessReadOnly, AllowTools: []string{"GMAIL_*"}, DenyTools: []string{"GMAIL_SEND_EMAIL"}, Confirm: accounts.ConfirmWrites}},
		{ID: "ca_expired", Toolkit: "slack", Label: "u\u2028\"q\"", Status: accounts.StatusExpired, StatusReason: "refresh failed: invalid_grant", ConnectedAt: at},
		{ID: "ca_alias", Toolkit: "github", Alias: "home", Status: accounts.StatusInactive, StatusReason: "disabled",
			Policy: accounts.Policy{Confirm: accounts.ConfirmDestructive}},
	}
	for _, a := range cases {
		for _, active := range []bool{false, true} {
			for _, by := range []accounts.SelectedBy{accounts.SelectedByDefault, accounts.SelectedBySession, accounts.SelectedByHeader} {
				items := appendAccountItem(make([]accountItem, 0, 1), a, active, by)
				got, err := json.Marshal(map[string]any{"accounts": items})
				if err != nil {
					t.Fatal(err)
				}
				want, _ := json.Marshal(map[string]any{"accounts": []any{accountMap(a, active, by)}})
				if string(got) != string(want) {
					t.Errorf("%s active=%v by=%s:\n got %s\nwant %s", a.ID, active, by, got, want)
				}
				var b strings.Builder
				writeAccountLine(&b, a, active, by)
				if line := accountLineFmt(a, active, by); b.String() != "\n"+line {
					t.Errorf("%s active=%v by=%s: text\n got %q\nwant %q", a.ID, active, by, b.String(), "\n"+line)
				}
			}
		}
	}
	if got, _ := json.Marshal(map[string]any{"accounts": make([]accountItem, 0)}); string(got) != `{"accounts":[]}` {
		t.Errorf("no accounts: %s", got)
	}
}

// accountMap is list_accounts' item as it was built before accountItem.
func accountMap(a *accounts.Account, active bool, by accounts.SelectedBy) map[string]any {
	n := a.Policy.Normal()
	item := map[string]any{
		"id":                a.ID,
		"toolkit":           a.Toolkit,
		"alias":             nullable(a.Alias),
		"label":             nullable(a.Label),
		"status":            a.Status,
		"status_reason":     nullable(a.StatusReason),
		"auth_config":       a.AuthConfigID,
		"connected_at":      timeOrNil(a.ConnectedAt),
		"last_used_at":      timeOrNil(a.LastUsedAt),
		"active_in_session": active,
		"selected_by":       nil,
		"policy": map[string]any{
			"access":      n.Access,
			"allow_tools": nonNil(n.AllowTools),
			"deny_tools":  nonNil(n.DenyTools),
			"confirm":     n.Confirm,
		},
	}
	if active {
		item["selected_by"] = by
	}
	return item
}

// accountLineFmt is list_accounts' text line as it was built before
// writeAccountLine.
func accountLineFmt(a *accounts.Account, active bool, by accounts.SelectedBy) string {
	line := fmt.Sprintf("- %s %s [%s]", a.Toolkit, accountLineName(a), a.Status)
	if note := policyNote(a.Policy); note != "" {
		line += " (" + note + ")"
	}
	if active {
		line += fmt.Sprintf(" — active in this session (%s)", by)
	}
	return line
}

// TestCallOutputEncodesAsMaps pins that a toolkit call's output reads as
// it did when its account was a map and its text came from fmt.
func TestCallOutputEncodesAsMaps(t *testing.T) {
	result := &tools.Result{Text: "octo <o@x>", Structured: map[string]any{"login": "octo", "id": json.Number("7")}}
	for _, a := range []*accounts.Account{
		{ID: "ca_1", Toolkit: "github", Status: accounts.StatusActive},
		{ID: "ca_2", Toolkit: "gmail", Alias: "work", Label: "a@b.example", Status: accounts.StatusActive},
		{ID: "ca_3", Toolkit: "slack", Label: "u\u2028&", Status: accounts.StatusActive},
	} {
		res := &accounts.CallResult{Account: a, SelectedBy: accounts.SelectedBySession, Result: result}
		text, structured := CallOutput(res)
		got, _ := json.Marshal(structured)

		brief := map[string]any{"id": a.ID, "alias": nullable(a.Alias), "label": nullable(a.Label), "status": a.Status,
			"toolkit": a.Toolkit, "selected_by": res.SelectedBy}
		want, _ := json.Marshal(map[string]any{"account": brief, "result": result.Structured})
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", a.ID, got, want)
		}
		wantText := fmt.Sprintf("%s\n\n(Acted as %s account %s, chosen by %s.)", result.Text, a.Toolkit, accountLineName(a), res.SelectedBy)
		if text != wantText {
			t.Errorf("%s: text %q, want %q", a.ID, text, wantText)
		}
	}
}

// accountLineName is name() as it was, joining a slice.
func accountLineName(a *accounts.Account) string {
	var extra []string
	if a.Alias != "" {
		extra = append(extra, "alias "+a.Alias)
	}
	if a.Label != "" {
		extra = append(extra, a.Label)
	}
	if len(extra) == 0 {
		return a.ID
	}
	return a.ID + " (" + strings.Join(extra, ", ") + ")"
}
