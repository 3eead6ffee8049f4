package tools

import (
	"context"
	"net/http"
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
	// Scopes are the OAuth2 scopes the toolkit's tools need (oauth2 only).
	Scopes []string
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
