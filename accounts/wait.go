package accounts

import (
	"context"
	"errors"
	"time"
)

// WaitResult is what wait_for_connection answers.
type WaitResult struct {
	// Account is the account as it stands; when the authorization resolved
	// to an account the user already had, that account.
	Account *Account
	// Reconnected reports that an existing account was refreshed in place.
	Reconnected bool
	// Pending reports that the link is still open and the timeout passed.
	Pending bool
	// LinkExpired reports that the link expired unused.
	LinkExpired bool
}

// Wait blocks until the connect link of accountID completes, fails or
// expires, or until timeout. progress, when not nil, is called about once a
// second with the time waited so far. It wakes at once on a completion in
// this process and polls the store for completions in other processes.
func (s *Service) Wait(ctx context.Context, sc *Scope, accountID string, timeout time.Duration, progress func(waited time.Duration)) (*WaitResult, error) {
	events, cancel := s.events.subscribe(sc.UserID())
	defer cancel()
	start := s.now()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(s.pollTick)
	defer tick.Stop()
	lastProgress := time.Now()
	for {
		res, err := s.connectionState(ctx, sc.UserID(), accountID)
		if err != nil || !res.Pending {
			return res, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			return res, nil
		case <-events:
		case <-tick.C:
			if progress != nil && time.Since(lastProgress) >= time.Second {
				lastProgress = time.Now()
				progress(s.now().Sub(start))
			}
		}
	}
}

// connectionState reads where the authorization of accountID stands.
func (s *Service) connectionState(ctx context.Context, userID, accountID string) (*WaitResult, error) {
	link, err := s.store.LatestLink(ctx, userID, accountID)
	if errors.Is(err, ErrNotFound) {
		link = nil
	} else if err != nil {
		return nil, internal(err, "load the connect link")
	}
	res := &WaitResult{}
	if link != nil && link.Used() && link.ResultAccountID != "" {
		accountID = link.ResultAccountID
	}
	a, err := s.store.Account(ctx, userID, accountID)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeAccountNotFound, "This user has no account %s. Use the connected_account_id that authorize returned.", accountID)
	}
	if err != nil {
		return nil, internal(err, "load the account")
	}
	res.Account = a
	if link == nil {
		return res, nil
	}
	if link.Used() {
		// The link refreshed an account that existed before it was issued:
		// either the one it re-authorized, or a twin of the same identity.
		res.Reconnected = a.ID != link.AccountID || a.CreatedAt.Before(link.CreatedAt)
		return res, nil
	}
	if a.Status == StatusFailed {
		return res, nil // refused at the provider, or failed its checks
	}
	if link.Expired(s.now()) {
		s.expireLink(ctx, link)
		if a2, err := s.store.Account(ctx, userID, accountID); err == nil {
			res.Account = a2
		}
		res.LinkExpired = true
		return res, nil
	}
	res.Pending = true
	return res, nil
}
