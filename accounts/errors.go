package accounts

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Code is the machine-readable kind of a failure, the one vocabulary that
// server turns into tool results and transport into HTTP statuses.
type Code string

// The error codes of DESIGN.md.
const (
	CodeAccountRequired      Code = "ACCOUNT_REQUIRED"
	CodeAccountNotFound      Code = "ACCOUNT_NOT_FOUND"
	CodeAccountAmbiguous     Code = "ACCOUNT_AMBIGUOUS"
	CodeAccountInactive      Code = "ACCOUNT_INACTIVE"
	CodeAccountFixedByHeader Code = "ACCOUNT_FIXED_BY_HEADER"
	CodeToolkitUnknown       Code = "TOOLKIT_UNKNOWN"
	CodeToolkitNotEnabled    Code = "TOOLKIT_NOT_ENABLED"
	CodeToolkitNotConfigured Code = "TOOLKIT_NOT_CONFIGURED"
	CodeInvalidArguments     Code = "INVALID_ARGUMENTS"
	CodeUpstreamError        Code = "UPSTREAM_ERROR"
	CodeUpstreamRateLimited  Code = "UPSTREAM_RATE_LIMITED"
	CodeUpstreamUnavailable  Code = "UPSTREAM_UNAVAILABLE"
	CodeInternal             Code = "INTERNAL"
	// CodeSessionLimit refuses a new session of a user who holds as many
	// as the operator allows (beyond DESIGN.md's list: it answers the
	// creation of a session, never a tool call).
	CodeSessionLimit Code = "SESSION_LIMIT"
	// CodeAccountPolicyDenied refuses a call that the policy of the
	// account that would act never lets run (Policy.Refusal).
	CodeAccountPolicyDenied Code = "ACCOUNT_POLICY_DENIED"
	// CodeConfirmationRequired refuses a call that the account's policy
	// makes ask the person first, until the person allowed it (Error's
	// Confirmation says how).
	CodeConfirmationRequired Code = "CONFIRMATION_REQUIRED"
	// CodeConfirmationDeclined answers a call the person declined (beyond
	// DESIGN.md's list): unlike CONFIRMATION_REQUIRED, asking again will
	// not help unless the person asks for it.
	CodeConfirmationDeclined Code = "CONFIRMATION_DECLINED"
)

// Error is a failure meant for the agent: Message says what happened and
// what to do next, and never holds a secret or an upstream body verbatim.
// Err, the cause, is for logs only.
type Error struct {
	Code    Code
	Message string
	// Candidates lists the accounts an ambiguous reference or selection could
	// mean (ACCOUNT_AMBIGUOUS), for the agent to pick from.
	Candidates []*Account
	// Account is the account the failure is about, when there is one.
	Account *Account
	// RetryAfterSeconds is set for UPSTREAM_RATE_LIMITED.
	RetryAfterSeconds int
	// Confirmation is set for CONFIRMATION_REQUIRED when a confirmation
	// was issued: how the person allows the call.
	Confirmation *ConfirmationRequest
	// Err is the underlying cause, if any.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Quote is s as an error message shows what a caller sent: quoted, and cut
// to its first 64 characters, so that a name of a megabyte comes back as a
// line, not as the megabyte (twice: in the text and the structured error).
func Quote(s string) string {
	if utf8.RuneCountInString(s) > 64 {
		s = string([]rune(s)[:64]) + "…"
	}
	return strconv.Quote(s)
}

// internal wraps an unexpected failure; its message stays generic.
func internal(err error, what string) *Error {
	return &Error{Code: CodeInternal, Message: "Switchboard failed to " + what + "; try again, and tell the operator if it persists.", Err: err}
}

// ErrorOf returns err as an *Error, translating errors that carry a code of
// their own (see Coded) and treating anything else as INTERNAL.
func ErrorOf(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var c Coded
	if errors.As(err, &c) {
		return &Error{Code: Code(c.ErrorCode()), Message: c.PublicMessage(), RetryAfterSeconds: c.RetryAfter(), Err: err}
	}
	return internal(err, "complete the request")
}

// Coded is implemented by errors of lower layers (the tools executor) that
// carry a code of DESIGN.md's vocabulary and a message safe for the agent.
type Coded interface {
	error
	ErrorCode() string
	PublicMessage() string
	RetryAfter() int
}
