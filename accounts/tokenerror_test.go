package accounts_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/accounts"
	"switchboard/internal/fakeupstream"
)

// TestTokenEndpointBodyNeverTravels pins that what a token endpoint says
// in its body (which may echo a code, a token or the client's secret) is
// not kept in any error: only its error code is, for the code exchange and
// for a refresh alike.
func TestTokenEndpointBodyNeverTravels(t *testing.T) {
	const echo = "ECHOED-client_secret=s3cr3t"
	gh := fakeupstream.NewGitHub()
	defer gh.Close()
	gh.AddUser("gho_access_1", "octo", 1)
	failExchange := true
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("grant_type") == "authorization_code" && !failExchange {
			fmt.Fprint(w, `{"access_token":"gho_access_1","token_type":"bearer","expires_in":1,"refresh_token":"ghr_refresh_1"}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": echo})
	}))
	defer tokens.Close()
	svc := testService(t, nil, map[string]string{"github": gh.URL()}, accounts.AuthConfig{ID: "ac_gh", Toolkit: "github", Scheme: "oauth2",
		ClientID: "cid", ClientSecret: "s3cr3t", AuthorizeURL: "https://provider.example/authorize", TokenURL: tokens.URL})
	sc := aliceScope(t, svc)
	callback := func() error {
		ctx := context.Background()
		auth, err := svc.Authorize(ctx, sc, accounts.AuthorizeRequest{Toolkit: "github"})
		if err != nil {
			t.Fatal(err)
		}
		_, token, _ := strings.Cut(auth.URL, "/connect/")
		target, err := svc.BeginOAuth(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(target)
		_, err = svc.CompleteOAuth(ctx, u.Query().Get("state"), "the-code", "", "")
		return err
	}
	leaks := func(err error) bool {
		for e := err; e != nil; e = errors.Unwrap(e) {
			if strings.Contains(e.Error(), echo) || strings.Contains(fmt.Sprintf("%+v", e), echo) {
				return true
			}
		}
		return false
	}

	err := callback()
	var le *accounts.LinkError
	if !errors.As(err, &le) || le.Err == nil || !strings.Contains(le.Err.Error(), "invalid_request") {
		t.Fatalf("failed exchange: %v; want the OAuth error code in the cause", err)
	}
	if leaks(err) {
		t.Errorf("the exchange error carries the token endpoint's body: %v", err)
	}

	failExchange = false
	if err := callback(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // the token expires; the refresh fails with the same body
	_, err = svc.Call(context.Background(), sc, svc.Catalog().Tool("GITHUB_GET_AUTHENTICATED_USER"), map[string]any{})
	if e := accounts.ErrorOf(err); e == nil || e.Code != accounts.CodeUpstreamUnavailable {
		t.Fatalf("failed refresh: %v", err)
	}
	if leaks(err) {
		t.Errorf("the refresh error carries the token endpoint's body: %v", err)
	}
}
