package fakeupstream

import (
	"crypto/rand"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	oauthTestClientID = "app-1.apps.example"
	// oauthTestSecret needs form-url-encoding in HTTP Basic.
	oauthTestSecret   = "s3cr+t/=x"
	oauthTestRedirect = "http://127.0.0.1:9/oauth/callback"
	oauthTestScope    = "openid email https://example.com/auth/mail.modify"
)

var (
	oauthWork = OAuthIdentity{Subject: "sub-work", Login: "octo-work", Email: "work@example.com", Name: "Work Me"}
	oauthHome = OAuthIdentity{Subject: "sub-home", Login: "octo-home", Email: "home@example.com", Name: "Home Me"}
)

// oauthTestClock is a settable clock for OAuthOptions.Now.
type oauthTestClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *oauthTestClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *oauthTestClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// oauthNew starts a provider for the test client with the work and home
// identities; empty ClientID/ClientSecret in opts get the test client's.
func oauthNew(tb testing.TB, opts OAuthOptions) *OAuth {
	tb.Helper()
	if opts.ClientID == "" {
		opts.ClientID = oauthTestClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = oauthTestSecret
	}
	o := NewOAuth(opts)
	tb.Cleanup(o.Close)
	o.AddIdentity(oauthWork)
	o.AddIdentity(oauthHome)
	return o
}

// oauthNoFollow does not follow redirects, so tests see the provider's 302.
var oauthNoFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// oauthPKCE returns a fresh code verifier and its S256 challenge.
func oauthPKCE() (verifier, challenge string) {
	verifier = rand.Text() + rand.Text() // 52 characters
	return verifier, oauthS256(verifier)
}

// oauthParams returns an authorization request for the test client.
func oauthParams(challenge string) url.Values {
	v := url.Values{
		"response_type": {"code"}, "client_id": {oauthTestClientID}, "redirect_uri": {oauthTestRedirect},
		"scope": {oauthTestScope}, "state": {"st-" + rand.Text()},
		"access_type": {"offline"}, "prompt": {"consent"},
	}
	if challenge != "" {
		v.Set("code_challenge", challenge)
		v.Set("code_challenge_method", "S256")
	}
	return v
}

var (
	oauthFormRE  = regexp.MustCompile(`<form\b[^>]*>`)
	oauthInputRE = regexp.MustCompile(`<input\b[^>]*>`)
	oauthAttrRE  = regexp.MustCompile(`([a-z_-]+)(?:="([^"]*)")?`)
)

// oauthAttrs returns the attributes of one HTML tag.
func oauthAttrs(tag string) map[string]string {
	out := map[string]string{}
	for _, m := range oauthAttrRE.FindAllStringSubmatch(strings.TrimSuffix(strings.TrimPrefix(tag, "<"), ">"), -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// oauthPage is the parsed consent page.
type oauthPage struct {
	body    string
	action  string
	hidden  url.Values
	radios  []string // subjects, in page order
	checked string
}

// oauthGetPage GETs the authorization endpoint with params and parses the
// consent form.
func oauthGetPage(tb testing.TB, o *OAuth, params url.Values) oauthPage {
	tb.Helper()
	res, err := oauthNoFollow.Get(o.AuthorizeURL() + "?" + params.Encode())
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		tb.Fatalf("GET /authorize: %d %s, want 200 HTML; body:\n%s", res.StatusCode, res.Header.Get("Content-Type"), data)
	}
	p := oauthPage{body: string(data), hidden: url.Values{}}
	form := oauthFormRE.FindString(p.body)
	if a := oauthAttrs(form); a["method"] != "post" {
		tb.Fatalf("consent form %q is not POST", form)
	} else {
		p.action = a["action"]
	}
	for _, tag := range oauthInputRE.FindAllString(p.body, -1) {
		a := oauthAttrs(tag)
		switch a["type"] {
		case "hidden":
			p.hidden.Add(a["name"], a["value"])
		case "radio":
			p.radios = append(p.radios, a["value"])
			if _, ok := a["checked"]; ok {
				p.checked = a["value"]
			}
		}
	}
	return p
}

// oauthDecide submits the consent form as a browser would after clicking
// decision ("approve", "deny") with subject chosen ("" keeps the checked
// one), and returns the redirect's Location.
func oauthDecide(tb testing.TB, o *OAuth, p oauthPage, decision, subject string) *url.URL {
	tb.Helper()
	form := oauthCloneValues(p.hidden)
	if subject == "" {
		subject = p.checked
	}
	form.Set("subject", subject)
	form.Set("decision", decision)
	res, err := oauthNoFollow.PostForm(o.URL()+p.action, form)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusFound {
		data, _ := io.ReadAll(res.Body)
		tb.Fatalf("POST %s: %d, want 302; body:\n%s", p.action, res.StatusCode, data)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// oauthConsentCode runs the consent flow with PKCE for subject and returns the
// code and its verifier.
func oauthConsentCode(tb testing.TB, o *OAuth, subject string) (code, verifier string) {
	tb.Helper()
	verifier, challenge := oauthPKCE()
	params := oauthParams(challenge)
	loc := oauthDecide(tb, o, oauthGetPage(tb, o, params), "approve", subject)
	if got := loc.Query().Get("state"); got != params.Get("state") {
		tb.Fatalf("state = %q, want %q", got, params.Get("state"))
	}
	return loc.Query().Get("code"), verifier
}

// oauthExchange is the form of a code exchange.
func oauthExchange(code, verifier string) url.Values {
	v := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {oauthTestRedirect}}
	if verifier != "" {
		v.Set("code_verifier", verifier)
	}
	return v
}

// oauthPostToken posts form to the token endpoint, authenticating the test
// client by auth: "basic", "body", "basic-raw" (Basic without encoding) or
// "none".
func oauthPostToken(tb testing.TB, o *OAuth, form url.Values, auth string) (int, http.Header, map[string]any) {
	tb.Helper()
	form = oauthCloneValues(form)
	if auth == "body" {
		form.Set("client_id", oauthTestClientID)
		form.Set("client_secret", oauthTestSecret)
	}
	req, err := http.NewRequest(http.MethodPost, o.TokenURL(), strings.NewReader(form.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	switch auth {
	case "basic":
		req.SetBasicAuth(url.QueryEscape(oauthTestClientID), url.QueryEscape(oauthTestSecret))
	case "basic-raw":
		req.SetBasicAuth(oauthTestClientID, oauthTestSecret)
	}
	return oauthDo(tb, req)
}

func oauthDo(tb testing.TB, req *http.Request) (int, http.Header, map[string]any) {
	tb.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		tb.Fatalf("%s %s: %d, body is not a JSON object: %q", req.Method, req.URL.Path, res.StatusCode, data)
	}
	return res.StatusCode, res.Header, v
}

// oauthTokens exchanges a fresh code of subject and returns the answer.
func oauthTokens(tb testing.TB, o *OAuth, subject string) map[string]any {
	tb.Helper()
	code, verifier := oauthConsentCode(tb, o, subject)
	status, _, body := oauthPostToken(tb, o, oauthExchange(code, verifier), "basic")
	if status != http.StatusOK {
		tb.Fatalf("code exchange: %d %v", status, body)
	}
	return body
}

func oauthRefreshForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
}

// oauthWantError checks an OAuth error answer.
func oauthWantError(tb testing.TB, status int, body map[string]any, wantStatus int, wantCode string) {
	tb.Helper()
	if status != wantStatus || body["error"] != wantCode {
		tb.Fatalf("answer %d %v, want %d error=%s", status, body, wantStatus, wantCode)
	}
}

// oauthUserinfo calls the userinfo endpoint with token.
func oauthUserinfo(tb testing.TB, o *OAuth, token string) (int, map[string]any) {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, o.UserinfoURL(), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	status, _, body := oauthDo(tb, req)
	return status, body
}

func oauthRevoke(tb testing.TB, o *OAuth, token string) {
	tb.Helper()
	res, err := http.PostForm(o.RevokeURL(), url.Values{"token": {token}})
	if err != nil {
		tb.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("revoke: %d, want 200", res.StatusCode)
	}
}

func TestOAuthCodeFlow(t *testing.T) {
	t.Run("ConsentPageOffersClientScopesAndIdentities", func(t *testing.T) {
		o := oauthNew(t, OAuthOptions{})
		_, challenge := oauthPKCE()
		params := oauthParams(challenge)
		p := oauthGetPage(t, o, params)
		for _, want := range []string{
			`<html lang="en">`, "<title>Sign in to Fake Provider</title>", "<h1>Sign in to Fake Provider</h1>", oauthTestClientID,
			"<code>openid</code>", "<code>https://example.com/auth/mail.modify</code>",
			"work@example.com (octo-work)", "home@example.com (octo-home)",
			`id="approve"`, `>Approve</button>`, `id="deny"`, `>Deny</button>`, `<label for="identity-1">`,
		} {
			if !strings.Contains(p.body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if p.action != "/authorize/decide" {
			t.Errorf("form action = %q", p.action)
		}
		if !slices.Equal(p.radios, []string{"sub-work", "sub-home"}) || p.checked != "sub-work" {
			t.Errorf("radios %v checked %q, want [sub-work sub-home] with the first checked", p.radios, p.checked)
		}
		for _, k := range oauthAuthParams {
			if p.hidden.Get(k) != params.Get(k) {
				t.Errorf("hidden %s = %q, want %q", k, p.hidden.Get(k), params.Get(k))
			}
		}
		if p.hidden.Has("access_type") {
			t.Error("unknown parameter access_type carried in the form")
		}
		if got := o.LastAuthorizeRequest().Get("access_type"); got != "offline" {
			t.Errorf("LastAuthorizeRequest access_type = %q", got)
		}
	})

	t.Run("WithoutIdentitiesOffersTheDefaultOne", func(t *testing.T) {
		o := NewOAuth(OAuthOptions{ClientID: oauthTestClientID, ClientSecret: oauthTestSecret})
		defer o.Close()
		p := oauthGetPage(t, o, oauthParams(""))
		if !slices.Equal(p.radios, []string{OAuthDefaultIdentity.Subject}) {
			t.Errorf("radios = %v", p.radios)
		}
	})

	t.Run("ApprovedCodeExchangesForTokensOfTheChosenIdentity", func(t *testing.T) {
		o := oauthNew(t, OAuthOptions{})
		verifier, challenge := oauthPKCE()
		params := oauthParams(challenge)
		loc := oauthDecide(t, o, oauthGetPage(t, o, params), "approve", "sub-home")
		q := loc.Query()
		if base := loc.Scheme + "://" + loc.Host + loc.Path; base != oauthTestRedirect || q.Get("code") == "" || q.Get("state") != params.Get("state") {
			t.Fatalf("redirect to %s, want %s?code=…&state=%s", loc, oauthTestRedirect, params.Get("state"))
		}
		status, h, body := oauthPostToken(t, o, oauthExchange(q.Get("code"), verifier), "basic")
		if status != http.StatusOK {
			t.Fatalf("exchange: %d %v", status, body)
		}
		if h.Get("Cache-Control") != "no-store" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("headers Cache-Control=%q Content-Type=%q", h.Get("Cache-Control"), h.Get("Content-Type"))
		}
		at, _ := body["access_token"].(string)
		rt, _ := body["refresh_token"].(string)
		if at == "" || rt == "" || body["token_type"] != "Bearer" || body["expires_in"] != 3600.0 || body["scope"] != oauthTestScope {
			t.Errorf("token answer = %v", body)
		}
		last := o.LastTokenRequest()
		if last.Get("code_verifier") != verifier || last.Get("redirect_uri") != oauthTestRedirect {
			t.Errorf("LastTokenRequest = %v", last)
		}
		if status, info := oauthUserinfo(t, o, at); status != 200 || info["sub"] != "sub-home" || info["email"] != "home@example.com" || info["login"] != "octo-home" || info["name"] != "Home Me" {
			t.Errorf("userinfo = %d %v", status, info)
		}
		if got := o.RefreshToken("sub-home"); got != rt {
			t.Errorf("RefreshToken(sub-home) = %q, want %q", got, rt)
		}
		if got := o.RefreshToken("sub-work"); got != "" {
			t.Errorf("RefreshToken(sub-work) = %q, want none", got)
		}
	})

	t.Run("RedirectURIQueryIsKept", func(t *testing.T) {
		o := oauthNew(t, OAuthOptions{})
		params := oauthParams("")
		params.Set("redirect_uri", "https://app.example/cb?tenant=a+b")
		loc := oauthDecide(t, o, oauthGetPage(t, o, params), "approve", "")
		if q := loc.Query(); q.Get("tenant") != "a b" || q.Get("code") == "" {
			t.Errorf("redirect = %s", loc)
		}
	})

	failures := []struct {
		name   string
		change func(form url.Values)
	}{
		{"WrongVerifierIsInvalidGrant", func(f url.Values) { f.Set("code_verifier", f.Get("code_verifier")+"x") }},
		{"MissingVerifierIsInvalidGrant", func(f url.Values) { f.Del("code_verifier") }},
		{"WrongRedirectURIIsInvalidGrant", func(f url.Values) { f.Set("redirect_uri", oauthTestRedirect+"/") }},
		{"MissingRedirectURIIsInvalidGrant", func(f url.Values) { f.Del("redirect_uri") }},
		{"UnknownCodeIsInvalidGrant", func(f url.Values) { f.Set("code", "fake-code-nope") }},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			o := oauthNew(t, OAuthOptions{})
			code, verifier := oauthConsentCode(t, o, "")
			form := oauthExchange(code, verifier)
			tc.change(form)
			status, h, body := oauthPostToken(t, o, form, "basic")
			oauthWantError(t, status, body, http.StatusBadRequest, "invalid_grant")
			if h.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", h.Get("Cache-Control"))
			}
			// A failed attempt does not use the code up.
			status, _, body = oauthPostToken(t, o, oauthExchange(code, verifier), "basic")
			if status != http.StatusOK {
				t.Errorf("correct exchange after a failed one: %d %v", status, body)
			}
		})
	}

	t.Run("WithoutChallengeNoVerifierIsNeededAndNoneAccepted", func(t *testing.T) {
		o := oauthNew(t, OAuthOptions{})
		code := func() string {
			loc := oauthDecide(t, o, oauthGetPage(t, o, oauthParams("")), "approve", "")
			return loc.Query().Get("code")
		}
		status, _, body := oauthPostToken(t, o, oauthExchange(code(), "stray-verifier-0123456789012345678901234567890"), "basic")
		oauthWantError(t, status, body, http.StatusBadRequest, "invalid_grant")
		if status, _, body := oauthPostToken(t, o, oauthExchange(code(), ""), "basic"); status != http.StatusOK {
			t.Errorf("exchange without PKCE: %d %v", status, body)
		}
	})

	t.Run("ReusedCodeIsInvalidGrantAndRevokesItsTokens", func(t *testing.T) {
		o := oauthNew(t, OAuthOptions{})
		code, verifier := oauthConsentCode(t, o, "")
		status, _, first := oauthPostToken(t, o, oauthExchange(code, verifier), "basic")
		if status != http.StatusOK {
			t.Fatalf("first exchange: %d %v", status, first)
		}
		status, _, body := oauthPostToken(t, o, oauthExchange(code, verifier), "basic")
		oauthWantError(t, status, body, http.StatusBadRequest, "invalid_grant")
		if status, _ := oauthUserinfo(t, o, first["access_token"].(string)); status != http.StatusUnauthorized {
			t.Errorf("userinfo with the first access token after reuse: %d, want 401", status)
		}
		status, _, body = oauthPostToken(t, o, oauthRefreshForm(first["refresh_token"].(string)), "basic")
		oauthWantError(t, status, body, http.StatusBadRequest, "invalid_grant")
	})

	t.Run("ExpiredCodeIsInvalidGrant", func(t *testing.T) {
		clock := &oauthTestClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
		o := oauthNew(t, OAuthOptions{Now: clock.Now})
		code, verifier := oauthConsentCode(t, o, "")
		clock.Advance(time.Minute)
		status, _, body := oauthPostToken(t, o, oauthExchange(code, verifier), "basic")
		oauthWantError(t, status, body, http.StatusBadRequest, "invalid_grant")
	})

	t.Run("DenyRedirectsAccessDeniedWithState", func(t *testing.T) {
		o := oauthNew(t, OAuthOptions{})
		params := oauthParams("")
		loc := oauthDecide(t, o, oauthGetPage(t, o, params), "deny", "")
		q := loc.Query()
		if q.Get("error") != "access_denied" || q.Get("error_description") == "" || q.Get("state") != params.Get("state") || q.Has("code") {
			t.Errorf("redirect = %s", loc)
		}
	})
}

func TestOAuthAuthorizeErrors(t *testing.T) {
	tests := []struct {
		name   string
		opts   OAuthOptions
		change func(url.Values)
		// page: a 400 HTML error page; otherwise a redirect with error.
		page      bool
		wantError string
	}{
		{"UnknownClientIsAnErrorPage", OAuthOptions{}, func(v url.Values) { v.Set("client_id", "other") }, true, ""},
		{"MissingClientIsAnErrorPage", OAuthOptions{}, func(v url.Values) { v.Del("client_id") }, true, ""},
		{"MissingRedirectURIIsAnErrorPage", OAuthOptions{}, func(v url.Values) { v.Del("redirect_uri") }, true, ""},
		{"RelativeRedirectURIIsAnErrorPage", OAuthOptions{}, func(v url.Values) { v.Set("redirect_uri", "/oauth/callback") }, true, ""},
		{"NonHTTPRedirectURIIsAnErrorPage", OAuthOptions{}, func(v url.Values) { v.Set("redirect_uri", "javascript://x/%0Aalert(1)") }, true, ""},
		{"RedirectURIWithFragmentIsAnErrorPage", OAuthOptions{}, func(v url.Values) { v.Set("redirect_uri", oauthTestRedirect+"#x") }, true, ""},
		{"UnregisteredRedirectURIIsAnErrorPage", OAuthOptions{RedirectURIs: []string{"https://app.example/cb"}}, func(url.Values) {}, true, ""},
		{"WrongResponseTypeRedirectsWithError", OAuthOptions{}, func(v url.Values) { v.Set("response_type", "token") }, false, "unsupported_response_type"},
		{"PlainChallengeRedirectsWithError", OAuthOptions{}, func(v url.Values) { v.Set("code_challenge_method", "plain") }, false, "invalid_request"},
		{"MalformedChallengeRedirectsWithError", OAuthOptions{}, func(v url.Values) { v.Set("code_challenge", "short") }, false, "invalid_request"},
		{"RequirePKCERefusesRequestWithoutChallenge", OAuthOptions{RequirePKCE: true}, func(v url.Values) {
			v.Del("code_challenge")
			v.Del("code_challenge_method")
		}, false, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := oauthNew(t, tc.opts)
			_, challenge := oauthPKCE()
			params := oauthParams(challenge)
			tc.change(params)
			res, err := oauthNoFollow.Get(o.AuthorizeURL() + "?" + params.Encode())
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if tc.page {
				if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" ||
					!strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(data), `role="alert"`) {
					t.Errorf("answer %d Location=%q, want a 400 error page; body:\n%s", res.StatusCode, res.Header.Get("Location"), data)
				}
				return
			}
			loc, _ := url.Parse(res.Header.Get("Location"))
			if res.StatusCode != http.StatusFound || loc.Query().Get("error") != tc.wantError || loc.Query().Get("state") != params.Get("state") {
				t.Errorf("answer %d Location=%q, want 302 with error=%s and state", res.StatusCode, loc, tc.wantError)
			}
		})
	}

	t.Run("RegisteredRedirectURIIsAccepted", func(t *testing.T) {
		o := oauthNew(t, OAuthOptions{RedirectURIs: []string{oauthTestRedirect}})
		oauthGetPage(t, o, oauthParams(""))
	})

	decideFaults := []struct {
		name   string
		change func(url.Values)
	}{
		{"DecideWithTamperedClientIsAnErrorPage", func(f url.Values) { f.Set("client_id", "other") }},
		{"DecideWithUnknownIdentityIsAnErrorPage", func(f url.Values) { f.Set("subject", "sub-stranger") }},
		{"DecideWithoutDecisionIsAnErrorPage", func(f url.Values) { f.Del("decision") }},
	}
	for _, tc := range decideFaults {
		t.Run(tc.name, func(t *testing.T) {
			o := oauthNew(t, OAuthOptions{})
			p := oauthGetPage(t, o, oauthParams(""))
			form := oauthCloneValues(p.hidden)
			form.Set("subject", p.checked)
			form.Set("decision", "approve")
			tc.change(form)
			res, err := oauthNoFollow.PostForm(o.URL()+p.action, form)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
				t.Errorf("answer %d Location=%q, want 400 without redirect", res.StatusCode, res.Header.Get("Location"))
			}
		})
	}
}

func TestOAuthClientAuth(t *testing.T) {
	// An unknown refresh token tells the cases apart: 400 invalid_grant
	// means the client authenticated, 401 invalid_client that it did not.
	tests := []struct {
		name, mode, auth string
		form             url.Values
		status           int
		wantError        string
	}{
		{"BasicModeAcceptsBasic", "basic", "basic", nil, 400, "invalid_grant"},
		{"BasicModeRefusesBody", "basic", "body", nil, 401, "invalid_client"},
		{"BasicModeRefusesUnencodedBasic", "basic", "basic-raw", nil, 401, "invalid_client"},
		{"BodyModeAcceptsBody", "body", "body", nil, 400, "invalid_grant"},
		{"BodyModeRefusesBasic", "body", "basic", nil, 401, "invalid_client"},
		{"EitherModeAcceptsBasic", "", "basic", nil, 400, "invalid_grant"},
		{"EitherModeAcceptsBody", "", "body", nil, 400, "invalid_grant"},
		{"EitherModeRefusesBoth", "", "basic", url.Values{"client_secret": {oauthTestSecret}}, 400, "invalid_request"},
		{"MissingAuthIsInvalidClient", "", "none", nil, 401, "invalid_client"},
		{"ClientIDAloneIsInvalidClient", "", "none", url.Values{"client_id": {oauthTestClientID}}, 401, "invalid_client"},
		{"WrongSecretIsInvalidClient", "", "none", url.Values{"client_id": {oauthTestClientID}, "client_secret": {"nope"}}, 401, "invalid_client"},
		{"WrongClientIsInvalidClient", "", "none", url.Values{"client_id": {"other"}, "client_secret": {oauthTestSecret}}, 401, "invalid_client"},
		{"BasicWithOtherBodyClientIsInvalidClient", "", "basic", url.Values{"client_id": {"other"}}, 401, "invalid_client"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := oauthNew(t, OAuthOptions{ClientAuth: tc.mode})
			form := oauthRefreshForm("fake-rt-unknown")
			for k, v := range tc.form {
				form[k] = v
			}
			status, h, body := oauthPostToken(t, o, form, tc.auth)
			oauthWantError(t, status, body, tc.status, tc.wantError)
			if status == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}

	t.Run("PublicClientIdentifiesByClientID", func(t *testing.T) {
		o := NewOAuth(OAuthOptions{ClientID: oauthTestClientID, RequirePKCE: true})
		defer o.Close()
		code, verifier := oauthConsentCode(t, o, "")
		form := oauthExchange(code, verifier)
		form.Set("client_id", oauthTestClientID)
		if status, _, body := oauthPostToken(t, o, form, "none"); status != http.StatusOK {
			t.Errorf("public client exchange: %d %v", status, body)
		}
	})

	t.Run("SuccessfulExchangeWithBodyAuth", func(t *testing.T) {
		o := oauthNew(t, OAuthOptions{ClientAuth: "body"})
		code, verifier := oauthConsentCode(t, o, "")
		if status, _, body := oauthPostToken(t, o, oauthExchange(code, verifier), "body"); status != http.StatusOK {
			t.Errorf("exchange: %d %v", status, body)
		}
	})
}

func TestOAuthRefresh(t *testing.T) {
	t.Run("WithoutRotationTheRefreshTokenStays", func(t *testing.T) {
		o := oauthNew(t, OAuthOptions{})
		rt := oauthTokens(t, o, "")["refresh_token"].(string)
		for i := range 2 {
			status, _, body := oauthPostToken(t, o, oauthRefreshForm(rt), "basic")
			if status != http.StatusOK || body["access_token"] == "" || body["scope"] != oauthTestScope {
				t.Fatalf("refresh %d: %d %v", i, status, body)
			}
			if _, ok := body["refresh_token"]; ok {
				t.Errorf("refresh %d answered a refresh_token without rotation", i)
			}
			if status, info := oauthUserinfo(t, o, body["access_token"].(string)); status != 200 || info["sub"] != "sub-work" {
				t.Errorf("userinfo = %d %v", status, info)
			}
		}
		if o.RefreshToken("sub-work") != rt {
			t.Errorf("RefreshToken = %q, want %q", o.RefreshToken("sub-work"), rt)
		}
	})

	t.Run("RotationIssuesANewTokenAndRefusesTheOld", func(t *testing.T) {
		o := oauthNew(t, OAuthOptions{RotateRefresh: true})
		old := oauthTokens(t, o, "")["refresh_token"].(string)
		status, _, body := oauthPostToken(t, o, oauthRefreshForm(old), "basic")
		rotated, _ := body["refresh_token"].(string)
		if status != http.StatusOK || rotated == "" || rotated == old {
			t.Fatalf("refresh: %d %v, want a new refresh token", status, body)
		}
		if got := o.RefreshToken("sub-work"); got != rotated {
			t.Errorf("RefreshToken = %q, want the rotated %q", got, rotated)
		}
		status, _, body = oauthPostToken(t, o, oauthRefreshForm(old), "basic")
		oauthWantError(t, status, body, http.StatusBadRequest, "invalid_grant")
		if body["error_description"] == "" {
			t.Error("invalid_grant without error_description")
		}
		if status, _, body := oauthPostToken(t, o, oauthRefreshForm(rotated), "basic"); status != http.StatusOK {
			t.Errorf("refresh with the rotated token: %d %v", status, body)
		}
	})

	concurrent := []struct {
		name   string
		rotate bool
		wantOK int
	}{
		{"TwentyConcurrentRefreshesWithRotationOnlyOneWins", true, 1},
		{"TwentyConcurrentRefreshesWithoutRotationAllWin", false, 20},
	}
	for _, tc := range concurrent {
		t.Run(tc.name, func(t *testing.T) {
			o := oauthNew(t, OAuthOptions{RotateRefresh: tc.rotate, TokenDelay: 5 * time.Millisecond})
			rt := oauthTokens(t, o, "")["refresh_token"].(string)
			var wg sync.WaitGroup
			statuses := make([]int, 20)
			errs := make([]any, 20)
			for i := range statuses {
				wg.Go(func() {
					req, _ := http.NewRequest(http.MethodPost, o.TokenURL(), strings.NewReader(oauthRefreshForm(rt).Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.SetBasicAuth(url.QueryEscape(oauthTestClientID), url.QueryEscape(oauthTestSecret))
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					defer res.Body.Close()
					var body map[string]any
					json.NewDecoder(res.Body).Decode(&body)
					statuses[i], errs[i] = res.StatusCode, body["error"]
				})
			}
			wg.Wait()
			ok := 0
			for i, s := range statuses {
				switch {
				case s == http.StatusOK:
					ok++
				case errs[i] != "invalid_grant":
					t.Errorf("refresh %d: %d %v", i, s, errs[i])
				}
			}
			if ok != tc.wantOK {
				t.Errorf("%d refreshes succeeded, want %d", ok, tc.wantOK)
			}
			if n := o.TokenRequests("refresh_token"); n != 20 {
				t.Errorf("TokenRequests(refresh_token) = %d, want 20", n)
			}
		})
	}

	t.Run("InvalidateGrantsIsInvalidGrantForThatSubjectOnly", func(t *testing.T) {
		o := oauthNew(t, OAuthOptions{})
		work := oauthTokens(t, o, "sub-work")
		home := oauthTokens(t, o, "sub-home")
		o.InvalidateGrants("sub-work")
		status, _, body := oauthPostToken(t, o, oauthRefreshForm(work["refresh_token"].(string)), "basic")
		oauthWantError(t, status, body, http.StatusBadRequest, "invalid_grant")
		if o.RefreshToken("sub-work") != "" {
			t.Errorf("RefreshToken(sub-work) = %q after InvalidateGrants", o.RefreshToken("sub-work"))
		}
		if status, _, body := oauthPostToken(t, o, oauthRefreshForm(home["refresh_token"].(string)), "basic"); status != http.StatusOK {
			t.Errorf("other subject's refresh: %d %v", status, body)
		}
		again := oauthTokens(t, o, "sub-work")
		if status, _, body := oauthPostToken(t, o, oauthRefreshForm(again["refresh_token"].(string)), "basic"); status != http.StatusOK {
			t.Errorf("refresh after a new consent: %d %v", status, body)
		}
	})

	t.Run("RevokingTheRefreshTokenEndsTheGrant", func(t *testing.T) {
		o := oauthNew(t, OAuthOptions{})
		tok := oauthTokens(t, o, "")
		rt := tok["refresh_token"].(string)
		oauthRevoke(t, o, rt)
		status, _, body := oauthPostToken(t, o, oauthRefreshForm(rt), "basic")
		oauthWantError(t, status, body, http.StatusBadRequest, "invalid_grant")
		if status, _ := oauthUserinfo(t, o, tok["access_token"].(string)); status != http.StatusUnauthorized {
			t.Errorf("userinfo after revoke: %d, want 401", status)
		}
		if got := o.Revoked(); !slices.Equal(got, []string{rt}) {
			t.Errorf("Revoked = %v", got)
		}
	})

	t.Run("RevokingTheAccessTokenEndsTheGrant", func(t *testing.T) {
		o := oauthNew(t, OAuthOptions{})
		tok := oauthTokens(t, o, "")
		oauthRevoke(t, o, tok["access_token"].(string))
		oauthRevoke(t, o, "fake-at-unknown") // unknown tokens are fine too
		status, _, body := oauthPostToken(t, o, oauthRefreshForm(tok["refresh_token"].(string)), "basic")
		oauthWantError(t, status, body, http.StatusBadRequest, "invalid_grant")
		if got := o.Revoked(); len(got) != 2 {
			t.Errorf("Revoked = %v", got)
		}
	})

	t.Run("ScopeBeyondTheGrantIsInvalidScope", func(t *testing.T) {
		o := oauthNew(t, OAuthOptions{})
		rt := oauthTokens(t, o, "")["refresh_token"].(string)
		form := oauthRefreshForm(rt)
		form.Set("scope", "openid admin")
		status, _, body := oauthPostToken(t, o, form, "basic")
		oauthWantError(t, status, body, http.StatusBadRequest, "invalid_scope")
		form.Set("scope", "openid")
		if status, _, body := oauthPostToken(t, o, form, "basic"); status != http.StatusOK {
			t.Errorf("narrower scope: %d %v", status, body)
		}
	})

	t.Run("UnsupportedGrantType", func(t *testing.T) {
		o := oauthNew(t, OAuthOptions{})
		status, _, body := oauthPostToken(t, o, url.Values{"grant_type": {"password"}, "username": {"u"}, "password": {"p"}}, "basic")
		oauthWantError(t, status, body, http.StatusBadRequest, "unsupported_grant_type")
	})

	t.Run("AnswersJSONWhateverTheAcceptHeader", func(t *testing.T) {
		o := oauthNew(t, OAuthOptions{})
		req, _ := http.NewRequest(http.MethodPost, o.TokenURL(), strings.NewReader("grant_type=refresh_token"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "text/html")
		status, h, body := oauthDo(t, req)
		oauthWantError(t, status, body, http.StatusUnauthorized, "invalid_client")
		if h.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q", h.Get("Cache-Control"))
		}
	})
}

func TestOAuthAccessTokenExpiry(t *testing.T) {
	clock := &oauthTestClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	o := oauthNew(t, OAuthOptions{AccessTTL: 1500 * time.Millisecond, Now: clock.Now})
	tok := oauthTokens(t, o, "")
	if tok["expires_in"] != 2.0 {
		t.Errorf("expires_in = %v, want 2 (1.5s rounded up)", tok["expires_in"])
	}
	at := tok["access_token"].(string)
	clock.Advance(1499 * time.Millisecond)
	if status, _ := oauthUserinfo(t, o, at); status != http.StatusOK {
		t.Errorf("userinfo just before expiry: %d, want 200", status)
	}
	clock.Advance(time.Millisecond)
	if status, _ := oauthUserinfo(t, o, at); status != http.StatusUnauthorized {
		t.Errorf("userinfo at expiry: %d, want 401", status)
	}
	status, _, body := oauthPostToken(t, o, oauthRefreshForm(tok["refresh_token"].(string)), "basic")
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, body)
	}
	if status, _ := oauthUserinfo(t, o, body["access_token"].(string)); status != http.StatusOK {
		t.Errorf("userinfo with the refreshed token: %d, want 200", status)
	}
	if status, _ := oauthUserinfo(t, o, ""); status != http.StatusUnauthorized {
		t.Errorf("userinfo without token: %d, want 401", status)
	}
}

func TestOAuthOnTokenAndCounters(t *testing.T) {
	gh := NewGitHub()
	defer gh.Close()
	var mu sync.Mutex
	var issued []string
	o := oauthNew(t, OAuthOptions{RotateRefresh: true, OnToken: func(token string, id OAuthIdentity) {
		mu.Lock()
		defer mu.Unlock()
		issued = append(issued, token+" "+id.Subject)
		gh.AddUser(token, id.Login, map[string]int64{"octo-work": 101, "octo-home": 202}[id.Login])
	}})

	tok := oauthTokens(t, o, "sub-home")
	req, _ := http.NewRequest(http.MethodGet, gh.URL()+"/user", nil)
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	req.Header.Set("User-Agent", "test")
	if status, _, user := oauthDo(t, req); status != 200 || user["login"] != "octo-home" {
		t.Errorf("GitHub /user with the issued token: %d %v", status, user)
	}
	status, _, refreshed := oauthPostToken(t, o, oauthRefreshForm(tok["refresh_token"].(string)), "basic")
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, refreshed)
	}
	status, _, body := oauthPostToken(t, o, oauthRefreshForm(tok["refresh_token"].(string)), "basic")
	oauthWantError(t, status, body, http.StatusBadRequest, "invalid_grant")

	mu.Lock()
	want := []string{tok["access_token"].(string) + " sub-home", refreshed["access_token"].(string) + " sub-home"}
	if !slices.Equal(issued, want) {
		t.Errorf("OnToken calls = %v, want %v", issued, want)
	}
	mu.Unlock()
	if n := o.TokenRequests("authorization_code"); n != 1 {
		t.Errorf("TokenRequests(authorization_code) = %d, want 1", n)
	}
	if n := o.TokenRequests("refresh_token"); n != 2 {
		t.Errorf("TokenRequests(refresh_token) = %d, want 2 (failures count)", n)
	}
	if last := o.LastTokenRequest(); last.Get("refresh_token") != tok["refresh_token"] {
		t.Errorf("LastTokenRequest = %v", last)
	}
}
