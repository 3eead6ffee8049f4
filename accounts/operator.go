package accounts

import (
	"context"
	"errors"

	"go.uber.org/zap"
)

// The operator's view of accounts: the application API acts for any user
// its key names, so these look accounts up by id alone. A user id, when
// the caller gives one, must match, and a mismatch answers exactly as an
// unknown id does (rule 8).

// MaxListLimit bounds one page of ListAccounts.
const MaxListLimit = 200

// notFound is the answer for an account id that is unknown or not the
// named user's: the same words for both.
func notFound(id string) *Error {
	return Errorf(CodeAccountNotFound, "There is no connected account %s.", id)
}

// AccountByID returns the account id; when userID is not empty it must be
// that user's. ACCOUNT_NOT_FOUND otherwise.
func (s *Service) AccountByID(ctx context.Context, id, userID string) (*Account, error) {
	a, err := s.store.AccountByID(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && userID != "" && a.UserID != userID) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, internal(err, "load the account")
	}
	return a, nil
}

// ListAccounts returns one page of the accounts q selects, newest first,
// and the cursor of the next page (0 when this is the last).
func (s *Service) ListAccounts(ctx context.Context, q AccountQuery) ([]*Account, int64, error) {
	if q.Limit <= 0 || q.Limit > MaxListLimit {
		return nil, 0, Errorf(CodeInvalidArguments, "limit must be from 1 to %d.", MaxListLimit)
	}
	for _, t := range q.Toolkits {
		if _, err := s.toolkit(t); err != nil {
			return nil, 0, err
		}
	}
	// One more than asked tells whether another page follows.
	want := q.Limit
	q.Limit++
	list, err := s.store.ListAccounts(ctx, q)
	if err != nil {
		return nil, 0, internal(err, "list accounts")
	}
	if len(list) <= want {
		return list, 0, nil
	}
	list = list[:want]
	return list, list[want-1].Seq, nil
}

// Connection returns where the account id stands as a connection, for an
// application that polls it after issuing a link (the Composio SDK's
// waitForConnection): an expired link turns its INITIATED account FAILED
// here, as wait_for_connection does, and a placeholder that the
// completion merged into an account the user already had (rule 1's
// exception) answers with that account. userID, when not empty, must be
// the account's user.
func (s *Service) Connection(ctx context.Context, id, userID string) (*WaitResult, error) {
	owner := ""
	a, err := s.store.AccountByID(ctx, id)
	switch {
	case err == nil:
		owner = a.UserID
	case errors.Is(err, ErrNotFound):
		l, lerr := s.store.LinkForAccount(ctx, id)
		if errors.Is(lerr, ErrNotFound) {
			return nil, notFound(id)
		}
		if lerr != nil {
			return nil, internal(lerr, "load the connect link")
		}
		owner = l.UserID
	default:
		return nil, internal(err, "load the account")
	}
	if userID != "" && owner != userID {
		return nil, notFound(id)
	}
	res, err := s.connectionState(ctx, owner, id)
	if e := ErrorOf(err); e != nil && e.Code == CodeAccountNotFound {
		return nil, notFound(id)
	}
	return res, err
}

// SetAlias renames the account a; "" removes its alias. An alias another
// account of the user and toolkit holds is refused. Only the alias is
// written, so that a change made since a was read (a disable, a
// reconnect) is kept, and the account returned is the one stored.
func (s *Service) SetAlias(ctx context.Context, a *Account, alias string) (*Account, error) {
	if err := checkAlias(alias); err != nil {
		return nil, err
	}
	switch err := s.store.SetAccountAlias(ctx, a.UserID, a.ID, alias); {
	case errors.Is(err, ErrAliasTaken):
		return nil, Errorf(CodeInvalidArguments, "The alias %q is already used by another %s account of this user; choose another.", alias, a.Toolkit)
	case errors.Is(err, ErrNotFound):
		return nil, notFound(a.ID)
	case err != nil:
		return nil, internal(err, "rename the account")
	}
	s.log.Info("account renamed", zap.String("user", a.UserID), zap.String("account", a.ID))
	return s.reread(ctx, a)
}

// reread returns the account a as it is stored now, after a narrow write
// of it: the caller's copy may be stale in what the write did not touch.
func (s *Service) reread(ctx context.Context, a *Account) (*Account, error) {
	fresh, err := s.store.Account(ctx, a.UserID, a.ID)
	if errors.Is(err, ErrNotFound) {
		return nil, notFound(a.ID)
	}
	if err != nil {
		return nil, internal(err, "load the account")
	}
	return fresh, nil
}

// ForceRefresh refreshes an ACTIVE OAuth account's access token now, as the
// operator asks, even before it expires. It shares the refresh's lock with
// tool calls, so a refresh already under way is not repeated. A grant the
// provider no longer honours turns the account EXPIRED (ACCOUNT_INACTIVE).
func (s *Service) ForceRefresh(ctx context.Context, a *Account) (*Account, error) {
	tk := s.catalog.Toolkit(a.Toolkit)
	if tk == nil {
		return nil, Errorf(CodeToolkitNotConfigured, "The toolkit %s of account %s is no longer served here.", a.Toolkit, a.ID)
	}
	if !a.Active() {
		return nil, inactive(a)
	}
	cred, err := s.loadCredential(ctx, a)
	if err != nil {
		return nil, err
	}
	if a.Scheme != "oauth2" || cred.RefreshToken == "" {
		return nil, Errorf(CodeInvalidArguments, "The account %s has no OAuth refresh token (scheme %s); only OAuth accounts whose provider issued one can be refreshed.", describe(a), a.Scheme)
	}
	if _, err := s.credential(ctx, tk, a, cred.Secret); err != nil {
		return nil, err
	}
	fresh, err := s.store.Account(ctx, a.UserID, a.ID)
	if err != nil {
		return nil, internal(err, "load the account")
	}
	return fresh, nil
}
