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
