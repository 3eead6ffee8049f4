package tools

import (
	"cmp"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxMessageLen bounds the part of an upstream message an *Error repeats.
const maxMessageLen = 300

// statusError maps a non-2xx upstream response onto an *Error: the
// toolkit's error codes first (except that a 401 is always a rejected
// credential), then the status. Only the API's own message fields are
// repeated, shortened; never the raw body.
func statusError(kit *Toolkit, r *response) *Error {
	doc := parseJSON(r.body)
	name, status := kit.Name, r.status
	if status != http.StatusUnauthorized {
		if e := codeError(kit, r, doc, func(code string) string { return fmt.Sprintf("HTTP %d: %s", status, code) }); e != nil {
			return e
		}
	}
	msg := redact(apiMessage(kit, doc), r.secrets)
	why := fmt.Sprintf("HTTP %d", status)
	e := &Error{Code: CodeUpstreamError, Status: status}
	switch {
	case status == http.StatusUnauthorized:
		return credentialRejected(kit, r, why)
	case rateLimited(kit, status, r.header, msg):
		return rateLimitError(kit, r, why, 60)
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
		return unavailableError(kit, r, why)
	case status >= 400:
		e.Message = fmt.Sprintf("%s rejected the request (HTTP %d): %s. Fix the arguments and try again.", name, status, publicText(msg, http.StatusText(status)))
	default:
		e.Message = fmt.Sprintf("%s answered with unexpected HTTP status %d; try again later.", name, status)
	}
	return e
}

// refusedError maps a 2xx answer that the toolkit's ok_field marks as a
// failure (Slack's {"ok": false, "error": "<code>"}) onto an *Error.
func refusedError(kit *Toolkit, r *response, doc any) *Error {
	if e := codeError(kit, r, doc, func(code string) string { return code }); e != nil {
		return e
	}
	msg := redact(apiMessage(kit, doc), r.secrets)
	return &Error{Code: CodeUpstreamError, Status: r.status,
		Message: fmt.Sprintf("%s refused the request: %s.", kit.Name, publicText(msg, "no reason given"))}
}

// codeError applies the toolkit's error code rules to an error body: the
// first code that a rule names decides. why says what the upstream
// answered, for the message. It returns nil when no rule applies.
func codeError(kit *Toolkit, r *response, doc any, why func(code string) string) *Error {
	rules := kit.Errors
	if rules.CodeField == "" {
		return nil
	}
	for _, code := range lookupAll(doc, strings.Split(rules.CodeField, ".")) {
		switch {
		case slices.Contains(rules.Unauthorized, code):
			return credentialRejected(kit, r, why(code))
		case rules.RateLimited[code] > 0:
			return rateLimitError(kit, r, why(code), rules.RateLimited[code])
		case slices.Contains(rules.Unavailable, code):
			return unavailableError(kit, r, why(code))
		case rules.MissingScope != nil && slices.Contains(rules.MissingScope.Codes, code):
			return missingScopeError(kit, r, doc, why(code))
		}
	}
	return nil
}

// credentialRejected is the error of a rejected credential: the account
// must be re-authorized, so the *Error reports Unauthorized.
func credentialRejected(kit *Toolkit, r *response, why string) *Error {
	return &Error{Code: CodeUpstreamError, Status: r.status, rejected: true,
		Message: fmt.Sprintf("%s rejected the account's credential (%s): it was revoked, expired or lacks access. The account must be re-authorized (call authorize for this account) before it can be used again.", kit.Name, why)}
}

// rateLimitError waits what the headers say, or fallback seconds.
func rateLimitError(kit *Toolkit, r *response, why string, fallback int) *Error {
	wait := retryAfter(r.header, fallback)
	return &Error{Code: CodeUpstreamRateLimited, Status: r.status, RetryAfterSeconds: wait,
		Message: fmt.Sprintf("%s's rate limit for this account is exhausted (%s); wait %d seconds before calling again.", kit.Name, why, wait)}
}

func unavailableError(kit *Toolkit, r *response, why string) *Error {
	wait := retryAfter(r.header, 0)
	when := "later"
	if wait > 0 {
		when = fmt.Sprintf("in %d seconds, as it asks", wait)
	}
	return &Error{Code: CodeUpstreamUnavailable, Status: r.status, RetryAfterSeconds: wait,
		Message: fmt.Sprintf("%s is unavailable (%s); try again %s.", kit.Name, why, when)}
}

// missingScopeError names the scopes the error body says are needed (and
// those the credential has, when the toolkit says where).
func missingScopeError(kit *Toolkit, r *response, doc any, why string) *Error {
	rule := kit.Errors.MissingScope
	scopes := func(path string) string {
		var out []string
		for _, v := range lookupAll(doc, strings.Split(path, ".")) {
			out = append(out, strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ' ' })...)
		}
		return publicText(redact(strings.Join(out, ", "), r.secrets), "")
	}
	lacks := "needs one of: " + cmp.Or(scopes(rule.NeededField), "not named")
	if rule.GrantedField != "" {
		lacks += "; has: " + cmp.Or(scopes(rule.GrantedField), "no scopes")
	}
	return &Error{Code: CodeUpstreamError, Status: r.status,
		Message: fmt.Sprintf("%s refused the request (%s): the account's credential lacks a required scope (%s). Re-authorize the account with that scope, or use another account.", kit.Name, why, lacks)}
}

// rateLimited follows GitHub's rules, which most APIs share: 429, or 403
// with no requests remaining or a Retry-After; for a toolkit without
// rate_limited codes, also a 403 whose message mentions a rate limit
// (GitHub's secondary limits).
func rateLimited(kit *Toolkit, status int, h http.Header, msg string) bool {
	if status == http.StatusTooManyRequests {
		return true
	}
	return status == http.StatusForbidden &&
		(h.Get("X-RateLimit-Remaining") == "0" || h.Get("Retry-After") != "" ||
			(len(kit.Errors.RateLimited) == 0 && strings.Contains(strings.ToLower(msg), "rate limit")))
}

// retryAfter reads Retry-After (seconds or an HTTP date), then
// X-RateLimit-Reset or Linear's X-RateLimit-Requests-Reset (an epoch time in
// seconds, or in milliseconds when it is that large), as seconds from now,
// at least 1. It returns fallback when none is usable.
func retryAfter(h http.Header, fallback int) int {
	secs := -1
	if d, ok := retryAfterHeader(h); ok {
		secs = int(d / time.Second)
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

// retryAfterHeader reads Retry-After: seconds (at most a billion), or an
// HTTP date, as the wait from now (0 when past). It reports false when the
// header is absent or unreadable.
func retryAfterHeader(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, 1e9)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
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

// apiMessage extracts the toolkit's message field from a decoded error
// body, plus GitHub-style details (errors[].message, or errors[].field and
// code) and the toolkit's detail fields.
func apiMessage(kit *Toolkit, doc any) string {
	if doc == nil {
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
	var more []string
	for _, f := range kit.Errors.DetailFields {
		more = append(more, lookupAll(doc, strings.Split(f, "."))...)
	}
	if len(more) > 0 {
		msg = strings.TrimSpace(msg + " (" + strings.Join(more, "; ") + ")")
	}
	return msg
}

// lookupAll collects the scalars at a dotted path; through arrays it
// collects every element's, and an array of scalars at the end gives each.
func lookupAll(v any, path []string) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		var out []string
		for _, item := range v {
			out = append(out, lookupAll(item, path)...)
		}
		return out
	case map[string]any:
		if len(path) == 0 {
			return nil
		}
		return lookupAll(v[path[0]], path[1:])
	default:
		if s := scalarText(v); len(path) == 0 && s != "" {
			return []string{s}
		}
		return nil
	}
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
