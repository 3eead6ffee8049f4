package tools_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/tools"
)

func TestUpstreamErrors(t *testing.T) {
	repo := map[string]any{"owner": "octo-work", "repo": "hello-world"}
	issue := map[string]any{"owner": "octo-work", "repo": "hello-world", "title": "t"}
	tests := []struct {
		name         string
		tool         string
		args         map[string]any
		fail         []failure
		code         string
		status       int
		unauthorized bool
		retryAfter   [2]int // inclusive range
		requests     int
		message      []string // substrings of PublicMessage
		notInMessage []string
	}{{
		name: "BadCredentials401", tool: "GITHUB_GET_AUTHENTICATED_USER",
		fail: []failure{{"/user", 401, nil, `{"message":"Bad credentials"}`, 1}},
		code: tools.CodeUpstreamError, status: 401, unauthorized: true, requests: 1,
		message: []string{"rejected the account's credential", "must be re-authorized"},
	}, {
		name: "NotFound404", tool: "GITHUB_GET_REPOSITORY", args: map[string]any{"owner": "octo-home", "repo": "notes"},
		code: tools.CodeUpstreamError, status: 404, requests: 1,
		message: []string{"not found (or the account has no access)"},
	}, {
		name: "ValidationFailed422", tool: "GITHUB_CREATE_ISSUE", args: map[string]any{"owner": "octo-work", "repo": "hello-world", "title": "t", "milestone": 9},
		code: tools.CodeUpstreamError, status: 422, requests: 1,
		message: []string{"(HTTP 422): Validation Failed: milestone invalid"}, notInMessage: []string{`"resource"`, "{"},
	}, {
		name: "ErrorsMessagesCarried422", tool: "GITHUB_CREATE_ISSUE", args: issue,
		fail: []failure{{"/repos/octo-work/hello-world/issues", 422, nil,
			`{"message":"Validation Failed","errors":[{"resource":"Issue","code":"custom","field":"title","message":"title is too long (maximum is 256 characters)"}],"documentation_url":"https://docs.github.com/rest"}`, 1}},
		code: tools.CodeUpstreamError, status: 422, requests: 1,
		message: []string{"Validation Failed: title is too long (maximum is 256 characters)"}, notInMessage: []string{"documentation_url", "custom"},
	}, {
		name: "Conflict409", tool: "GITHUB_CREATE_ISSUE", args: issue,
		fail: []failure{{"/repos/octo-work/hello-world/issues", 409, nil, `{"message":"Git Repository is empty."}`, 1}},
		code: tools.CodeUpstreamError, status: 409, requests: 1,
		message: []string{"(HTTP 409): Git Repository is empty"},
	}, {
		name: "TooManyRequests429", tool: "GITHUB_GET_AUTHENTICATED_USER",
		fail: []failure{{"/user", 429, http.Header{"Retry-After": {"17"}}, `{"message":"slow down"}`, 1}},
		code: tools.CodeUpstreamRateLimited, status: 429, retryAfter: [2]int{17, 17}, requests: 1,
		message: []string{"rate limit", "wait 17 seconds"},
	}, {
		name: "PrimaryRateLimit403", tool: "GITHUB_LIST_ISSUES", args: repo,
		fail: []failure{{"/repos/octo-work/hello-world/issues", 403,
			http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {fmt.Sprint(time.Now().Unix() + 120)}},
			`{"message":"API rate limit exceeded for user ID 101."}`, 1}},
		code: tools.CodeUpstreamRateLimited, status: 403, retryAfter: [2]int{118, 120}, requests: 1,
	}, {
		name: "ResetInThePastWaitsOneSecond", tool: "GITHUB_GET_AUTHENTICATED_USER",
		fail: []failure{{"/user", 403, http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1000"}}, `{}`, 1}},
		code: tools.CodeUpstreamRateLimited, status: 403, retryAfter: [2]int{1, 1}, requests: 1,
	}, {
		name: "SecondaryRateLimit403", tool: "GITHUB_CREATE_ISSUE", args: issue,
		fail: []failure{{"/repos/octo-work/hello-world/issues", 403, nil,
			`{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`, 1}},
		code: tools.CodeUpstreamRateLimited, status: 403, retryAfter: [2]int{60, 60}, requests: 1,
	}, {
		name: "MissingScope403", tool: "GITHUB_CREATE_ISSUE", args: issue,
		fail: []failure{{"/repos/octo-work/hello-world/issues", 403,
			http.Header{"X-Accepted-Oauth-Scopes": {"repo"}, "X-Oauth-Scopes": {"read:user, gist"}}, `{"message":"Resource not accessible by integration"}`, 1}},
		code: tools.CodeUpstreamError, status: 403, requests: 1,
		message: []string{"lacks a required scope (needs one of: repo; has: read:user, gist)", "Re-authorize the account"},
	}, {
		name: "Forbidden403", tool: "GITHUB_CREATE_ISSUE", args: issue,
		fail: []failure{{"/repos/octo-work/hello-world/issues", 403, nil, `{"message":"Resource not accessible by personal access token"}`, 1}},
		code: tools.CodeUpstreamError, status: 403, requests: 1,
		message: []string{"(HTTP 403): Resource not accessible by personal access token"},
	}, {
		name: "ReadRetriedThenUnavailable503", tool: "GITHUB_LIST_REPOSITORIES",
		fail: []failure{{"/user/repos", 503, nil, "<html>oops</html>", 5}},
		code: tools.CodeUpstreamUnavailable, status: 503, requests: 3,
		message: []string{"unavailable (HTTP 503)", "try again later"}, notInMessage: []string{"html"},
	}, {
		name: "WriteNotRetried502", tool: "GITHUB_CREATE_ISSUE", args: issue,
		fail: []failure{{"/repos/octo-work/hello-world/issues", 502, nil, "", 5}},
		code: tools.CodeUpstreamUnavailable, status: 502, requests: 1,
	}, {
		name: "ServerError500NotRetried", tool: "GITHUB_GET_ISSUE", args: map[string]any{"owner": "octo-work", "repo": "hello-world", "issue_number": 1},
		fail: []failure{{"/repos/octo-work/hello-world/issues/1", 500, nil, "", 5}},
		code: tools.CodeUpstreamUnavailable, status: 500, requests: 1,
	}, {
		name: "DroppedConnections", tool: "GITHUB_GET_AUTHENTICATED_USER",
		fail: []failure{{"/user", 0, nil, "", 10}},
		code: tools.CodeUpstreamUnavailable, message: []string{"could not be reached"},
	}, {
		name: "NotJSON200", tool: "GITHUB_GET_AUTHENTICATED_USER",
		fail: []failure{{"/user", 200, nil, "<html>login</html>", 1}},
		code: tools.CodeUpstreamError, requests: 1, message: []string{"not JSON"}, notInMessage: []string{"html"},
	}, {
		name: "EchoedCredentialRedacted", tool: "GITHUB_CREATE_ISSUE", args: issue,
		fail: []failure{{"/repos/octo-work/hello-world/issues", 422, nil, `{"message":"token ` + workToken + ` is odd"}`, 1}},
		code: tools.CodeUpstreamError, status: 422, requests: 1, message: []string{"token [redacted] is odd"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tools.ExecutorOptions{})
			injectFailures(h.gh, tt.fail)
			_, err := h.call(t, tt.tool, tt.args)
			e := asToolError(t, err)
			if e.ErrorCode() != tt.code || e.Status != tt.status || e.Unauthorized() != tt.unauthorized || tools.IsUnauthorized(err) != tt.unauthorized {
				t.Errorf("code %s status %d unauthorized %v; want %s %d %v", e.Code, e.Status, e.Unauthorized(), tt.code, tt.status, tt.unauthorized)
			}
			if ra := e.RetryAfter(); ra < tt.retryAfter[0] || ra > tt.retryAfter[1] {
				t.Errorf("RetryAfter = %d, want %d..%d", ra, tt.retryAfter[0], tt.retryAfter[1])
			}
			if tt.requests > 0 {
				assertRequestCount(t, h.gh, tt.requests)
			}
			assertContains(t, "message", e.PublicMessage(), tt.message...)
			for _, m := range tt.notInMessage {
				if strings.Contains(e.PublicMessage(), m) {
					t.Errorf("message %q\nholds %q", e.PublicMessage(), m)
				}
			}
		})
	}
}

func TestRetriesRecover(t *testing.T) {
	tests := []struct {
		name   string
		status int
	}{{"After503", 503}, {"After504", 504}, {"AfterDroppedConnection", 0}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tools.ExecutorOptions{})
			h.gh.Fail("/user", tt.status, nil, "", 2)
			res, err := h.call(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
			if err != nil || res.Structured["login"] != "octo-work" {
				t.Errorf("Call = %v, %v; want success after retries", res, err)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	h := newHarness(t, tools.ExecutorOptions{Timeout: 50 * time.Millisecond})
	h.gh.Stall("/user", 2*time.Second, 5)
	start := time.Now()
	_, err := h.call(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
	if e := wantCode(t, err, tools.CodeUpstreamUnavailable); !strings.Contains(e.Message, "did not answer within 50ms") {
		t.Fatalf("err = %v, want UPSTREAM_UNAVAILABLE naming the timeout", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v does not wrap context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %s; a timeout is not retried", d)
	}
	assertRequestCount(t, h.gh, 1)
}

func TestCanceledContext(t *testing.T) {
	h := newHarness(t, tools.ExecutorOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := h.exec.Call(ctx, h.cat.Tool("GITHUB_GET_AUTHENTICATED_USER"), nil, h.auth)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want it to wrap context.Canceled", err)
	}
}

func TestResponseSizeLimit(t *testing.T) {
	h := newHarness(t, tools.ExecutorOptions{MaxResponseBytes: 64})
	_, err := h.call(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
	if e := wantCode(t, err, tools.CodeUpstreamError); !strings.Contains(e.Message, "larger than") {
		t.Errorf("err = %v, want UPSTREAM_ERROR about size", err)
	}
}

func TestAuthorizerErrors(t *testing.T) {
	h := newHarness(t, tools.ExecutorOptions{})
	tool := h.cat.Tool("GITHUB_GET_AUTHENTICATED_USER")
	t.Run("CodedErrorPassesThrough", func(t *testing.T) {
		coded := &tools.Error{Code: "ACCOUNT_INACTIVE", Message: "re-authorize"}
		_, err := h.exec.Call(context.Background(), tool, nil, tools.AuthorizerFunc(func(context.Context, *http.Request) error { return coded }))
		if err != coded {
			t.Errorf("err = %v, want the authorizer's own error", err)
		}
	})
	t.Run("PlainErrorIsInternal", func(t *testing.T) {
		_, err := h.exec.Call(context.Background(), tool, nil, tools.AuthorizerFunc(func(context.Context, *http.Request) error { return errors.New("disk") }))
		wantCode(t, err, tools.CodeInternal)
	})
	assertRequestCount(t, h.gh, 0)
}

// TestRetryAfterOn503 pins how a read retried on 503 treats Retry-After:
// it waits what the upstream asks, when that fits the call's deadline and
// maxRetryWait (5s), and otherwise does not retry but answers
// UPSTREAM_UNAVAILABLE with the wait.
func TestRetryAfterOn503(t *testing.T) {
	// The harness waits a millisecond between retries, so a retry after a
	// second is Retry-After's doing.
	t.Run("Honoured", func(t *testing.T) {
		h := newHarness(t, tools.ExecutorOptions{})
		h.gh.Fail("/user", 503, http.Header{"Retry-After": {"1"}}, "", 1)
		start := time.Now()
		res, err := h.call(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
		if err != nil || res.Structured["login"] != "octo-work" {
			t.Fatalf("Call = %v, %v; want success after the wait", res, err)
		}
		if d := time.Since(start); d < time.Second {
			t.Errorf("retried after %s, before the second Retry-After asked for", d)
		}
		assertRequestCount(t, h.gh, 2)
	})
	tests := []struct {
		name       string
		retryAfter string
		deadline   time.Duration // 0 for none
		wait       [2]int        // retry_after_seconds, inclusive range
	}{
		{"PastTheDeadline", "1", 300 * time.Millisecond, [2]int{1, 1}},
		{"LongerThanTheCap", "120", 0, [2]int{120, 120}},
		{"DateLongerThanTheCap", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat), 0, [2]int{3598, 3600}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"NotRetried", func(t *testing.T) {
			h := newHarness(t, tools.ExecutorOptions{})
			h.gh.Fail("/user", 503, http.Header{"Retry-After": {tt.retryAfter}}, "", 5)
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			start := time.Now()
			_, err := h.exec.Call(ctx, h.cat.Tool("GITHUB_GET_AUTHENTICATED_USER"), nil, h.auth)
			e := wantCode(t, err, tools.CodeUpstreamUnavailable)
			if e.Status != 503 || e.RetryAfterSeconds < tt.wait[0] || e.RetryAfterSeconds > tt.wait[1] {
				t.Errorf("status %d, retry_after_seconds %d; want 503 and %d..%d", e.Status, e.RetryAfterSeconds, tt.wait[0], tt.wait[1])
			}
			assertContains(t, "message", e.Message, "try again in", "seconds")
			if d := time.Since(start); d > 200*time.Millisecond {
				t.Errorf("took %s; a wait that does not fit is not waited for", d)
			}
			assertRequestCount(t, h.gh, 1)
		})
	}
}
