package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"go.uber.org/zap"
)

// AuthorizeRequest is the input of authorize.
type AuthorizeRequest struct {
	// Toolkit to connect.
	Toolkit string
	// Alias to give the new account; optional.
	Alias string
	// AuthConfig names the auth config; optional, the toolkit's first (or
	// the session's) otherwise.
	AuthConfig string
	// Account, when set, re-authorizes that existing account (id, alias or
	// label) instead of connecting a new one.
	Account string
	// CallbackURL, when set, is where the person's browser is sent once the
	// link completes or fails (see Link.CallbackURL); its host must be
	// allowed (Config.CallbackHosts).
	CallbackURL string
}

// Authorization is a connect link issued for an account.
type Authorization struct {
	// Account is the INITIATED account the link will activate, or the
	// existing account being re-authorized.
	Account *Account
	// URL is the connect link to show the user.
	URL string
	// ExpiresAt is when the link stops working.
	ExpiresAt time.Time
}

// Authorize issues a connect link for a new account of the toolkit, or to
// re-authorize an existing one. Completing it makes the account the scope's
// session choice for the toolkit (rule 4).
func (s *Service) Authorize(ctx context.Context, sc *Scope, req AuthorizeRequest) (*Authorization, error) {
	tk, err := s.enabled(sc, req.Toolkit)
	if err != nil {
		return nil, err
	}
	ac, err := s.pickAuthConfig(sc, tk.Slug, req.AuthConfig)
	if err != nil {
		return nil, err
	}
	req.Alias = strings.TrimSpace(req.Alias)
	if err := checkAlias(req.Alias); err != nil {
		return nil, err
	}
	if err := s.checkCallback(req.CallbackURL); err != nil {
		return nil, err
	}
	now := s.now()
	var acct *Account
	if req.Account != "" {
		acct, err = s.Find(ctx, sc.UserID(), tk.Slug, req.Account)
		if err != nil {
			return nil, err
		}
		if acct.AuthConfigID != "" && req.AuthConfig == "" {
			if prev, ok := s.authConfigByID(acct.AuthConfigID); ok {
				ac = prev
			}
		}
	} else {
		if req.Alias != "" {
			if taken, err := s.byIDOrAlias(ctx, sc.UserID(), tk.Slug, req.Alias); err != nil {
				return nil, err
			} else if taken != nil {
				return nil, Errorf(CodeInvalidArguments, "The alias %q is already used by the %s account %s; choose another alias.", req.Alias, tk.Slug, taken.ID)
			}
		}
		acct = &Account{
			ID:           NewID("ca_"),
			UserID:       sc.UserID(),
			Toolkit:      tk.Slug,
			AuthConfigID: ac.ID,
			Scheme:       ac.Scheme,
			Status:       StatusInitiated,
			StatusReason: "waiting for the user to complete the connect link",
			CreatedAt:    now,
		}
		if err := s.store.CreateAccount(ctx, acct); err != nil {
			return nil, internal(err, "create the account")
		}
	}
	token, hash := newLinkToken()
	link := &Link{
		TokenHash:    hash,
		AccountID:    acct.ID,
		UserID:       sc.UserID(),
		SessionID:    sc.Session.ID,
		Toolkit:      tk.Slug,
		AuthConfigID: ac.ID,
		Scheme:       ac.Scheme,
		Alias:        req.Alias,
		CallbackURL:  req.CallbackURL,
		ExpiresAt:    now.Add(s.linkTTL),
		CreatedAt:    now,
	}
	if err := s.store.CreateLink(ctx, link); err != nil {
		return nil, internal(err, "create the connect link")
	}
	s.log.Info("connect link issued", zap.String("user", sc.UserID()), zap.String("toolkit", tk.Slug), zap.String("account", acct.ID), zap.String("session", sc.Session.ID), zap.Time("expires", link.ExpiresAt))
	return &Authorization{Account: acct, URL: s.baseURL + "/connect/" + token, ExpiresAt: link.ExpiresAt}, nil
}

func (s *Service) pickAuthConfig(sc *Scope, toolkit, id string) (AuthConfig, error) {
	configs := s.authConfigs(toolkit)
	if id == "" {
		id = sc.Session.AuthConfigs[toolkit]
	}
	if id == "" {
		if len(configs) == 0 {
			return AuthConfig{}, s.notConfigured(toolkit)
		}
		return configs[0], nil
	}
	for _, ac := range configs {
		if ac.ID == id {
			return ac, nil
		}
	}
	ids := make([]string, len(configs))
	for i, ac := range configs {
		ids[i] = ac.ID
	}
	return AuthConfig{}, Errorf(CodeInvalidArguments, "The auth config %s does not exist for %s; its auth configs are %v.", Quote(id), toolkit, ids)
}

// notConfigured is the answer for a toolkit that no one can connect
// because the operator has not set up how: nothing the agent or the user
// does helps, so it names the settings the operator needs.
func (s *Service) notConfigured(toolkit string) *Error {
	return Errorf(CodeToolkitNotConfigured, "The toolkit %s cannot be connected on this server yet: the operator must register an OAuth app for it (client id and secret in the config file's auth_configs, or SWITCHBOARD_OAUTH_%s_CLIENT_ID and SWITCHBOARD_OAUTH_%s_CLIENT_SECRET). Tell the user; authorize will not work until then.", toolkit, strings.ToUpper(toolkit), strings.ToUpper(toolkit))
}

// Configured reports whether the toolkit has an auth config, so that users
// can connect accounts of it.
func (s *Service) Configured(toolkit string) bool { return len(s.authConfigs(toolkit)) > 0 }

func (s *Service) authConfigByID(id string) (AuthConfig, bool) {
	for _, ac := range s.configs {
		if ac.ID == id {
			return ac, true
		}
	}
	return AuthConfig{}, false
}

func checkAlias(alias string) error {
	if alias == "" {
		return nil
	}
	if err := CheckIdentifier("The alias", alias); err != nil {
		return Errorf(CodeInvalidArguments, "%s. Choose an alias that shows as it is written.", err)
	}
	if len(alias) > 64 || strings.ContainsAny(alias, ",= \t\r\n") || strings.HasPrefix(alias, "ca_") {
		return Errorf(CodeInvalidArguments, "An alias is 1 to 64 characters without spaces, commas or '=', and does not start with ca_; %q is not one.", alias)
	}
	return nil
}

// newLinkToken returns a random URL token and the hash that is stored.
func newLinkToken() (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is how link tokens are stored: hex SHA-256.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// LinkState is what a connect page shows about its link.
type LinkState struct {
	Link    *Link
	Account *Account
	// Problem, when set, is why the link cannot be used, for the page.
	Problem string
}

// OpenLink looks up a connect link by its token. It never fails for a bad
// token: the page needs a message, not an error. A link found expired turns
// its INITIATED account FAILED.
func (s *Service) OpenLink(ctx context.Context, token string) (*LinkState, error) {
	l, err := s.store.Link(ctx, HashToken(token))
	if errors.Is(err, ErrNotFound) {
		return &LinkState{Problem: "This connect link is not valid; it may have been copied incompletely. " + askAgain}, nil
	}
	if err != nil {
		return nil, internal(err, "load the connect link")
	}
	st := &LinkState{Link: l}
	switch {
	case l.Used():
		st.Problem = "This connect link was already used: each link works once. To connect another account, ask for a new link."
	case l.Expired(s.now()):
		st.Problem = "This connect link has expired. " + askAgain
		s.expireLink(ctx, l)
	}
	a, err := s.store.Account(ctx, l.UserID, l.AccountID)
	if err == nil {
		st.Account = a
	} else if !errors.Is(err, ErrNotFound) {
		return nil, internal(err, "load the account")
	}
	return st, nil
}

// expireLink marks the placeholder account of an expired, unused link
// FAILED, provided it is still INITIATED when the change is written.
func (s *Service) expireLink(ctx context.Context, l *Link) {
	a, err := s.store.Account(ctx, l.UserID, l.AccountID)
	if err != nil || a.Status != StatusInitiated {
		return
	}
	latest, err := s.store.LatestLink(ctx, l.UserID, l.AccountID)
	if err != nil || latest.TokenHash != l.TokenHash {
		return
	}
	a.Status, a.StatusReason = StatusFailed, "the connect link expired before the user completed it"
	err = s.store.SetAccountStatus(ctx, a, StatusInitiated)
	if err != nil && !errors.Is(err, ErrAccountChanged) && !errors.Is(err, ErrNotFound) {
		s.log.Warn("marking account failed", zap.String("account", a.ID), zap.Error(err))
	}
}

// CSRFToken returns the form token of a connect page: an HMAC of the link's
// token hash under a key derived from the sealing key, so it needs no
// storage and differs per link.
func (s *Service) CSRFToken(token string) string { return s.formToken("csrf", token) }

// CheckCSRF reports whether got is the form token of the link token.
func (s *Service) CheckCSRF(token, got string) bool {
	return checkFormToken(s.CSRFToken(token), got)
}

// SignInToken is the value that binds the OAuth sign-in with state to the
// browser that started it (the transport keeps it in a cookie): an HMAC
// under the server's key, so that someone who knows the state, as its
// starter does, still cannot make one to plant in another browser.
func (s *Service) SignInToken(state string) string { return s.formToken("signin", state) }

// CheckSignInToken reports whether got is the sign-in token of state.
func (s *Service) CheckSignInToken(state, got string) bool {
	return checkFormToken(s.SignInToken(state), got)
}

// AbandonSignIn spends the OAuth sign-in with state without completing it,
// as a callback refused for coming from another browser must: the code it
// carries then completes nothing, whoever later brings it back. The link
// stays as it was; its button starts a new sign-in.
func (s *Service) AbandonSignIn(ctx context.Context, state string) {
	if state == "" {
		return
	}
	if _, _, err := s.store.ConsumeLinkState(ctx, HashToken(state)); err != nil && !errors.Is(err, ErrNotFound) {
		s.log.Warn("abandoning a sign-in", zap.Error(err))
	}
}

// formToken is the form token of a page behind the link token: an HMAC of
// the token's hash under a label, so that the pages of different kinds of
// link never accept each other's tokens.
func (s *Service) formToken(label, token string) string {
	mac := hmac.New(sha256.New, s.keys.macKey())
	mac.Write([]byte(label + ":" + HashToken(token)))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// checkFormToken compares form tokens in constant time.
func checkFormToken(want, got string) bool { return hmac.Equal([]byte(want), []byte(got)) }

// LinkError is a refusal to complete a connect link, worded for the person
// on the connect page. Retry reports whether the same link can be tried again.
type LinkError struct {
	Message string
	Retry   bool
	Err     error
	// Callback, when set, is where to send the person's browser: the
	// link's callback URL with status=failed, for a link that failed for
	// good.
	Callback string
}

func (e *LinkError) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *LinkError) Unwrap() error { return e.Err }

// Connected is the outcome of a completed connect link.
type Connected struct {
	Account *Account
	// Reconnected reports that the authorization resolved to an account the
	// user already had, refreshed in place (rule 1's exception).
	Reconnected bool
	// Callback, when set, is where to send the person's browser: the
	// link's callback URL with status=success and the account's id.
	Callback string
}

// CompleteWithSecret finishes a connect link of a token scheme (api_key,
// bearer_token): the secret is checked by the toolkit's identity request
// before the account turns ACTIVE, and the result becomes its label. A
// failed check is a retryable *LinkError and leaves the link usable.
func (s *Service) CompleteWithSecret(ctx context.Context, token, secret, alias string) (*Connected, error) {
	st, err := s.OpenLink(ctx, token)
	if err != nil {
		return nil, err
	}
	if st.Problem != "" {
		return nil, &LinkError{Message: st.Problem}
	}
	l := st.Link
	if l.Scheme != "bearer_token" && l.Scheme != "api_key" {
		return nil, &LinkError{Message: "This link connects with " + l.Scheme + ", not a pasted credential."}
	}
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return nil, &LinkError{Message: "Paste the credential to connect.", Retry: true}
	}
	if strings.ContainsFunc(secret, unicode.IsControl) {
		// It could never be sent: an HTTP header holds no line break.
		return nil, &LinkError{Message: "The credential you pasted has a line break or another hidden character in it. Copy it again and paste it on its own.", Retry: true}
	}
	if alias = strings.TrimSpace(alias); alias == "" {
		alias = l.Alias
	}
	if err := checkAlias(alias); err != nil {
		// The agent-facing message names code points and bytes; a person
		// gets plain words.
		return nil, &LinkError{Message: "The name you gave this account cannot be used: keep it to 64 characters, without spaces, commas, = or hidden characters, and do not start it with ca_. Change it, or leave it empty.", Retry: true, Err: err}
	}
	tk := s.catalog.Toolkit(l.Toolkit)
	if tk == nil || tk.Scheme(l.Scheme) == nil {
		return nil, &LinkError{Message: "This toolkit is no longer served here."}
	}
	id, err := s.exec.Identify(ctx, l.Toolkit, tk.Scheme(l.Scheme).Authorizer(secret))
	if err != nil {
		return nil, &LinkError{Message: credentialRefused(tk.Name, err), Retry: true, Err: err}
	}
	return s.complete(ctx, l, id.ID, id.Label, alias, Credential{Secret: secret})
}

// complete activates the link's account, or the existing account of the same
// upstream identity, with cred.
func (s *Service) complete(ctx context.Context, l *Link, upstreamID, label, alias string, cred Credential) (*Connected, error) {
	now := s.now()
	target, err := s.store.Account(ctx, l.UserID, l.AccountID)
	if err != nil {
		return nil, &LinkError{Message: "The account this link was meant for no longer exists. " + askAgain, Err: err}
	}
	c := &Completion{LinkHash: l.TokenHash, SessionID: l.SessionID}
	reconnected := false
	if target.UpstreamID != "" {
		// Re-authorizing an account that was connected before: it must stay
		// the same identity.
		if target.UpstreamID != upstreamID {
			return nil, &LinkError{Message: fmt.Sprintf("This link re-authorizes %s, but the credential belongs to %s. Use the credential of %s, or ask the agent to connect a new account.", target.Label, label, target.Label), Retry: true}
		}
		reconnected = true
	} else if twin, err := s.sameIdentity(ctx, l, upstreamID); err != nil {
		return nil, err
	} else if twin != nil {
		c.DiscardAccountID = target.ID
		target, reconnected = twin, true
	}
	// An account the operator disabled stays disabled: a new credential is
	// stored, but only the operator turns it ACTIVE again. Complete
	// decides that on the status stored when it writes, not on target's,
	// so that a disable landing after the read above holds; it leaves in
	// target the status it kept.
	target.Status, target.StatusReason = StatusActive, ""
	target.Label, target.UpstreamID = label, upstreamID
	target.AuthConfigID, target.Scheme = l.AuthConfigID, l.Scheme
	target.ConnectedAt = now
	// A reconnect keeps the account's id and alias (rule 1's exception): an
	// alias asked for with the link names a new account only. Renaming is
	// an explicit act (the API's PATCH).
	if alias != "" && !reconnected {
		target.Alias = alias
	}
	sealed, err := s.keys.Seal(target.ID, cred)
	if err != nil {
		return nil, internal(err, "seal the credential")
	}
	c.Account, c.Sealed = target, sealed
	switch err := s.store.Complete(ctx, c); {
	case errors.Is(err, ErrLinkUsed):
		return nil, &LinkError{Message: "This connect link was already used: each link works once. To connect another account, ask for a new link."}
	case errors.Is(err, ErrAliasTaken):
		return nil, &LinkError{Message: fmt.Sprintf("The alias %q is already used by another of your %s accounts; choose another.", alias, l.Toolkit), Retry: true}
	case errors.Is(err, ErrNotFound):
		// The account, and with it its links, was deleted since the read
		// above.
		return nil, &LinkError{Message: "The account this link was meant for no longer exists. " + askAgain, Err: err}
	case err != nil:
		return nil, internal(err, "save the connection")
	}
	s.log.Info("account connected", zap.String("user", l.UserID), zap.String("toolkit", l.Toolkit), zap.String("account", target.ID), zap.Bool("reconnected", reconnected), zap.String("session", l.SessionID))
	s.events.publish(l.UserID, Event{Account: target, SessionID: l.SessionID})
	return &Connected{Account: target, Reconnected: reconnected, Callback: callbackTarget(l, "success", target.ID)}, nil
}

// sameIdentity returns the user's existing account of the link's toolkit and
// auth config with upstreamID, if any.
func (s *Service) sameIdentity(ctx context.Context, l *Link, upstreamID string) (*Account, error) {
	if upstreamID == "" {
		return nil, nil
	}
	all, err := s.store.Accounts(ctx, l.UserID, l.Toolkit)
	if err != nil {
		return nil, internal(err, "list accounts")
	}
	for _, a := range all {
		if a.ID != l.AccountID && a.UpstreamID == upstreamID && a.AuthConfigID == l.AuthConfigID && a.Status != StatusInitiated {
			return a, nil
		}
	}
	return nil, nil
}
