package accounts

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"switchboard/tools"
)

// CallResult is the outcome of a toolkit tool call.
type CallResult struct {
	// Account is the account that acted.
	Account *Account
	// SelectedBy says which layer of rule 5 chose it.
	SelectedBy SelectedBy
	// Result is the shaped upstream answer.
	Result *tools.Result
}

// Call is CallWith without options.
func (s *Service) Call(ctx context.Context, sc *Scope, tool *tools.Tool, args map[string]any) (*CallResult, error) {
	return s.CallWith(ctx, sc, tool, args, CallOptions{})
}

// CallWith runs tool with args as the scope's active account for the tool's
// toolkit. Arguments are validated before an account is even looked up, so
// invalid input never reaches the upstream. The account's policy is read
// with the account, on every call: a tool it never lets run answers
// ACCOUNT_POLICY_DENIED, and one it makes ask first runs only with a
// confirmation the person gave for this very call (see confirm), all
// before any upstream request. An OAuth token about to expire
// is refreshed first. When the upstream rejects the credential (HTTP 401),
// an OAuth token is refreshed once and the call retried; a credential
// rejected after that, or a token-scheme credential (which has no refresh),
// turns the account EXPIRED and the call answers ACCOUNT_INACTIVE with how
// to re-authorize. No other account is ever tried instead. Every call,
// whatever its outcome, leaves an entry in the audit trail.
func (s *Service) CallWith(ctx context.Context, sc *Scope, tool *tools.Tool, args map[string]any, opts CallOptions) (done *CallResult, err error) {
	tr := s.newTrail(sc, tool, args, opts.Via)
	defer func() { s.record(tr, done, err) }()
	tk, err := s.enabled(sc, tool.Toolkit)
	if err != nil {
		return nil, err
	}
	if err := s.exec.Validate(tool, args); err != nil {
		return nil, err
	}
	a, by, err := s.Active(ctx, sc, tk.Slug)
	tr.account, tr.entry.SelectedBy = a, by
	if err != nil {
		return nil, err
	}
	if rule, detail := a.Policy.Refusal(tool); rule != "" {
		return nil, policyDenied(a, tool, rule, detail)
	}
	if a.Policy.Asks(tool) {
		if err := s.confirm(ctx, sc, a, tool, args, opts, tr); err != nil {
			return nil, err
		}
	}
	scheme := tk.Scheme(a.Scheme)
	if scheme == nil {
		return nil, Errorf(CodeToolkitNotConfigured, "The %s account %s uses the %s scheme, which this server no longer offers for %s.", tk.Slug, a.ID, a.Scheme, tk.Slug)
	}
	cred, err := s.credential(ctx, tk, a, "")
	if err != nil {
		return nil, err
	}
	res, err := s.exec.Call(ctx, tool, args, scheme.Authorizer(secretFor(tool, cred)))
	if isUnauthorized(err) && a.Scheme == "oauth2" && cred.RefreshToken != "" && secretFor(tool, cred) == cred.Secret {
		if cred, err = s.credential(ctx, tk, a, cred.Secret); err != nil {
			return nil, err
		}
		res, err = s.exec.Call(ctx, tool, args, scheme.Authorizer(secretFor(tool, cred)))
	}
	// The upstream call happened: record it even if the client gave up
	// meanwhile. LastUsedAt is shown to people, to the minute; writing it
	// on every call would put a write, and SQLite's write lock, on the
	// path of every call, so a use within accountTouchEvery of the last one
	// recorded is not written again.
	if now := s.now(); now.Sub(a.LastUsedAt) >= accountTouchEvery {
		a.LastUsedAt = now
		if terr := s.store.TouchAccount(context.WithoutCancel(ctx), a); terr != nil {
			s.log.Warn("recording account use", zap.String("account", a.ID), zap.Error(terr))
		}
	}
	if isUnauthorized(err) {
		s.expire(ctx, a, tk.Name+" rejected the credential (HTTP 401); it was revoked or has expired")
		return nil, inactive(a)
	}
	if err != nil {
		return nil, err
	}
	return &CallResult{Account: a, SelectedBy: by, Result: res}, nil
}

// accountTouchEvery is how stale an account's recorded last use may grow before
// a call writes it again.
const accountTouchEvery = time.Minute

// secretFor picks the token a tool acts with: the user token for a tool
// that needs one, where the account holds one beside its main token.
func secretFor(tool *tools.Tool, c Credential) string {
	if tool.Request.UserToken && c.UserSecret != "" {
		return c.UserSecret
	}
	return c.Secret
}

// expire turns an ACTIVE account EXPIRED with reason, provided it is still
// as the failing call read it (Store.SetAccountStatus): a reconnect that
// completed while the call was in flight (a later ConnectedAt) is not
// undone by the old credential's failure, nor is a disable.
func (s *Service) expire(ctx context.Context, a *Account, reason string) {
	next := *a
	next.Status, next.StatusReason = StatusExpired, reason
	err := s.store.SetAccountStatus(ctx, &next, StatusActive)
	if errors.Is(err, ErrAccountChanged) || errors.Is(err, ErrNotFound) {
		return
	}
	if err != nil {
		s.log.Error("marking account expired", zap.String("account", a.ID), zap.Error(err))
		return
	}
	*a = next
	s.log.Warn("account expired", zap.String("user", a.UserID), zap.String("toolkit", a.Toolkit), zap.String("account", a.ID), zap.String("reason", reason))
}

// Accounts returns the user's accounts of toolkit (all when empty), most
// recently connected first.
func (s *Service) Accounts(ctx context.Context, userID, toolkit string) ([]*Account, error) {
	all, err := s.store.Accounts(ctx, userID, toolkit)
	if err != nil {
		return nil, internal(err, "list accounts")
	}
	sortRecentFirst(all)
	return all, nil
}
