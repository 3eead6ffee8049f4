package accounts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.uber.org/zap"

	"switchboard/tools"
)

// Access says what agents may do with an account.
type Access string

// The accesses of a Policy. The empty Access is AccessReadWrite.
const (
	// AccessReadWrite lets every tool run (as far as the tool lists allow).
	AccessReadWrite Access = "read_write"
	// AccessReadOnly lets only tools whose readOnlyHint is true run.
	AccessReadOnly Access = "read_only"
)

// Confirm says which calls of an account ask the person before they run.
type Confirm string

// The confirmation rules of a Policy. The empty Confirm is ConfirmNone.
const (
	// ConfirmNone asks before nothing.
	ConfirmNone Confirm = "none"
	// ConfirmDestructive asks before tools whose destructiveHint is true.
	ConfirmDestructive Confirm = "destructive"
	// ConfirmWrites asks before every tool whose readOnlyHint is not true.
	ConfirmWrites Confirm = "writes"
)

// Policy is what agents may do with one connected account, set by the user
// or the operator and stored with the account. The zero Policy lets every
// tool run without asking.
//
// Rules apply in this order: a tool that DenyTools names is refused, even
// when AllowTools names it too (deny beats allow); with AllowTools set, a
// tool it does not name is refused; with Access read_only, a tool whose
// readOnlyHint is not true is refused. A tool that passes runs, after
// asking the person first when Confirm covers it.
//
// The JSON form (field tags) is how the stores keep a policy; what the API
// and the tools show is built by their own layers.
type Policy struct {
	// Access is read_only or read_write; empty means read_write.
	Access Access `json:"access,omitempty"`
	// AllowTools, when not empty, names the only tools that may run: tool
	// names, or patterns ending in '*' that match every tool whose name
	// starts with what precedes it ("GITHUB_LIST_*").
	AllowTools []string `json:"allow_tools,omitempty"`
	// DenyTools names tools that never run, as AllowTools names them.
	DenyTools []string `json:"deny_tools,omitempty"`
	// Confirm is none, destructive or writes; empty means none.
	Confirm Confirm `json:"confirm,omitempty"`
}

// Normal returns p with its defaults spelled out: read_write, none.
func (p Policy) Normal() Policy {
	if p.Access == "" {
		p.Access = AccessReadWrite
	}
	if p.Confirm == "" {
		p.Confirm = ConfirmNone
	}
	return p
}

// IsZero reports whether p restricts nothing and asks for nothing.
func (p Policy) IsZero() bool {
	n := p.Normal()
	return n.Access == AccessReadWrite && n.Confirm == ConfirmNone && len(p.AllowTools) == 0 && len(p.DenyTools) == 0
}

// Refusal says why p never lets t run: the rule that refuses it ("deny_tools",
// "allow_tools" or "access") and, for the tool lists, the entry or list
// concerned; rule is "" when p lets t run.
func (p Policy) Refusal(t *tools.Tool) (rule, detail string) {
	for _, pat := range p.DenyTools {
		if toolMatches(pat, t.Name) {
			return "deny_tools", pat
		}
	}
	if len(p.AllowTools) > 0 && !slices.ContainsFunc(p.AllowTools, func(pat string) bool { return toolMatches(pat, t.Name) }) {
		return "allow_tools", strings.Join(p.AllowTools, ", ")
	}
	if p.Access == AccessReadOnly && !t.ReadOnly {
		return "access", string(AccessReadOnly)
	}
	return "", ""
}

// Asks reports whether p makes a call of t ask the person first.
func (p Policy) Asks(t *tools.Tool) bool {
	switch p.Confirm {
	case ConfirmWrites:
		return !t.ReadOnly
	case ConfirmDestructive:
		return t.Destructive
	}
	return false
}

// toolMatches reports whether the allow or deny entry pat names the tool.
func toolMatches(pat, name string) bool {
	if prefix, ok := strings.CutSuffix(pat, "*"); ok {
		return strings.HasPrefix(name, prefix)
	}
	return pat == name
}

// checkPolicy refuses a policy that does not make sense for an account of
// toolkit, and returns it in the form it is stored: access and confirm one
// of their values (empty for the default), tool entries upper-cased,
// without repeats, each naming a tool of the toolkit or a pattern that
// matches at least one (anything else is a typo that would silently allow
// or deny nothing).
func checkPolicy(tk *tools.Toolkit, p Policy) (Policy, error) {
	switch p.Access {
	case "", AccessReadWrite:
		p.Access = ""
	case AccessReadOnly:
	default:
		return Policy{}, Errorf(CodeInvalidArguments, "access must be %q or %q; %q is neither.", AccessReadOnly, AccessReadWrite, p.Access)
	}
	switch p.Confirm {
	case "", ConfirmNone:
		p.Confirm = ""
	case ConfirmDestructive, ConfirmWrites:
	default:
		return Policy{}, Errorf(CodeInvalidArguments, "confirm must be %q, %q or %q; %q is none of them.", ConfirmNone, ConfirmDestructive, ConfirmWrites, p.Confirm)
	}
	var err error
	if p.AllowTools, err = checkToolList(tk, "allow_tools", p.AllowTools); err != nil {
		return Policy{}, err
	}
	if p.DenyTools, err = checkToolList(tk, "deny_tools", p.DenyTools); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// maxPolicyEntries bounds each tool list of a policy.
const maxPolicyEntries = 100

func checkToolList(tk *tools.Toolkit, field string, list []string) ([]string, error) {
	if len(list) > maxPolicyEntries {
		return nil, Errorf(CodeInvalidArguments, "%s holds %d entries; at most %d.", field, len(list), maxPolicyEntries)
	}
	var out []string
	for _, raw := range list {
		pat := strings.ToUpper(strings.TrimSpace(raw))
		if pat == "" {
			return nil, Errorf(CodeInvalidArguments, "%s holds an empty entry.", field)
		}
		if strings.Contains(strings.TrimSuffix(pat, "*"), "*") {
			return nil, Errorf(CodeInvalidArguments, "%s entry %q: '*' may only end a pattern (\"%s_LIST_*\").", field, raw, strings.ToUpper(tk.Slug))
		}
		if slices.Contains(out, pat) {
			continue
		}
		if !slices.ContainsFunc(tk.Tools, func(t *tools.Tool) bool { return toolMatches(pat, t.Name) }) {
			return nil, Errorf(CodeInvalidArguments, "%s entry %q names no %s tool; give a tool name (%s) or a pattern ending in '*' (%s_*).", field, raw, tk.Slug, tk.Tools[0].Name, strings.ToUpper(tk.Slug))
		}
		out = append(out, pat)
	}
	return out, nil
}

// CheckPolicy returns the error SetPolicy gives for p on an account of
// toolkit, if any, writing nothing: a caller that changes several things
// at once refuses them all before it writes any.
func (s *Service) CheckPolicy(toolkit string, p Policy) error {
	tk, err := s.toolkit(toolkit)
	if err != nil {
		return err
	}
	_, err = checkPolicy(tk, p)
	return err
}

// SetPolicy replaces the policy of the account a and returns the account
// as stored, read again after the write. Only the policy is written, so
// that a concurrent change of anything else (a disable, a reconnect, a
// refresh) is kept, and no other write of the account can undo a policy.
// The change applies from the next call of every session, on every
// replica: each call reads the account afresh.
func (s *Service) SetPolicy(ctx context.Context, a *Account, p Policy) (*Account, error) {
	tk, err := s.toolkit(a.Toolkit)
	if err != nil {
		return nil, err
	}
	if p, err = checkPolicy(tk, p); err != nil {
		return nil, err
	}
	switch err := s.store.SetAccountPolicy(ctx, a.UserID, a.ID, p); {
	case errors.Is(err, ErrNotFound):
		return nil, notFound(a.ID)
	case err != nil:
		return nil, internal(err, "save the account's policy")
	}
	s.log.Info("account policy set", zap.String("user", a.UserID), zap.String("account", a.ID), zap.String("policy", p.String()))
	next, err := s.reread(ctx, a)
	if err != nil {
		return nil, err
	}
	// The tools a session lists follow the policy of its active account:
	// sessions that can hear it are told to list them again.
	s.events.publish(a.UserID, Event{Account: next})
	return next, nil
}

// String is the policy in one line, for logs and the command line.
func (p Policy) String() string {
	n := p.Normal()
	s := fmt.Sprintf("access=%s confirm=%s", n.Access, n.Confirm)
	if len(p.AllowTools) > 0 {
		s += " allow_tools=" + strings.Join(p.AllowTools, ",")
	}
	if len(p.DenyTools) > 0 {
		s += " deny_tools=" + strings.Join(p.DenyTools, ",")
	}
	return s
}

// policyDenied is the refusal of a call that the account's policy never
// lets run; rule and detail are Policy.Refusal's.
func policyDenied(a *Account, t *tools.Tool, rule, detail string) *Error {
	var why string
	switch rule {
	case "deny_tools":
		why = fmt.Sprintf("its policy denies %s (deny_tools: %s)", t.Name, detail)
	case "allow_tools":
		why = fmt.Sprintf("its policy allows only %s (allow_tools), and %s is not among them", detail, t.Name)
	default:
		why = fmt.Sprintf("its policy makes it read-only for agents (access: read_only), and %s is not a read-only tool", t.Name)
	}
	return &Error{
		Code:    CodeAccountPolicyDenied,
		Message: fmt.Sprintf("The %s account %s may not run %s: %s. Nothing was sent to %s. Only the user or the operator can change the account's policy; tell the user.", a.Toolkit, describe(a), t.Name, why, a.Toolkit),
		Account: a,
	}
}
