package tools_test

import (
	"fmt"
	"net/http"
	"testing"

	"switchboard/internal/fakeupstream"
	"switchboard/tools"
)

func TestGmailUpstreamErrors(t *testing.T) {
	googleErr := func(code int, status, msg, reason string) string {
		return fmt.Sprintf(`{"error":{"code":%d,"message":%q,"status":%q,"errors":[{"message":%q,"domain":"usageLimits","reason":%q}]}}`, code, msg, status, msg, reason)
	}
	tests := []struct {
		name         string
		token        string
		scopes       []string
		tool         string
		args         func(h *gmailHarness) map[string]any
		fail         func(h *gmailHarness)
		code         string
		status       int
		unauthorized bool
		retryAfter   int
		requests     int
		message      string
	}{{
		name: "RevokedToken401", token: "ya29.revoked", tool: "GMAIL_GET_PROFILE",
		code: tools.CodeUpstreamError, status: 401, unauthorized: true, requests: 1, message: "must be re-authorized",
	}, {
		name: "MissingScope403", token: "ya29.readonly", scopes: []string{fakeupstream.GmailScopeReadonly}, tool: "GMAIL_SEND_EMAIL",
		args: func(*gmailHarness) map[string]any {
			return map[string]any{"to": []any{"a@example.com"}, "subject": "s", "body_text": "b"}
		},
		code: tools.CodeUpstreamError, status: 403, requests: 1,
		message: "lacks a required scope (needs one of: https://mail.google.com/, https://www.googleapis.com/auth/gmail.modify)",
	}, {
		name: "NotFound404", tool: "GMAIL_GET_MESSAGE", args: func(*gmailHarness) map[string]any { return map[string]any{"message_id": "nope"} },
		code: tools.CodeUpstreamError, status: 404, requests: 1, message: "returned 404",
	}, {
		name: "InvalidLabel400", tool: "GMAIL_MODIFY_MESSAGE_LABELS",
		args: func(h *gmailHarness) map[string]any {
			return map[string]any{"message_id": h.report, "add_label_ids": []any{"NOPE"}}
		},
		code: tools.CodeUpstreamError, status: 400, requests: 1, message: "(HTTP 400): Invalid label: NOPE",
	}, {
		name: "TooManyRequests429", tool: "GMAIL_LIST_THREADS",
		fail: func(h *gmailHarness) {
			h.fake.Fail("/gmail/v1/users/me/threads", 429, http.Header{"Retry-After": {"7"}},
				googleErr(429, "RESOURCE_EXHAUSTED", "Too many concurrent requests for user.", "rateLimitExceeded"), 1)
		},
		code: tools.CodeUpstreamRateLimited, status: 429, retryAfter: 7, requests: 1, message: "wait 7 seconds",
	}, {
		name: "UserRateLimit403", tool: "GMAIL_GET_PROFILE",
		fail: func(h *gmailHarness) {
			h.fake.Fail("/gmail/v1/users/me/profile", 403, nil, googleErr(403, "PERMISSION_DENIED", "User-rate limit exceeded.", "userRateLimitExceeded"), 1)
		},
		code: tools.CodeUpstreamRateLimited, status: 403, retryAfter: 60, requests: 1, message: "(HTTP 403: userRateLimitExceeded); wait 60 seconds",
	}, {
		name: "DailyLimit403WaitsAnHour", tool: "GMAIL_LIST_LABELS",
		fail: func(h *gmailHarness) {
			h.fake.Fail("/gmail/v1/users/me/labels", 403, nil, googleErr(403, "PERMISSION_DENIED", "Daily Limit Exceeded. The quota will be reset at midnight Pacific Time (PT).", "dailyLimitExceeded"), 1)
		},
		code: tools.CodeUpstreamRateLimited, status: 403, retryAfter: 3600, requests: 1, message: "(HTTP 403: dailyLimitExceeded); wait 3600 seconds",
	}, {
		name: "Unavailable503RetriedRead", tool: "GMAIL_GET_PROFILE",
		fail: func(h *gmailHarness) {
			h.fake.Fail("/gmail/v1/users/me/profile", 503, nil, googleErr(503, "UNAVAILABLE", "The service is currently unavailable.", "backendError"), 5)
		},
		code: tools.CodeUpstreamUnavailable, status: 503, requests: 3, message: "unavailable (HTTP 503)",
	}, {
		name: "ServerError500SendNotRetried", tool: "GMAIL_SEND_EMAIL",
		args: func(*gmailHarness) map[string]any {
			return map[string]any{"to": []any{"a@example.com"}, "subject": "s", "body_text": "b"}
		},
		fail: func(h *gmailHarness) {
			h.fake.Fail("/gmail/v1/users/me/messages/send", 500, nil, googleErr(500, "INTERNAL", "Internal error encountered.", "backendError"), 5)
		},
		code: tools.CodeUpstreamUnavailable, status: 500, requests: 1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newGmailHarness(t)
			if tt.token != "" {
				if tt.scopes != nil {
					h.fake.AddUser(tt.token, gmailUser, tt.scopes...)
				}
				h.auth = h.cat.Toolkit("gmail").Scheme(tools.SchemeOAuth2).Authorizer(tt.token)
			}
			if tt.fail != nil {
				tt.fail(h)
			}
			var args map[string]any
			if tt.args != nil {
				args = tt.args(h)
			}
			h.fake.Reset()
			if tt.fail != nil {
				tt.fail(h)
			}
			_, err := h.call(t, tt.tool, args)
			e := asToolError(t, err)
			if e.Code != tt.code || e.Status != tt.status || e.Unauthorized() != tt.unauthorized || e.RetryAfterSeconds != tt.retryAfter {
				t.Errorf("err = %+v; want code %s status %d unauthorized %v retry %d", e, tt.code, tt.status, tt.unauthorized, tt.retryAfter)
			}
			assertContains(t, "message", e.Message, tt.message)
			assertRequestCount(t, h.fake, tt.requests)
		})
	}
}
