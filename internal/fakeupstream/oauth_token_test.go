package fakeupstream

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

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
