package accounts

import (
	"context"

	"switchboard/tools"
)

// ToolkitState is one toolkit as a session sees it: the seed's
// session.toolkits(), shared by list_toolkits and the application API.
type ToolkitState struct {
	// Toolkit is the catalog entry.
	Toolkit *tools.Toolkit
	// AuthSchemes are the schemes configured for it; none means no user can
	// connect it until the operator configures it (Problem says so).
	AuthSchemes []string
	// AccountCount counts the user's accounts that were ever connected
	// (placeholders of links never completed are left out).
	AccountCount int
	// Connected reports whether the user has an ACTIVE account of it.
	Connected bool
	// Active is the account that acts for it in the session, chosen by
	// rule 5; nil when none can (see Problem). An account chosen by the
	// header or the session that cannot act is still shown here, with
	// Problem saying why.
	Active *Account
	// SelectedBy says which layer chose Active.
	SelectedBy SelectedBy
	// Problem is why no account can act (ACCOUNT_REQUIRED, ACCOUNT_INACTIVE,
	// ACCOUNT_AMBIGUOUS, …); nil when Active can.
	Problem *Error
}

// Toolkits returns the state of every toolkit the scope may use, in
// catalog order, from one read of the user's accounts.
func (s *Service) Toolkits(ctx context.Context, sc *Scope) ([]ToolkitState, error) {
	all, err := s.Accounts(ctx, sc.UserID(), "")
	if err != nil {
		return nil, err
	}
	var out []ToolkitState
	for _, tk := range s.catalog.Toolkits() {
		if !sc.Allows(tk.Slug) {
			continue
		}
		st := ToolkitState{Toolkit: tk, AuthSchemes: s.AuthSchemes(tk.Slug)}
		for _, a := range all {
			if a.Toolkit == tk.Slug && a.Status != StatusInitiated && a.Status != StatusFailed {
				st.AccountCount++
				st.Connected = st.Connected || a.Active()
			}
		}
		a, by, err := s.ActiveIn(sc, tk.Slug, all)
		st.Active, st.SelectedBy = a, by
		if err != nil {
			st.Problem = ErrorOf(err)
		}
		out = append(out, st)
	}
	return out, nil
}

// ListedToolkits returns the toolkits whose tools the scope lists: those
// it allows where the user has an ACTIVE account, or that it names
// explicitly and users can connect (a named toolkit the operator has not
// configured would list tools that can never work). Tools of other
// toolkits stay callable, and answer with a code the agent can act on
// (ACCOUNT_REQUIRED, TOOLKIT_NOT_ENABLED, TOOLKIT_NOT_CONFIGURED).
func (s *Service) ListedToolkits(ctx context.Context, sc *Scope) (map[string]bool, error) {
	out := map[string]bool{}
	var active map[string]bool
	for _, tk := range s.catalog.Toolkits() {
		if !sc.Allows(tk.Slug) {
			continue
		}
		if sc.Names(tk.Slug) && s.Configured(tk.Slug) {
			out[tk.Slug] = true
			continue
		}
		if active == nil {
			all, err := s.store.Accounts(ctx, sc.UserID(), "")
			if err != nil {
				return nil, internal(err, "list accounts")
			}
			active = map[string]bool{}
			for _, a := range all {
				if a.Active() {
					active[a.Toolkit] = true
				}
			}
		}
		if active[tk.Slug] {
			out[tk.Slug] = true
		}
	}
	return out, nil
}

// ListedTools returns the catalog tools the scope lists (ListedToolkits),
// in catalog order.
func (s *Service) ListedTools(ctx context.Context, sc *Scope) ([]*tools.Tool, error) {
	listed, err := s.ListedToolkits(ctx, sc)
	if err != nil {
		return nil, err
	}
	var out []*tools.Tool
	for _, t := range s.catalog.Tools() {
		if listed[t.Toolkit] {
			out = append(out, t)
		}
	}
	return out, nil
}
