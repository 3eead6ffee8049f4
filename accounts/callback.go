package accounts

import (
	"net"
	"net/url"
	"strings"
)

// checkCallback refuses a callback_url that is not an absolute http(s)
// URL on an allowed host: the public URL's own host, or one the operator
// listed (Config.CallbackHosts). A connect link must never become an open
// redirect that sends a person from a trusted page to any site.
func (s *Service) checkCallback(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" || len(raw) > 2048 {
		return Errorf(CodeInvalidArguments, "callback_url must be an absolute http or https URL without credentials or fragment, at most 2048 characters.")
	}
	if !s.callbackHostAllowed(u.Host) {
		return Errorf(CodeInvalidArguments, "callback_url's host %s is not allowed; the operator lists allowed hosts with --callback-hosts (SWITCHBOARD_CALLBACK_HOSTS).", u.Host)
	}
	return nil
}

// callbackHostAllowed reports whether host (host or host:port) is the
// public URL's host or listed in the config; a listed name without a port
// allows every port of that name.
func (s *Service) callbackHostAllowed(host string) bool {
	if pub, err := url.Parse(s.baseURL); err == nil && strings.EqualFold(pub.Host, host) {
		return true
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	for _, allowed := range s.callbackHosts {
		if _, _, err := net.SplitHostPort(allowed); err == nil {
			if strings.EqualFold(allowed, host) {
				return true
			}
		} else if strings.EqualFold(strings.Trim(allowed, "[]"), strings.Trim(name, "[]")) {
			return true
		}
	}
	return false
}

// callbackTarget is where the person's browser goes once the link ends:
// the link's callback URL with status ("success" or "failed") and the
// connected account's id added to its query; "" when the link has none.
func callbackTarget(l *Link, status, accountID string) string {
	if l == nil || l.CallbackURL == "" {
		return ""
	}
	u, err := url.Parse(l.CallbackURL)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("status", status)
	q.Set("connected_account_id", accountID)
	u.RawQuery = q.Encode()
	return u.String()
}
