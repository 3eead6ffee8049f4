package fakeupstream

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// OAuthIdentity is one account a person can sign in with at the fake
// provider; the consent page offers every identity added with AddIdentity.
type OAuthIdentity struct {
	// Subject is the stable, unique user id ("sub").
	Subject string
	// Login is the user name, e.g. a GitHub login.
	Login string
	// Email is the account's address, e.g. a Gmail address.
	Email string
	// Name is the display name.
	Name string
}

// OAuthDefaultIdentity is the identity the consent page offers while no
// identity has been added, so a benchmark can run the flow without setup.
var OAuthDefaultIdentity = OAuthIdentity{Subject: "fake-user", Login: "fake-user", Email: "fake-user@example.com", Name: "Fake User"}

// OAuthOptions configure the fake provider's single registered client.
type OAuthOptions struct {
	// ClientID and ClientSecret are the registered client's credentials. An
	// empty ClientSecret makes a public client: it identifies itself with
	// client_id in the token request body and sends no secret.
	ClientID, ClientSecret string
	// ClientAuth is how the client must authenticate at the token endpoint:
	// "basic" (HTTP Basic with form-url-encoded id and secret, RFC 6749
	// §2.3.1), "body" (client_id and client_secret form fields) or "" (either,
	// but not both at once).
	ClientAuth string
	// RedirectURIs, when not empty, are the registered redirect URIs: any
	// other redirect_uri is refused with the error page. When empty, any
	// absolute http(s) URL without fragment is accepted.
	RedirectURIs []string
	// AccessTTL is the lifetime of access tokens; default 1h. expires_in is
	// AccessTTL rounded up to whole seconds.
	AccessTTL time.Duration
	// RotateRefresh makes every refresh return a new refresh token and
	// invalidate the one used. Without it a refresh answers no
	// refresh_token, as Google does, and the old one stays valid.
	RotateRefresh bool
	// RequirePKCE refuses authorization requests without code_challenge.
	// Independently of it, a code issued for a code_challenge (S256 only) is
	// exchanged only with the matching code_verifier, and a code issued
	// without one is refused when a code_verifier is sent.
	RequirePKCE bool
	// OnToken, if set, is called for every access token issued, before the
	// token response is written, e.g. to register the token with
	// GitHub.AddUser. Calls may be concurrent.
	OnToken func(accessToken string, id OAuthIdentity)
	// TokenDelay stalls every token request this long before it is
	// answered (after it is counted), to widen races in tests.
	TokenDelay time.Duration
	// Now is the clock for expiry of codes and access tokens; default
	// time.Now.
	Now func() time.Time
}

// OAuth is a fake OAuth2 authorization server (RFC 6749 authorization code
// grant with PKCE, RFC 7636; refresh; revocation, RFC 7009; a userinfo
// endpoint) for one registered client. Its consent page lets a person, or a
// headless browser, choose among several identities. It is safe for
// concurrent use.
//
// Endpoints: GET /authorize, POST /authorize/decide, POST /token,
// POST /revoke, GET /userinfo. Authorization codes are single-use and live
// one minute. Exchanging a code a second time fails with invalid_grant and
// revokes the tokens issued from it (RFC 6749 §4.1.2). Revoking any token
// revokes its whole grant: the refresh token, every refresh token rotated
// from the same consent and their access tokens (as Google does).
type OAuth struct {
	srv  *httptest.Server
	opts OAuthOptions

	mu            sync.Mutex
	identities    []OAuthIdentity
	codes         map[string]*oauthCode
	access        map[string]*oauthAccess
	refresh       map[string]*oauthRefresh
	seq           int64
	tokenCounts   map[string]int
	lastToken     url.Values
	lastAuthorize url.Values
	revoked       []string
}

// oauthGrant is what one consent granted; every token issued from it, by
// the code exchange and by refreshes, belongs to it.
type oauthGrant struct {
	id    OAuthIdentity
	scope string
	// refreshDead, when not empty, says why no refresh token of the grant
	// works any more.
	refreshDead string
	// revoked also ends the grant's access tokens.
	revoked bool
}

type oauthCode struct {
	redirectURI, challenge, scope string
	id                            OAuthIdentity
	expires                       time.Time
	grant                         *oauthGrant // set once exchanged
}

type oauthAccess struct {
	grant   *oauthGrant
	expires time.Time
}

type oauthRefresh struct {
	grant   *oauthGrant
	seq     int64
	rotated bool
}

// oauthCodeTTL is the lifetime of authorization codes.
const oauthCodeTTL = time.Minute

// NewOAuth starts a fake OAuth2 provider on a loopback port. Call Close
// when done.
func NewOAuth(opts OAuthOptions) *OAuth {
	if opts.AccessTTL <= 0 {
		opts.AccessTTL = time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.RedirectURIs = slices.Clone(opts.RedirectURIs)
	o := &OAuth{
		opts:  opts,
		codes: map[string]*oauthCode{}, access: map[string]*oauthAccess{},
		refresh: map[string]*oauthRefresh{}, tokenCounts: map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", o.serveAuthorize)
	mux.HandleFunc("POST /authorize/decide", o.serveDecide)
	mux.HandleFunc("/token", o.serveToken)
	mux.HandleFunc("/revoke", o.serveRevoke)
	mux.HandleFunc("GET /userinfo", o.serveUserinfo)
	o.srv = httptest.NewServer(mux)
	return o
}

// URL returns the provider's base URL, e.g. http://127.0.0.1:34567.
func (o *OAuth) URL() string { return o.srv.URL }

// AuthorizeURL returns the authorization endpoint (the consent page).
func (o *OAuth) AuthorizeURL() string { return o.srv.URL + "/authorize" }

// TokenURL returns the token endpoint.
func (o *OAuth) TokenURL() string { return o.srv.URL + "/token" }

// RevokeURL returns the revocation endpoint.
func (o *OAuth) RevokeURL() string { return o.srv.URL + "/revoke" }

// UserinfoURL returns the endpoint that answers {"sub","email","name",
// "login"} for a valid access token.
func (o *OAuth) UserinfoURL() string { return o.srv.URL + "/userinfo" }

// Close shuts the server down.
func (o *OAuth) Close() { o.srv.Close() }

// AddIdentity adds an identity the consent page offers, in order of
// addition; adding one with a known Subject replaces that identity.
func (o *OAuth) AddIdentity(id OAuthIdentity) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, have := range o.identities {
		if have.Subject == id.Subject {
			o.identities[i] = id
			return
		}
	}
	o.identities = append(o.identities, id)
}

// oauthIdentitiesLocked returns the identities on offer.
func (o *OAuth) oauthIdentitiesLocked() []OAuthIdentity {
	if len(o.identities) == 0 {
		return []OAuthIdentity{OAuthDefaultIdentity}
	}
	return slices.Clone(o.identities)
}

// InvalidateGrants makes every refresh token of subject issued so far fail
// with invalid_grant, as when the user removes the app's access at the
// provider. Access tokens live on until they expire; a new consent issues
// working tokens again.
func (o *OAuth) InvalidateGrants(subject string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, rt := range o.refresh {
		if rt.grant.id.Subject == subject && rt.grant.refreshDead == "" {
			rt.grant.refreshDead = "Token has been expired or revoked (the user removed the app's access)."
		}
	}
}

// TokenRequests returns how many token requests with grant_type grantType
// ("authorization_code", "refresh_token") arrived, failed ones included.
func (o *OAuth) TokenRequests(grantType string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.tokenCounts[grantType]
}

// LastTokenRequest returns the form of the last token request (without the
// Authorization header), nil if none.
func (o *OAuth) LastTokenRequest() url.Values {
	o.mu.Lock()
	defer o.mu.Unlock()
	return oauthCloneValues(o.lastToken)
}

// LastAuthorizeRequest returns the query of the last GET /authorize, nil if
// none, e.g. to assert access_type=offline or code_challenge_method=S256.
func (o *OAuth) LastAuthorizeRequest() url.Values {
	o.mu.Lock()
	defer o.mu.Unlock()
	return oauthCloneValues(o.lastAuthorize)
}

// RefreshToken returns the most recently issued refresh token of subject
// that still works, "" if none.
func (o *OAuth) RefreshToken(subject string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var best string
	var seq int64 = -1
	for tok, rt := range o.refresh {
		if rt.grant.id.Subject == subject && oauthRefreshProblem(rt) == "" && rt.seq > seq {
			best, seq = tok, rt.seq
		}
	}
	return best
}

// Revoked returns the tokens posted to the revocation endpoint, oldest
// first (unknown ones included).
func (o *OAuth) Revoked() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.revoked)
}

func oauthCloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// oauthRandom returns prefix followed by 26 random base32 characters.
func oauthRandom(prefix string) string { return prefix + rand.Text() }

// oauthS256 returns BASE64URL(SHA256(verifier)) without padding.
func oauthS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// oauthRefreshProblem says why rt does not work, "" if it does.
func oauthRefreshProblem(rt *oauthRefresh) string {
	switch {
	case rt.grant.revoked:
		return "Token has been expired or revoked."
	case rt.grant.refreshDead != "":
		return rt.grant.refreshDead
	case rt.rotated:
		return "Refresh token was rotated; use the newest one."
	}
	return ""
}

// oauthError is an error answer of the token endpoint (RFC 6749 §5.2).
type oauthError struct {
	status      int
	code        string
	description string
}

// oauthIssued is a successful token answer plus the identity to report to
// OnToken.
type oauthIssued struct {
	body  map[string]any
	token string
	id    OAuthIdentity
}

// oauthWriteJSON answers v as JSON that no cache may store (RFC 6749 §5.1).
func oauthWriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func oauthWriteError(w http.ResponseWriter, e *oauthError) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="fake-oauth"`)
	}
	body := map[string]string{"error": e.code}
	if e.description != "" {
		body["error_description"] = e.description
	}
	oauthWriteJSON(w, e.status, body)
}

// serveToken is the token endpoint: authorization_code and refresh_token
// grants. It always answers JSON, whatever Accept says.
func (o *OAuth) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		oauthWriteError(w, &oauthError{http.StatusMethodNotAllowed, "invalid_request", "The token endpoint accepts POST only."})
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		oauthWriteError(w, &oauthError{http.StatusBadRequest, "invalid_request", "Content-Type must be application/x-www-form-urlencoded."})
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthWriteError(w, &oauthError{http.StatusBadRequest, "invalid_request", "Malformed form body."})
		return
	}
	form := r.PostForm
	grant := form.Get("grant_type")
	o.mu.Lock()
	o.lastToken = oauthCloneValues(form)
	o.tokenCounts[grant]++
	o.mu.Unlock()
	if d := o.opts.TokenDelay; d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	if e := o.oauthAuthenticate(r, form); e != nil {
		oauthWriteError(w, e)
		return
	}
	var issued *oauthIssued
	var e *oauthError
	switch grant {
	case "authorization_code":
		issued, e = o.oauthExchangeCode(form)
	case "refresh_token":
		issued, e = o.oauthRefresh(form)
	case "":
		e = &oauthError{http.StatusBadRequest, "invalid_request", "Missing grant_type."}
	default:
		e = &oauthError{http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant_type " + grant + "."}
	}
	if e != nil {
		oauthWriteError(w, e)
		return
	}
	if o.opts.OnToken != nil {
		o.opts.OnToken(issued.token, issued.id)
	}
	oauthWriteJSON(w, http.StatusOK, issued.body)
}

// oauthAuthenticate checks client authentication per ClientAuth.
func (o *OAuth) oauthAuthenticate(r *http.Request, form url.Values) *oauthError {
	invalid := func(desc string) *oauthError {
		return &oauthError{http.StatusUnauthorized, "invalid_client", desc}
	}
	user, pass, hasBasic := r.BasicAuth()
	_, hasBodySecret := form["client_secret"]
	bodyID := form.Get("client_id")
	switch {
	case hasBasic && hasBodySecret:
		return &oauthError{http.StatusBadRequest, "invalid_request", "The client used more than one authentication method."}
	case hasBasic:
		if o.opts.ClientAuth == "body" {
			return invalid("This client must authenticate with client_id and client_secret in the request body.")
		}
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil || id != o.opts.ClientID || secret != o.opts.ClientSecret {
			return invalid("Client authentication failed.")
		}
		if bodyID != "" && bodyID != id {
			return invalid("client_id in the body does not match the authenticated client.")
		}
		return nil
	case hasBodySecret:
		if o.opts.ClientAuth == "basic" {
			return invalid("This client must authenticate with HTTP Basic.")
		}
		if bodyID != o.opts.ClientID || form.Get("client_secret") != o.opts.ClientSecret {
			return invalid("Client authentication failed.")
		}
		return nil
	case o.opts.ClientSecret == "" && bodyID != "":
		if bodyID != o.opts.ClientID {
			return invalid("Unknown client.")
		}
		return nil
	}
	return invalid("Client authentication missing.")
}

// oauthIssueLocked issues an access token (and a refresh token unless
// withRefresh is false) of g and returns the token answer.
func (o *OAuth) oauthIssueLocked(g *oauthGrant, withRefresh bool) *oauthIssued {
	now := o.opts.Now()
	at := oauthRandom("fake-at-")
	o.access[at] = &oauthAccess{grant: g, expires: now.Add(o.opts.AccessTTL)}
	ttl := o.opts.AccessTTL
	body := map[string]any{
		"access_token": at,
		"token_type":   "Bearer",
		"expires_in":   int64((ttl + time.Second - 1) / time.Second),
		"scope":        g.scope,
	}
	if withRefresh {
		rt := oauthRandom("fake-rt-")
		o.seq++
		o.refresh[rt] = &oauthRefresh{grant: g, seq: o.seq}
		body["refresh_token"] = rt
	}
	return &oauthIssued{body: body, token: at, id: g.id}
}

func oauthInvalidGrant(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_grant", desc}
}

// oauthExchangeCode serves grant_type=authorization_code.
func (o *OAuth) oauthExchangeCode(form url.Values) (*oauthIssued, *oauthError) {
	code := form.Get("code")
	verifier, hasVerifier := form.Get("code_verifier"), form.Has("code_verifier")
	o.mu.Lock()
	defer o.mu.Unlock()
	c := o.codes[code]
	switch {
	case code == "":
		return nil, &oauthError{http.StatusBadRequest, "invalid_request", "Missing code."}
	case c == nil:
		return nil, oauthInvalidGrant("Malformed or unknown authorization code.")
	case c.grant != nil:
		c.grant.revoked = true // RFC 6749 §4.1.2: revoke what the code issued
		return nil, oauthInvalidGrant("Authorization code was already redeemed.")
	case !o.opts.Now().Before(c.expires):
		return nil, oauthInvalidGrant("Authorization code has expired.")
	case form.Get("redirect_uri") != c.redirectURI:
		return nil, oauthInvalidGrant("redirect_uri does not match the one of the authorization request.")
	case c.challenge != "" && !hasVerifier:
		return nil, oauthInvalidGrant("Missing code_verifier.")
	case c.challenge != "" && oauthS256(verifier) != c.challenge:
		return nil, oauthInvalidGrant("code_verifier does not match the code_challenge.")
	case c.challenge == "" && hasVerifier:
		return nil, oauthInvalidGrant("code_verifier sent but the authorization request had no code_challenge.")
	}
	c.grant = &oauthGrant{id: c.id, scope: c.scope}
	return o.oauthIssueLocked(c.grant, true), nil
}

// oauthRefresh serves grant_type=refresh_token.
func (o *OAuth) oauthRefresh(form url.Values) (*oauthIssued, *oauthError) {
	tok := form.Get("refresh_token")
	if tok == "" {
		return nil, &oauthError{http.StatusBadRequest, "invalid_request", "Missing refresh_token."}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	rt := o.refresh[tok]
	if rt == nil {
		return nil, oauthInvalidGrant("Malformed or unknown refresh token.")
	}
	if p := oauthRefreshProblem(rt); p != "" {
		return nil, oauthInvalidGrant(p)
	}
	if s := form.Get("scope"); s != "" {
		granted := strings.Fields(rt.grant.scope)
		for _, want := range strings.Fields(s) {
			if !slices.Contains(granted, want) {
				return nil, &oauthError{http.StatusBadRequest, "invalid_scope", "Scope " + want + " was not granted."}
			}
		}
	}
	if o.opts.RotateRefresh {
		rt.rotated = true
	}
	return o.oauthIssueLocked(rt.grant, o.opts.RotateRefresh), nil
}

// serveRevoke is the revocation endpoint (RFC 7009): token=… in the body
// (or query). Unknown tokens are answered 200 too.
func (o *OAuth) serveRevoke(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		oauthWriteError(w, &oauthError{http.StatusMethodNotAllowed, "invalid_request", "The revocation endpoint accepts POST only."})
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthWriteError(w, &oauthError{http.StatusBadRequest, "invalid_request", "Malformed form body."})
		return
	}
	tok := r.Form.Get("token")
	if tok == "" {
		oauthWriteError(w, &oauthError{http.StatusBadRequest, "invalid_request", "Missing token."})
		return
	}
	o.mu.Lock()
	o.revoked = append(o.revoked, tok)
	if rt := o.refresh[tok]; rt != nil {
		rt.grant.revoked = true
	}
	if at := o.access[tok]; at != nil {
		at.grant.revoked = true
	}
	o.mu.Unlock()
	oauthWriteJSON(w, http.StatusOK, map[string]any{})
}

// serveUserinfo answers the identity behind a valid bearer access token.
func (o *OAuth) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	ok := strings.EqualFold(scheme, "Bearer") && tok != ""
	o.mu.Lock()
	at := o.access[tok]
	valid := ok && at != nil && !at.grant.revoked && o.opts.Now().Before(at.expires)
	var id OAuthIdentity
	if valid {
		id = at.grant.id
	}
	o.mu.Unlock()
	if !valid {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthWriteJSON(w, http.StatusUnauthorized, map[string]string{
			"error": "invalid_token", "error_description": "The access token is missing, unknown, expired or revoked.",
		})
		return
	}
	oauthWriteJSON(w, http.StatusOK, map[string]any{
		"sub": id.Subject, "email": id.Email, "name": id.Name, "login": id.Login,
	})
}
