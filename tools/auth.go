package tools

import (
	"context"
	"net/http"
	"strings"
)

// The scheme kinds a toolkit may offer.
const (
	SchemeBearerToken = "bearer_token"
	SchemeAPIKey      = "api_key"
	SchemeOAuth2      = "oauth2"
)

// Authorizer puts a credential on an outgoing request. The executor calls it
// last, after every other header is set. An error it returns aborts the call
// and is wrapped as the cause of an INTERNAL *Error (it must not carry the
// credential). Implementations must be safe for concurrent use.
type Authorizer interface {
	Authorize(ctx context.Context, req *http.Request) error
}

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc func(ctx context.Context, req *http.Request) error

// Authorize calls f.
func (f AuthorizerFunc) Authorize(ctx context.Context, req *http.Request) error { return f(ctx, req) }

// Scheme is one way to authorize an account of a toolkit.
type Scheme struct {
	// Kind is "bearer_token", "api_key" or "oauth2".
	Kind string
	// Header carries the credential ("Authorization" by default).
	Header string
	// Prefix precedes the credential in Header ("Bearer " by default for
	// bearer_token and oauth2, "" for api_key).
	Prefix string
	// CredentialLabel is what the connect page asks for, e.g. "Personal
	// access token". Empty for oauth2.
	CredentialLabel string
	// Help is one or two sentences for the connect page: where to create the
	// credential and which scopes it needs.
	Help string
	// AuthorizationURL is the OAuth2 authorization endpoint (oauth2 only).
	AuthorizationURL string
	// TokenURL is the OAuth2 token endpoint (oauth2 only).
	TokenURL string
	// Scopes are the OAuth2 scopes the toolkit's tools need (oauth2 only;
	// Slack: the bot scopes).
	Scopes []string
	// UserScopes are Slack v2's user scopes, sent as user_scope (oauth2
	// only).
	UserScopes []string
	// ScopeSeparator joins Scopes and UserScopes in a request: " " by
	// default, "," for Slack and Linear.
	ScopeSeparator string
	// AuthorizationParams are extra parameters of the authorization request
	// (Google: access_type=offline, prompt=consent). They never include
	// the parameters the flow sets itself (client_id, redirect_uri,
	// response_type, state, scope, user_scope, code_challenge*).
	AuthorizationParams map[string]string
	// ClientAuth is how the client authenticates at the token endpoint:
	// ClientAuthBody (client_id and client_secret as form fields, the
	// default) or ClientAuthBasic (HTTP Basic, as Notion requires).
	ClientAuth string
	// PKCE reports whether the flow sends an S256 code challenge (default
	// true).
	PKCE bool
	// RevokeURL is the endpoint that revokes a token, or "" when the
	// provider has none the toolkit declares.
	RevokeURL string
	// RevokeBody is how the token travels to RevokeURL: RevokeBodyForm
	// (RFC 7009) or RevokeBodyJSON ({"token": …} with the toolkit's static
	// headers, as Notion wants).
	RevokeBody string
	// TokenResponse is the shape of the token endpoint's answer:
	// TokenResponseStandard (RFC 6749) or TokenResponseSlack (Slack's
	// oauth.v2.access: HTTP 200 with ok:false on errors; the bot token's
	// access_token at the top level, the user token's under authed_user).
	TokenResponse string
}

// The values of Scheme.ClientAuth, Scheme.TokenResponse and
// Scheme.RevokeBody.
const (
	ClientAuthBody        = "body"
	ClientAuthBasic       = "basic"
	TokenResponseStandard = "standard"
	TokenResponseSlack    = "slack"
	RevokeBodyForm        = "form"
	RevokeBodyJSON        = "json"
)

// ScopeParam returns Scopes joined with ScopeSeparator, the value of the
// authorization request's scope parameter.
func (s *Scheme) ScopeParam() string { return strings.Join(s.Scopes, s.separator()) }

// UserScopeParam returns UserScopes joined with ScopeSeparator, the value
// of Slack's user_scope parameter ("" when there are none).
func (s *Scheme) UserScopeParam() string { return strings.Join(s.UserScopes, s.separator()) }

func (s *Scheme) separator() string {
	if s.ScopeSeparator == "" {
		return " "
	}
	return s.ScopeSeparator
}

// Authorizer returns an Authorizer that sets the scheme's Header to
// Prefix+secret. For oauth2 the secret is the access token.
func (s *Scheme) Authorizer(secret string) Authorizer {
	header, value := s.Header, s.Prefix+secret
	return AuthorizerFunc(func(_ context.Context, req *http.Request) error {
		req.Header.Set(header, value)
		return nil
	})
}
