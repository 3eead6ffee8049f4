package tools

import (
	"errors"
	"fmt"
	"net/http"
)

// The codes an *Error carries; they are the tools-level part of DESIGN.md's
// vocabulary (accounts.Code has the same strings).
const (
	CodeToolkitUnknown      = "TOOLKIT_UNKNOWN"
	CodeInvalidArguments    = "INVALID_ARGUMENTS"
	CodeUpstreamError       = "UPSTREAM_ERROR"
	CodeUpstreamRateLimited = "UPSTREAM_RATE_LIMITED"
	CodeUpstreamUnavailable = "UPSTREAM_UNAVAILABLE"
	CodeInternal            = "INTERNAL"
)

// Error is a failure of a tool call. Message is written for the agent (what
// happened, what to do next) and never holds a credential or an upstream body
// verbatim; Err, the cause, is for logs only.
//
// Error implements the method set of accounts.Coded, so accounts.ErrorOf
// translates it without tools importing accounts.
type Error struct {
	// Code is one of the Code* constants.
	Code string
	// Message is the public, agent-facing explanation.
	Message string
	// Status is the upstream HTTP status, or 0 when no response arrived.
	Status int
	// RetryAfterSeconds is the wait before retrying: always set (at least
	// 1) for UPSTREAM_RATE_LIMITED, and for UPSTREAM_UNAVAILABLE when the
	// upstream sent Retry-After.
	RetryAfterSeconds int
	// Problems lists each invalid argument for INVALID_ARGUMENTS.
	Problems []Problem
	// Err is the underlying cause, if any.
	Err error

	// rejected marks a rejected credential that the API reported with an
	// error code rather than HTTP 401 (Slack's invalid_auth).
	rejected bool
}

// Problem is one reason why arguments failed validation.
type Problem struct {
	// Path is the JSON pointer of the offending value, e.g. "/labels/0", or
	// "" for the arguments object itself.
	Path string `json:"path"`
	// Reason says what is wrong with it.
	Reason string `json:"reason"`
}

// Error returns the code, the public message and the cause.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the machine-readable code.
func (e *Error) ErrorCode() string { return e.Code }

// PublicMessage returns the message meant for the agent.
func (e *Error) PublicMessage() string { return e.Message }

// RetryAfter returns the seconds to wait before retrying, or 0.
func (e *Error) RetryAfter() int { return e.RetryAfterSeconds }

// Unauthorized reports whether the upstream rejected the credential (HTTP
// 401, or an error code the toolkit lists as unauthorized), which means the
// account must be re-authorized.
func (e *Error) Unauthorized() bool { return e.Status == http.StatusUnauthorized || e.rejected }

// IsUnauthorized reports whether err is, or wraps, an *Error for which
// Unauthorized is true.
func IsUnauthorized(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Unauthorized()
}

func errorf(code string, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: cause}
}
