package accounts

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/zap"
)

// Active returns the account that acts for toolkit in the scope, and which
// layer of rule 5 chose it:
//
//  1. the request's X-Connected-Accounts header;
//  2. the session's own selection (session config or select_account);
//  3. the most recently connected ACTIVE account (rule 3).
//
// Rule 6: an account chosen by layer 1 or 2 that is not ACTIVE is an
// ACCOUNT_INACTIVE error, never a fall-back to another account; so is a
// selected account that no longer exists (ACCOUNT_NOT_FOUND). With strict
// mode on and several ACTIVE accounts, layer 3 refuses with
// ACCOUNT_AMBIGUOUS. With no ACTIVE account the answer is ACCOUNT_REQUIRED.
//
// Layer 3 is evaluated on every call, as the seed says ("sessions use the
// most recently connected account"): a session that never chose follows a
// newer connection made elsewhere. That is not a silent switch in rule 6's
// sense, because every tool result and list_toolkits name the account and
// the layer that chose it; a session that must not move selects an account
// (or runs in strict mode).
func (s *Service) Active(ctx context.Context, sc *Scope, toolkit string) (*Account, SelectedBy, error) {
	all, err := s.store.Accounts(ctx, sc.UserID(), toolkit)
	if err != nil {
		return nil, "", internal(err, "list accounts")
	}
	return s.ActiveIn(sc, toolkit, all)
}

// ActiveIn is Active over accounts the caller already loaded: all of the
// user's accounts of toolkit, or of every toolkit (others are ignored). A
// listing that needs the active account of every toolkit loads them once.
func (s *Service) ActiveIn(sc *Scope, toolkit string, all []*Account) (*Account, SelectedBy, error) {
	var mine []*Account
	for _, a := range all {
		if a.Toolkit == toolkit && a.UserID == sc.UserID() {
			mine = append(mine, a)
		}
	}
	byID := func(id string) *Account {
		for _, a := range mine {
			if a.ID == id {
				return a
			}
		}
		return nil
	}
	id, fixed := sc.Header[toolkit]
	if alias, ok := sc.Pending[toolkit]; ok {
		// Connected since the header was read (stdio reads it once)?
		for _, a := range mine {
			if a.Alias != "" && sameName(a.Alias, alias) {
				id, fixed = a.ID, true
			}
		}
		if !fixed {
			return nil, "", Errorf(CodeAccountNotFound, "X-Connected-Accounts fixes the %s account to the alias %q, and the user has no %s account with that alias yet. Connect it with authorize {\"toolkit\":%q,\"alias\":%q}, or change the header.", toolkit, alias, toolkit, toolkit, alias)
		}
	}
	if fixed {
		a := byID(id)
		if a == nil {
			return nil, "", Errorf(CodeAccountNotFound, "The %s account %s named by X-Connected-Accounts does not exist.", toolkit, id)
		}
		if !a.Active() {
			return a, SelectedByHeader, inactive(a)
		}
		return a, SelectedByHeader, nil
	}
	if id := sc.Session.Selected[toolkit]; id != "" {
		a := byID(id)
		if a == nil {
			return nil, "", Errorf(CodeAccountNotFound, "The %s account this session selected (%s) no longer exists. Choose another with select_account, or connect one with authorize.", toolkit, id)
		}
		if !a.Active() {
			return a, SelectedBySession, inactive(a)
		}
		return a, SelectedBySession, nil
	}
	active := activeOnly(mine)
	switch {
	case len(active) == 0:
		return nil, "", s.required(toolkit, mine)
	case len(active) > 1 && sc.Strict():
		return nil, "", &Error{
			Code:       CodeAccountAmbiguous,
			Message:    fmt.Sprintf("This session requires an explicit account choice and the user has %d ACTIVE %s accounts (%s). Choose one with select_account.", len(active), toolkit, describeAll(active)),
			Candidates: active,
		}
	}
	return MostRecent(active), SelectedByDefault, nil
}

// MostRecent returns rule 3's default among accounts: the one whose
// authorization completed last, ties broken by insertion order; nil for none.
// It does not filter by status.
func MostRecent(accounts []*Account) *Account {
	var best *Account
	for _, a := range accounts {
		if best == nil || MoreRecent(a, best) {
			best = a
		}
	}
	return best
}

func activeOnly(all []*Account) []*Account {
	var out []*Account
	for _, a := range all {
		if a.Active() {
			out = append(out, a)
		}
	}
	return out
}

// Find resolves ref among the user's accounts of toolkit (rule 7): an id
// first, then an alias, then an upstream label when exactly one account
// carries it. Statuses do not matter here.
func (s *Service) Find(ctx context.Context, userID, toolkit, ref string) (*Account, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, Errorf(CodeInvalidArguments, "Name the account by its id (ca_…), its alias or its label.")
	}
	all, err := s.store.Accounts(ctx, userID, toolkit)
	if err != nil {
		return nil, internal(err, "list accounts")
	}
	for _, a := range all {
		if a.ID == ref {
			return a, nil
		}
	}
	for _, a := range all {
		if a.Alias != "" && sameName(a.Alias, ref) {
			return a, nil
		}
	}
	var byLabel []*Account
	for _, a := range all {
		if a.Label != "" && sameName(a.Label, ref) {
			byLabel = append(byLabel, a)
		}
	}
	switch len(byLabel) {
	case 1:
		return byLabel[0], nil
	case 0:
		return nil, Errorf(CodeAccountNotFound, "No %s account of this user matches %s. list_accounts shows the ids, aliases and labels there are.", toolkit, Quote(ref))
	}
	return nil, &Error{
		Code:       CodeAccountAmbiguous,
		Message:    fmt.Sprintf("%d %s accounts carry the label %q (%s); name one by id or alias.", len(byLabel), toolkit, ref, describeAll(byLabel)),
		Candidates: byLabel,
	}
}

// Select makes the account ref the session's choice for toolkit. It refuses
// when the request's header fixes the toolkit (ACCOUNT_FIXED_BY_HEADER),
// when ref matches nothing or several, and when the account is not ACTIVE.
func (s *Service) Select(ctx context.Context, sc *Scope, toolkit, ref string) (*Account, error) {
	if _, err := s.enabled(sc, toolkit); err != nil {
		return nil, err
	}
	if id, ok := sc.Header[toolkit]; ok {
		return nil, Errorf(CodeAccountFixedByHeader, "This request's X-Connected-Accounts header fixes the %s account to %s; the session cannot change it. Change the header to use another account.", toolkit, id)
	}
	if alias, ok := sc.Pending[toolkit]; ok {
		return nil, Errorf(CodeAccountFixedByHeader, "This request's X-Connected-Accounts header fixes the %s account to the alias %q; the session cannot change it. Change the header to use another account.", toolkit, alias)
	}
	a, err := s.Find(ctx, sc.UserID(), toolkit, ref)
	if err != nil {
		return nil, err
	}
	if !a.Active() {
		return a, inactive(a)
	}
	if err := s.store.SelectAccount(ctx, sc.Session.ID, toolkit, a.ID); err != nil {
		return nil, internal(err, "save the selection")
	}
	if sc.Session.Selected == nil {
		sc.Session.Selected = map[string]string{}
	}
	sc.Session.Selected[toolkit] = a.ID
	s.log.Info("account selected", zap.String("session", sc.Session.ID), zap.String("user", sc.UserID()), zap.String("toolkit", toolkit), zap.String("account", a.ID))
	return a, nil
}

// Overrides is a parsed X-Connected-Accounts value.
type Overrides struct {
	// Accounts maps a toolkit to the account id the header fixes, checked
	// to be the user's.
	Accounts map[string]string
	// Pending maps a toolkit to an alias the header names that the user
	// has no account with yet. The header must not lock a new user out of
	// the tools that would create that account, so only the toolkit's own
	// calls are refused (ACCOUNT_NOT_FOUND, saying how to connect it) until
	// an account with that alias exists; it is resolved again on every
	// request.
	Pending map[string]string
}

// ParseOverrides reads an X-Connected-Accounts value ("gmail=ca_1,github=work").
// A malformed value (one that accounts.CheckIdentifier refuses included) or
// an unknown toolkit is a *HeaderError with Malformed set. An account id (ca_…) that is not one of the user's accounts is a
// *HeaderError with Malformed unset, the same whether the account is
// unknown or another user's. An alias the user does not have yet is
// Pending, not an error: aliases are the user's own names, so none can be
// another user's.
func (s *Service) ParseOverrides(ctx context.Context, userID, header string) (Overrides, error) {
	var out Overrides
	if strings.TrimSpace(header) == "" {
		return out, nil
	}
	seen := map[string]bool{}
	for _, pair := range strings.Split(header, ",") {
		pair = strings.TrimSpace(pair)
		if err := CheckIdentifier("the entry", pair); err != nil {
			return Overrides{}, &HeaderError{Malformed: true, Pair: pair, Message: err.Error()}
		}
		toolkit, ref, ok := strings.Cut(pair, "=")
		toolkit, ref = strings.TrimSpace(toolkit), strings.TrimSpace(ref)
		if !ok || toolkit == "" || ref == "" {
			return Overrides{}, &HeaderError{Malformed: true, Pair: pair, Message: "each entry must be toolkit=account (an account id or alias), entries separated by commas"}
		}
		if s.catalog.Toolkit(toolkit) == nil {
			return Overrides{}, &HeaderError{Malformed: true, Pair: pair, Message: fmt.Sprintf("unknown toolkit %s", Quote(toolkit))}
		}
		if seen[toolkit] {
			return Overrides{}, &HeaderError{Malformed: true, Pair: pair, Message: fmt.Sprintf("toolkit %q named twice", toolkit)}
		}
		seen[toolkit] = true
		id, err := s.Override(ctx, userID, toolkit, ref)
		switch e := ErrorOf(err); {
		case err == nil:
			if out.Accounts == nil {
				out.Accounts = map[string]string{}
			}
			out.Accounts[toolkit] = id
		case e.Code == CodeAccountNotFound && !strings.HasPrefix(ref, "ca_") && checkAlias(ref) == nil:
			if out.Pending == nil {
				out.Pending = map[string]string{}
			}
			out.Pending[toolkit] = ref
		case e.Code == CodeAccountNotFound:
			return Overrides{}, &HeaderError{Pair: pair, Message: fmt.Sprintf("no %s account %s for this user", toolkit, Quote(ref))}
		default:
			return Overrides{}, err
		}
	}
	return out, nil
}

// Override resolves one per-request account override, an entry of
// X-Connected-Accounts: ref is the id or alias of one of userID's accounts
// of toolkit. A ref that matches none is ACCOUNT_NOT_FOUND, the same
// whether the account is unknown or another user's.
func (s *Service) Override(ctx context.Context, userID, toolkit, ref string) (string, error) {
	a, err := s.byIDOrAlias(ctx, userID, toolkit, ref)
	if err != nil {
		return "", err
	}
	if a == nil {
		return "", Errorf(CodeAccountNotFound, "The user has no %s account %s (by id or alias).", toolkit, Quote(ref))
	}
	return a.ID, nil
}

func (s *Service) byIDOrAlias(ctx context.Context, userID, toolkit, ref string) (*Account, error) {
	all, err := s.store.Accounts(ctx, userID, toolkit)
	if err != nil {
		return nil, internal(err, "list accounts")
	}
	for _, a := range all {
		if a.ID == ref || (a.Alias != "" && sameName(a.Alias, ref)) {
			return a, nil
		}
	}
	return nil, nil
}

// HeaderError is a refused X-Connected-Accounts value. Malformed ones are
// HTTP 400; ones naming an account the user does not have are 403.
type HeaderError struct {
	Malformed bool
	Pair      string
	Message   string
}

func (e *HeaderError) Error() string {
	return fmt.Sprintf("X-Connected-Accounts %q: %s", e.Pair, e.Message)
}

// required builds the ACCOUNT_REQUIRED answer, mentioning accounts that
// exist but cannot act, so the agent knows to re-authorize rather than add.
func (s *Service) required(toolkit string, all []*Account) error {
	if len(s.authConfigs(toolkit)) == 0 {
		return s.notConfigured(toolkit)
	}
	msg := fmt.Sprintf("The user has no ACTIVE %s account. Call authorize with {\"toolkit\":%q}, show the user the link, then call wait_for_connection.", toolkit, toolkit)
	for _, a := range all {
		if a.Status == StatusExpired || a.Status == StatusInactive {
			msg += fmt.Sprintf(" The existing account %s is %s; to re-authorize it call authorize with {\"toolkit\":%q,\"account\":%q}.", describe(a), a.Status, toolkit, a.ID)
			break
		}
	}
	return Errorf(CodeAccountRequired, "%s", msg)
}

// inactive builds rule 6's refusal for an account that cannot act.
func inactive(a *Account) *Error {
	reason := ""
	if a.StatusReason != "" {
		reason = " (" + a.StatusReason + ")"
	}
	return &Error{
		Code:    CodeAccountInactive,
		Message: fmt.Sprintf("The %s account %s is %s%s, and Switchboard never acts with another account in its place. Re-authorize it with authorize {\"toolkit\":%q,\"account\":%q}, or choose another with select_account.", a.Toolkit, describe(a), a.Status, reason, a.Toolkit, a.ID),
		Account: a,
	}
}

// describe names an account for a person: id, alias and label.
func describe(a *Account) string {
	s := a.ID
	var extra []string
	if a.Alias != "" {
		extra = append(extra, "alias "+a.Alias)
	}
	if a.Label != "" {
		extra = append(extra, a.Label)
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

func describeAll(as []*Account) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = describe(a)
	}
	return strings.Join(parts, "; ")
}
