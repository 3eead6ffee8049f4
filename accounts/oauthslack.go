package accounts

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Slack's oauth.v2.access is not RFC 6749: it answers HTTP 200 with
// {"ok": false, "error": "invalid_code"} on failure, and puts the bot token
// at the top level and the user token (from user_scope) under authed_user.
// slackToken speaks it for both grants. The bot token is the account's main
// token when the install has one, and the user token rides along for the
// tools that accept user tokens only (search); an install with only user
// scopes has the user token as its main token.
// Slack's refusals of a code or refresh token are reported as invalid_grant,
// so they take the same path as every other provider's.

// userTokenExtra is where slackToken hands the user token to credentialOf.
const userTokenExtra = "switchboard_user_token"

// slackTokenResponse is the part of oauth.v2.access's answer we use.
type slackTokenResponse struct {
	OK           bool   `json:"ok"`
	Error        string `json:"error"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
	AuthedUser   struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int64  `json:"expires_in"`
	} `json:"authed_user"`
}

// slackGrantErrors are Slack's error codes that mean the code or refresh
// token is no good, which the rest of the flow knows as invalid_grant.
var slackGrantErrors = map[string]bool{
	"invalid_code": true, "code_already_used": true, "invalid_refresh_token": true,
	"token_revoked": true, "token_expired": true,
}

// slackToken posts form to Slack's token endpoint with the client's
// credentials and turns the answer into a token.
func slackToken(ctx context.Context, cfg *oauth2.Config, form url.Values, now time.Time) (*oauth2.Token, error) {
	form.Set("client_id", cfg.ClientID)
	form.Set("client_secret", cfg.ClientSecret)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.Endpoint.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	var r slackTokenResponse
	if resp.StatusCode/100 != 2 || json.Unmarshal(body, &r) != nil {
		return nil, &oauth2.RetrieveError{Response: resp, ErrorCode: fmt.Sprintf("http_%d", resp.StatusCode)}
	}
	if !r.OK {
		code := r.Error
		if slackGrantErrors[code] {
			code = "invalid_grant"
		}
		return nil, &oauth2.RetrieveError{Response: resp, ErrorCode: code}
	}
	access, refresh, expires := r.AccessToken, r.RefreshToken, r.ExpiresIn
	if access == "" {
		access, refresh, expires = r.AuthedUser.AccessToken, r.AuthedUser.RefreshToken, r.AuthedUser.ExpiresIn
	}
	if access == "" {
		return nil, &oauth2.RetrieveError{Response: resp, ErrorCode: "no_token"}
	}
	tok := &oauth2.Token{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer"}
	if expires > 0 {
		tok.Expiry = now.Add(time.Duration(expires) * time.Second)
	}
	if r.AccessToken != "" && r.AuthedUser.AccessToken != "" {
		tok = tok.WithExtra(map[string]any{userTokenExtra: r.AuthedUser.AccessToken})
	}
	return tok, nil
}
