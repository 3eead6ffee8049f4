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

// Listing is what a scope lists of the toolkit tools.
type Listing struct {
	// Toolkits are those whose tools are listed: those the scope allows
	// where the user has an ACTIVE account, or that it names explicitly and
	// users can connect (a named toolkit the operator has not configured
	// would list tools that can never work). Tools of other toolkits stay
	// callable, and answer with a code the agent can act on
	// (ACCOUNT_REQUIRED, TOOLKIT_NOT_ENABLED, TOOLKIT_NOT_CONFIGURED).
	Toolkits map[string]bool
	// policies holds the policy of the account that acts for a listed
	// toolkit in the scope, where one does.
	policies map[string]Policy
}

// Lists reports whether the listing holds t: its toolkit is listed, and
// the policy of the account that would act lets it run at all. A tool
// the policy refuses (deny_tools, allow_tools, read_only for a tool that
// is not read-only) is left out, since listing it would only invite a
// refusal; called anyway, it answers ACCOUNT_POLICY_DENIED. A tool that
// asks the person first is listed.
func (l *Listing) Lists(t *tools.Tool) bool {
	if !l.Toolkits[t.Toolkit] {
		return false
	}
	p, ok := l.policies[t.Toolkit]
	if !ok {
		return true
	}
	rule, _ := p.Refusal(t)
	return rule == ""
}

// Listing returns what the scope lists, from one read of the user's
// accounts. The policies are those of the accounts rule 5 chooses now, so
// that a changed selection or policy changes the next listing.
func (s *Service) Listing(ctx context.Context, sc *Scope) (*Listing, error) {
	all, err := s.store.Accounts(ctx, sc.UserID(), "")
	if err != nil {
		return nil, internal(err, "list accounts")
	}
	l := &Listing{Toolkits: map[string]bool{}, policies: map[string]Policy{}}
	active := map[string]bool{}
	for _, a := range all {
		if a.Active() {
			active[a.Toolkit] = true
		}
	}
	for _, tk := range s.catalog.Toolkits() {
		if !sc.Allows(tk.Slug) {
			continue
		}
		if !(sc.Names(tk.Slug) && s.Configured(tk.Slug)) && !active[tk.Slug] {
			continue
		}
		l.Toolkits[tk.Slug] = true
		if a, _, err := s.ActiveIn(sc, tk.Slug, all); err == nil && !a.Policy.IsZero() {
			l.policies[tk.Slug] = a.Policy
		}
	}
	return l, nil
}

// ListedTools returns the catalog tools the scope lists (Listing.Lists),
// in catalog order.
func (s *Service) ListedTools(ctx context.Context, sc *Scope) ([]*tools.Tool, error) {
	l, err := s.Listing(ctx, sc)
	if err != nil {
		return nil, err
	}
	var out []*tools.Tool
	for _, t := range s.catalog.Tools() {
		if l.Lists(t) {
			out = append(out, t)
		}
	}
	return out, nil
}
