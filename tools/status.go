package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxMessageLen bounds the part of an upstream message an *Error repeats.
const maxMessageLen = 300

// statusError maps a non-2xx upstream response onto an *Error. Only the
// API's own message fields are repeated, shortened; never the raw body.
func statusError(kit *Toolkit, r *response) *Error {
	name, status := kit.Name, r.status
	msg := redact(apiMessage(kit, r.body), r.secrets)
	e := &Error{Code: CodeUpstreamError, Status: status}
	switch {
	case status == http.StatusUnauthorized:
		e.Message = fmt.Sprintf("%s rejected the account's credential (HTTP 401): it was revoked, expired or lacks access. The account must be re-authorized (call authorize for this account) before it can be used again.", name)
	case rateLimited(status, r.header, msg):
		e.Code = CodeUpstreamRateLimited
		e.RetryAfterSeconds = retryAfter(r.header, 60)
		e.Message = fmt.Sprintf("%s's rate limit for this account is exhausted (HTTP %d); wait %d seconds before calling again.", name, status, e.RetryAfterSeconds)
	case status == http.StatusForbidden:
		if missing, granted := missingScopes(r.header); missing != "" {
			e.Message = fmt.Sprintf("%s refused the request (HTTP 403): the account's credential lacks a required scope (needs one of: %s; has: %s). Re-authorize the account with that scope, or use another account.", name, missing, granted)
		} else if needed, ok := insufficientScope(r.header); ok {
			e.Message = fmt.Sprintf("%s refused the request (HTTP 403): %s. The account's credential lacks a required scope (needs one of: %s). Re-authorize the account with that scope, or use another account.", name, publicText(msg, "insufficient scope"), publicText(needed, "not named"))
		} else {
			e.Message = fmt.Sprintf("%s refused the request (HTTP 403): %s. The account may lack permission for this resource or action; use another account or ask for access.", name, publicText(msg, "forbidden"))
		}
	case status == http.StatusNotFound:
		e.Message = fmt.Sprintf("%s returned 404: not found (or the account has no access). Check the names and numbers in the arguments, and that this account can see the resource.", name)
	case status >= 500:
		e.Code = CodeUpstreamUnavailable
		e.RetryAfterSeconds = retryAfter(r.header, 0)
		e.Message = fmt.Sprintf("%s is unavailable (HTTP %d); try again later.", name, status)
	case status >= 400:
		e.Message = fmt.Sprintf("%s rejected the request (HTTP %d): %s. Fix the arguments and try again.", name, status, publicText(msg, http.StatusText(status)))
	default:
		e.Message = fmt.Sprintf("%s answered with unexpected HTTP status %d; try again later.", name, status)
	}
	return e
}

// rateLimited follows GitHub's rules, which most APIs share: 429, or 403
// with no requests remaining, a Retry-After, or a secondary-limit message.
func rateLimited(status int, h http.Header, msg string) bool {
	if status == http.StatusTooManyRequests {
		return true
	}
	return status == http.StatusForbidden &&
		(h.Get("X-RateLimit-Remaining") == "0" || h.Get("Retry-After") != "" ||
			strings.Contains(strings.ToLower(msg), "rate limit"))
}

// retryAfter reads Retry-After (seconds or an HTTP date), then
// X-RateLimit-Reset or Linear's X-RateLimit-Requests-Reset (an epoch time in
// seconds, or in milliseconds when it is that large), as seconds from now,
// at least 1. It returns fallback when none is usable.
func retryAfter(h http.Header, fallback int) int {
	secs := -1
	if v := h.Get("Retry-After"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			secs = n
		} else if t, err := http.ParseTime(v); err == nil {
			secs = max(int(time.Until(t).Seconds()), 0)
		}
	}
	for _, name := range []string{"X-RateLimit-Reset", "X-RateLimit-Requests-Reset"} {
		v := h.Get(name)
		if secs >= 0 || v == "" {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			if n > 1e11 { // milliseconds: 1e11 seconds is thousands of years away
				n = (n + 999) / 1000
			}
			secs = max(int(n-time.Now().Unix()), 0)
		}
	}
	if secs < 0 {
		return fallback
	}
	return max(secs, 1)
}

// missingScopes compares GitHub's X-Accepted-OAuth-Scopes (any one suffices)
// with X-OAuth-Scopes (what the token has). It returns "" when the headers
// are absent or a sufficient scope is present.
func missingScopes(h http.Header) (missing, granted string) {
	accepted := splitScopes(h.Get("X-Accepted-OAuth-Scopes"))
	if len(accepted) == 0 || len(h.Values("X-OAuth-Scopes")) == 0 {
		return "", ""
	}
	has := splitScopes(h.Get("X-OAuth-Scopes"))
	for _, a := range accepted {
		for _, g := range has {
			if a == g {
				return "", ""
			}
		}
	}
	granted = strings.Join(has, ", ")
	if granted == "" {
		granted = "no scopes"
	}
	return strings.Join(accepted, ", "), granted
}

var bearerParam = regexp.MustCompile(`(\w+)="([^"]*)"`)

// insufficientScope reads RFC 6750's challenge WWW-Authenticate: Bearer
// error="insufficient_scope", scope="…" (Google sends it) and returns the
// scopes that would do, comma-separated.
func insufficientScope(h http.Header) (string, bool) {
	for _, v := range h.Values("WWW-Authenticate") {
		params := map[string]string{}
		for _, m := range bearerParam.FindAllStringSubmatch(v, -1) {
			params[strings.ToLower(m[1])] = m[2]
		}
		if params["error"] == "insufficient_scope" {
			return strings.Join(strings.Fields(params["scope"]), ", "), true
		}
	}
	return "", false
}

func splitScopes(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// apiMessage extracts the toolkit's message field from an error body, plus
// GitHub-style details: errors[].message, or errors[].field and code.
func apiMessage(kit *Toolkit, body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return ""
	}
	msg := scalarText(lookup(doc, kit.Errors.MessageField))
	list, _ := lookup(doc, "errors").([]any)
	var details []string
	for _, item := range list {
		switch item := item.(type) {
		case string:
			details = append(details, item)
		case map[string]any:
			if m := scalarText(item["message"]); m != "" {
				details = append(details, m)
			} else if f, c := scalarText(item["field"]), scalarText(item["code"]); f != "" || c != "" {
				details = append(details, strings.TrimSpace(f+" "+c))
			}
		}
	}
	if len(details) > 0 {
		msg = strings.TrimSpace(msg + ": " + strings.Join(details, "; "))
	}
	return msg
}

// publicText makes an upstream message fit for an agent-facing message: one
// line, bounded, without a trailing period; fallback when it is empty.
func publicText(s, fallback string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > maxMessageLen {
		s = string([]rune(s)[:maxMessageLen]) + "…"
	}
	s = strings.TrimRight(s, ". ")
	if s == "" {
		return fallback
	}
	return s
}
