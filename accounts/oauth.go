package accounts

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"switchboard/tools"
)

// oauthTimeout bounds one request to a provider's token endpoint.
const oauthTimeout = 30 * time.Second

// oauthConfig returns the OAuth2 client settings of an auth config: the
// operator's endpoint overrides, else the toolkit's provider endpoints; the
// operator's scopes, else the toolkit's defaults.
func (s *Service) oauthConfig(ac AuthConfig, sc *tools.Scheme) *oauth2.Config {
	authURL, tokenURL, scopes := sc.AuthorizationURL, sc.TokenURL, sc.Scopes
	if ac.AuthorizeURL != "" {
		authURL = ac.AuthorizeURL
	}
	if ac.TokenURL != "" {
		tokenURL = ac.TokenURL
	}
	if len(ac.Scopes) > 0 {
		scopes = ac.Scopes
	}
	// An explicit style: auto-detection would send a second token request
	// after a failure, which double-counts at the provider.
	style := oauth2.AuthStyleInParams
	if sc.ClientAuth == tools.ClientAuthBasic {
		style = oauth2.AuthStyleInHeader
	}
	return &oauth2.Config{
		ClientID:     ac.ClientID,
		ClientSecret: string(ac.ClientSecret),
		Endpoint:     oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL, AuthStyle: style},
		RedirectURL:  s.baseURL + "/oauth/callback",
		Scopes:       scopes,
	}
}

// authCodeOptions are the extra parameters of the authorization request:
// the PKCE challenge and the provider's own parameters (Google's offline
// access and consent prompt, Slack's user scopes).
func authCodeOptions(sc *tools.Scheme, verifier string) []oauth2.AuthCodeOption {
	var opts []oauth2.AuthCodeOption
	if sc.PKCE {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	for k, v := range sc.AuthorizationParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	if p := sc.UserScopeParam(); p != "" {
		opts = append(opts, oauth2.SetAuthURLParam("user_scope", p))
	}
	return opts
}

// BeginOAuth starts the provider sign-in of an oauth2 connect link: a fresh
// state (random, single-use, bound to the link, expiring with it) and PKCE
// verifier are stored, and the provider's authorization URL is returned.
func (s *Service) BeginOAuth(ctx context.Context, token string) (string, error) {
	st, err := s.OpenLink(ctx, token)
	if err != nil {
		return "", err
	}
	if st.Problem != "" {
		return "", &LinkError{Message: st.Problem}
	}
	l := st.Link
	ac, sc, err := s.oauthSettings(l)
	if err != nil {
		return "", err
	}
	state := randomToken()
	verifier := oauth2.GenerateVerifier()
	sealed, err := s.keys.Seal(l.TokenHash, Credential{Secret: verifier})
	if err != nil {
		return "", internal(err, "seal the PKCE verifier")
	}
	switch err := s.store.SetLinkState(ctx, l.TokenHash, HashToken(state), sealed); {
	case errors.Is(err, ErrLinkUsed):
		return "", &LinkError{Message: "This connect link was already used: each link works once. To connect another account, ask for a new link."}
	case err != nil:
		return "", internal(err, "start the sign-in")
	}
	cfg := s.oauthConfig(ac, sc)
	if sc.ScopeSeparator != "" && sc.ScopeSeparator != " " {
		// x/oauth2 joins scopes with spaces; Slack and Linear want commas.
		cfg.Scopes = []string{strings.Join(cfg.Scopes, sc.ScopeSeparator)}
	}
	return cfg.AuthCodeURL(state, authCodeOptions(sc, verifier)...), nil
}

// oauthSettings returns the auth config and scheme of an oauth2 link.
func (s *Service) oauthSettings(l *Link) (AuthConfig, *tools.Scheme, error) {
	ac, ok := s.authConfigByID(l.AuthConfigID)
	tk := s.catalog.Toolkit(l.Toolkit)
	if !ok || tk == nil || tk.Scheme("oauth2") == nil || ac.Scheme != "oauth2" {
		return AuthConfig{}, nil, &LinkError{Message: "Signing in for this service is no longer set up here. " + askAgain}
	}
	return ac, tk.Scheme("oauth2"), nil
}

// CompleteOAuth handles the provider's redirect back: it consumes the state
// (a replayed or forged state changes nothing), exchanges the code with the
// PKCE verifier, checks whose account the token belongs to, and activates
// the account. A refusal at the provider turns a new account FAILED.
func (s *Service) CompleteOAuth(ctx context.Context, state, code, providerError, providerErrorDescription string) (*Connected, error) {
	if state == "" || (code == "" && providerError == "") {
		// Neither a grant nor a refusal: nothing to exchange, and nothing
		// is spent, so the button on the connect page still works.
		return nil, &LinkError{Message: "The service sent you back without finishing the sign-in, so nothing was connected. Open the link you were given and press the button again."}
	}
	l, sealed, err := s.store.ConsumeLinkState(ctx, HashToken(state))
	if errors.Is(err, ErrNotFound) {
		return nil, &LinkError{Message: "This sign-in response is not valid here, or was already used. Start again from the agent's link."}
	}
	if err != nil {
		return nil, internal(err, "load the sign-in")
	}
	if l.Used() {
		return nil, &LinkError{Message: "This connect link was already used."}
	}
	if l.Expired(s.now()) {
		s.expireLink(ctx, l)
		return nil, &LinkError{Message: "This connect link expired before the sign-in finished. " + askAgain, Callback: callbackTarget(l, "failed", l.AccountID)}
	}
	if providerError != "" {
		reason := "the provider refused the authorization (" + safeCode(providerError) + ")"
		if providerError == "access_denied" {
			reason = "the user declined the authorization at the provider (access_denied)"
		}
		s.failLink(ctx, l, reason)
		msg := "The sign-in did not grant access, so nothing was connected. To try again, ask for a new link."
		if providerError == "access_denied" {
			msg = "You declined access, so nothing was connected. To try again, ask for a new link."
		}
		return nil, &LinkError{Message: msg, Callback: callbackTarget(l, "failed", l.AccountID)}
	}
	ac, sc, err := s.oauthSettings(l)
	if err != nil {
		return nil, err
	}
	verifier, err := s.keys.Open(l.TokenHash, sealed)
	if err != nil {
		return nil, internal(err, "open the PKCE verifier")
	}
	xctx, cancel := context.WithTimeout(ctx, oauthTimeout)
	defer cancel()
	tok, err := s.exchange(xctx, s.oauthConfig(ac, sc), sc, code, verifier.Secret)
	if err != nil {
		reason := "the code exchange with the provider failed (" + oauthErrorCode(err) + ")"
		s.failLink(ctx, l, reason)
		s.log.Warn("oauth code exchange failed", zap.String("toolkit", l.Toolkit), zap.String("account", l.AccountID), zap.String("error", oauthErrorCode(err)))
		return nil, &LinkError{Message: "Switchboard could not finish the sign-in with the service, so nothing was connected. " + askAgain, Err: tokenEndpointError(err), Callback: callbackTarget(l, "failed", l.AccountID)}
	}
	cred := credentialOf(tok, s.now())
	tk := s.catalog.Toolkit(l.Toolkit)
	// A user token, where there is one, says which person connected: a bot
	// token answers with the bot, the same for everyone who installs the app.
	who := cred.Secret
	if cred.UserSecret != "" {
		who = cred.UserSecret
	}
	id, err := s.exec.Identify(ctx, l.Toolkit, sc.Authorizer(who))
	if err != nil {
		s.failLink(ctx, l, "the new token did not pass the identity check")
		return nil, &LinkError{Message: signInRefused(tk.Name, err), Err: err, Callback: callbackTarget(l, "failed", l.AccountID)}
	}
	return s.complete(ctx, l, id.ID, id.Label, l.Alias, cred)
}

// exchange trades the code for a token.
func (s *Service) exchange(ctx context.Context, cfg *oauth2.Config, sc *tools.Scheme, code, verifier string) (*oauth2.Token, error) {
	if sc.TokenResponse == tools.TokenResponseSlack {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {cfg.RedirectURL}}
		if sc.PKCE {
			form.Set("code_verifier", verifier)
		}
		return slackToken(ctx, cfg, form, s.now())
	}
	var opts []oauth2.AuthCodeOption
	if sc.PKCE {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	return cfg.Exchange(ctx, code, opts...)
}

// failLink turns the link's account FAILED when it is a new account still
// waiting; an existing account being re-authorized keeps its status, and
// so does one that a completion turned ACTIVE meanwhile.
func (s *Service) failLink(ctx context.Context, l *Link, reason string) {
	a, err := s.store.Account(ctx, l.UserID, l.AccountID)
	if err != nil || a.Status != StatusInitiated {
		return
	}
	a.Status, a.StatusReason = StatusFailed, reason
	if err := s.store.SetAccountStatus(ctx, a, StatusInitiated); err != nil {
		if !errors.Is(err, ErrAccountChanged) && !errors.Is(err, ErrNotFound) {
			s.log.Warn("marking account failed", zap.String("account", a.ID), zap.Error(err))
		}
		return
	}
	s.events.publish(l.UserID, Event{Account: a, SessionID: l.SessionID})
}

// credentialOf keeps what a later refresh needs of a token obtained at now.
// An expiry that is not in the future (a provider's negative or zero
// expires_in) is treated as unknown: trusting it would refresh on every call.
func credentialOf(tok *oauth2.Token, now time.Time) Credential {
	c := Credential{Secret: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry, Obtained: now}
	if u, ok := tok.Extra(userTokenExtra).(string); ok {
		c.UserSecret = u
	}
	if !c.Expiry.IsZero() && !c.Expiry.After(now) {
		c.Expiry = time.Time{}
	}
	return c
}

// tokenEndpointError stands for a token endpoint failure wherever it is
// kept as a cause: only its error code travels on. The error x/oauth2
// returns holds the endpoint's whole response body, which may echo a code,
// a token or the client's own credentials, and a cause may reach a log.
func tokenEndpointError(err error) error {
	return errors.New("token endpoint: " + oauthErrorCode(err))
}

// oauthErrorCode returns the OAuth error code of a token endpoint failure
// ("invalid_grant"), or a generic word; never the response body.
func oauthErrorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode != "" {
			return safeCode(re.ErrorCode)
		}
		if re.Response != nil {
			return "HTTP " + http.StatusText(re.Response.StatusCode)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "unreachable"
}

// safeCode keeps an error code printable and short: it comes from outside.
func safeCode(code string) string {
	out := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' {
			return r
		}
		return -1
	}, code)
	if len(out) > 64 {
		out = out[:64]
	}
	return out
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
