package accounts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"switchboard/tools"
)

// DeleteAccount removes the user's account ref (id, alias or label) with
// its credential. An OAuth account's grant is revoked at the provider first,
// where the toolkit or auth config names a revoke endpoint; a failed
// revocation is logged and reported, and the account is deleted anyway (the
// operator asked for it to be gone here).
func (s *Service) DeleteAccount(ctx context.Context, userID, toolkit, ref string) (a *Account, revoked bool, err error) {
	if a, err = s.Find(ctx, userID, toolkit, ref); err != nil {
		return nil, false, err
	}
	revoked, err = s.Delete(ctx, a)
	return a, revoked, err
}

// Delete removes the account a, revoking its grant first as DeleteAccount
// says, and reports whether the provider confirmed the revocation.
func (s *Service) Delete(ctx context.Context, a *Account) (revoked bool, err error) {
	if a.Scheme == "oauth2" && a.Status != StatusInitiated {
		revoked = s.revoke(ctx, a)
	}
	if err := s.store.DeleteAccount(ctx, a.UserID, a.ID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return revoked, notFound(a.ID)
		}
		return revoked, internal(err, "delete the account")
	}
	s.log.Info("account deleted", zap.String("user", a.UserID), zap.String("toolkit", a.Toolkit), zap.String("account", a.ID), zap.Bool("revoked", revoked))
	return revoked, nil
}

// revoke asks the provider to end the account's grant (RFC 7009): the
// refresh token when there is one, else the access token.
func (s *Service) revoke(ctx context.Context, a *Account) bool {
	tk := s.catalog.Toolkit(a.Toolkit)
	ac, ok := s.authConfigByID(a.AuthConfigID)
	if tk == nil || !ok || tk.Scheme("oauth2") == nil {
		return false
	}
	sc := tk.Scheme("oauth2")
	endpoint := ac.RevokeURL
	if endpoint == "" && ac.TokenURL == "" && ac.AuthorizeURL == "" {
		// The toolkit's own endpoint only when the operator did not point
		// the app elsewhere: an enterprise or staging app's token must not
		// travel to the public provider.
		endpoint = sc.RevokeURL
	}
	if endpoint == "" {
		return false
	}
	cred, err := s.loadCredential(ctx, a)
	if err != nil {
		return false
	}
	token := cred.RefreshToken
	if token == "" {
		token = cred.Secret
	}
	rctx, cancel := context.WithTimeout(ctx, oauthTimeout)
	defer cancel()
	var req *http.Request
	if sc.RevokeBody == tools.RevokeBodyJSON {
		body, _ := json.Marshal(map[string]string{"token": token})
		if req, err = http.NewRequestWithContext(rctx, http.MethodPost, endpoint, bytes.NewReader(body)); err != nil {
			return false
		}
		req.Header.Set("Content-Type", "application/json")
		for k, v := range tk.Headers {
			req.Header.Set(k, v)
		}
	} else {
		form := url.Values{"token": {token}}
		if sc.ClientAuth != tools.ClientAuthBasic {
			form.Set("client_id", ac.ClientID)
			form.Set("client_secret", string(ac.ClientSecret))
		}
		if req, err = http.NewRequestWithContext(rctx, http.MethodPost, endpoint, strings.NewReader(form.Encode())); err != nil {
			return false
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if sc.ClientAuth == tools.ClientAuthBasic {
		req.SetBasicAuth(url.QueryEscape(ac.ClientID), url.QueryEscape(string(ac.ClientSecret)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.log.Warn("revoking at the provider failed", zap.String("account", a.ID), zap.String("error", "unreachable"))
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		s.log.Warn("revoking at the provider failed", zap.String("account", a.ID), zap.Int("status", resp.StatusCode))
		return false
	}
	return true
}

// SetDisabled turns an account INACTIVE (disabled by the operator) or back
// to ACTIVE. Only ACTIVE accounts can be disabled and only INACTIVE ones
// enabled; a disabled account is never chosen by default and a session or
// header that selects it answers ACCOUNT_INACTIVE.
func (s *Service) SetDisabled(ctx context.Context, userID, toolkit, ref string, disabled bool) (*Account, error) {
	a, err := s.Find(ctx, userID, toolkit, ref)
	if err != nil {
		return nil, err
	}
	return s.Disable(ctx, a, disabled)
}

// Disable turns the account a INACTIVE, or back to ACTIVE when disabled is
// false, under SetDisabled's rules. The change is written only if the
// account is still as a was read (Store.SetAccountStatus); when it moved
// on meanwhile (another status, a reconnect), the rules are applied again
// to the account as it is now, so that no status change is undone.
func (s *Service) Disable(ctx context.Context, a *Account, disabled bool) (*Account, error) {
	for range disableAttempts {
		next := *a
		switch {
		case disabled && a.Status == StatusActive:
			next.Status, next.StatusReason = StatusInactive, "disabled by the operator"
		case !disabled && a.Status == StatusInactive:
			next.Status, next.StatusReason = StatusActive, ""
		default:
			return nil, Errorf(CodeInvalidArguments, "The account %s is %s; only ACTIVE accounts can be disabled and only INACTIVE ones enabled.", describe(a), a.Status)
		}
		err := s.store.SetAccountStatus(ctx, &next, a.Status)
		switch {
		case err == nil:
			if !disabled {
				s.events.publish(next.UserID, Event{Account: &next})
			}
			return &next, nil
		case errors.Is(err, ErrNotFound):
			return nil, notFound(a.ID)
		case !errors.Is(err, ErrAccountChanged):
			return nil, internal(err, "update the account")
		}
		if a, err = s.reread(ctx, a); err != nil {
			return nil, err
		}
	}
	return nil, internal(ErrAccountChanged, "update the account")
}

// disableAttempts bounds how often Disable decides again on an account
// that keeps changing under it.
const disableAttempts = 3

// Describe names an account for people: id, alias and label.
func Describe(a *Account) string { return describe(a) }
