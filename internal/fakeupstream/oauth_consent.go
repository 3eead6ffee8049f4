package fakeupstream

import (
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
)

var oauthHiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// Consent plays the person at the consent page, as a browser would without
// the clicking: it opens authorizeURL (the provider URL a connect page
// redirected to), picks the identity with subject, approves or denies, and
// returns where the provider sends the person back (redirect_uri with code
// and state, or error). Tests that need a real browser drive the page
// itself; this is for the many that only need the outcome.
func (o *OAuth) Consent(authorizeURL, subject string, approve bool) (*url.URL, error) {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authorizeURL)
	if err != nil {
		return nil, err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("consent page answered %d", resp.StatusCode)
	}
	form := url.Values{"subject": {subject}, "decision": {"deny"}}
	if approve {
		form.Set("decision", "approve")
	}
	for _, m := range oauthHiddenField.FindAllStringSubmatch(string(page), -1) {
		form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	resp, err = client.PostForm(o.URL()+"/authorize/decide", form)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || loc == "" {
		return nil, errors.New("the provider did not redirect back")
	}
	return url.Parse(loc)
}
