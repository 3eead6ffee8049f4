package accounts

import (
	"context"
	"errors"

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

// Call runs tool with args as the scope's active account for the tool's
// toolkit. Arguments are validated before an account is even looked up, so
// invalid input never reaches the upstream. A credential the upstream
// rejects (HTTP 401) turns the account EXPIRED, since a token scheme has no
// refresh to try; the error tells how to re-authorize.
func (s *Service) Call(ctx context.Context, sc *Scope, tool *tools.Tool, args map[string]any) (*CallResult, error) {
	tk, err := s.enabled(sc, tool.Toolkit)
	if err != nil {
		return nil, err
	}
	if err := s.exec.Validate(tool, args); err != nil {
		return nil, err
	}
	a, by, err := s.Active(ctx, sc, tk.Slug)
	if err != nil {
		return nil, err
	}
	auth, err := s.authorizer(ctx, tk, a)
	if err != nil {
		return nil, err
	}
	res, err := s.exec.Call(ctx, tool, args, auth)
	a.LastUsedAt = s.now()
	if terr := s.store.TouchAccount(ctx, a); terr != nil {
		s.log.Warn("recording account use", zap.String("account", a.ID), zap.Error(terr))
	}
	if err != nil {
		var rejected interface{ Unauthorized() bool }
		if errors.As(err, &rejected) && rejected.Unauthorized() {
			s.expire(ctx, a, tk.Name+" rejected the credential (HTTP 401); it was revoked or has expired")
			return nil, inactive(a)
		}
		return nil, err
	}
	return &CallResult{Account: a, SelectedBy: by, Result: res}, nil
}

// authorizer opens the account's credential and returns what puts it on
// requests.
func (s *Service) authorizer(ctx context.Context, tk *tools.Toolkit, a *Account) (tools.Authorizer, error) {
	scheme := tk.Scheme(a.Scheme)
	if scheme == nil {
		return nil, Errorf(CodeToolkitNotConfigured, "The %s account %s uses the %s scheme, which this server no longer offers for %s.", tk.Slug, a.ID, a.Scheme, tk.Slug)
	}
	sealed, err := s.store.Credential(ctx, a.UserID, a.ID)
	if err != nil {
		return nil, internal(err, "load the account's credential")
	}
	cred, err := s.keys.Open(a.ID, sealed)
	if err != nil {
		return nil, internal(err, "open the account's credential")
	}
	return scheme.Authorizer(cred.Secret), nil
}

// expire turns an ACTIVE account EXPIRED with reason.
func (s *Service) expire(ctx context.Context, a *Account, reason string) {
	a.Status, a.StatusReason = StatusExpired, reason
	if err := s.store.UpdateAccount(ctx, a); err != nil {
		s.log.Error("marking account expired", zap.String("account", a.ID), zap.Error(err))
		return
	}
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
