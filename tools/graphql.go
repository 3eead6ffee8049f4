package tools

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// GraphQL operation types.
const (
	opQuery    = "query"
	opMutation = "mutation"
)

// graphqlDocument is what the loader needs to know of a GraphQL document.
type graphqlDocument struct {
	// operation is "query" or "mutation".
	operation string
	// variables are the names used with $, without it.
	variables map[string]bool
}

// parseGraphQL reads the outline of a GraphQL document: its one operation
// and the variables it uses. It is a lexer, not a validator of the schema:
// the upstream checks the rest.
func parseGraphQL(doc string) (graphqlDocument, error) {
	out := graphqlDocument{variables: map[string]bool{}}
	var ops []string
	pending := "" // the keyword of the definition whose body comes next
	depth, parens := 0, 0
	for i := 0; i < len(doc); {
		c := doc[i]
		switch {
		case c == '#':
			for i < len(doc) && doc[i] != '\n' && doc[i] != '\r' {
				i++
			}
			continue
		case c == '"':
			end, err := skipString(doc, i)
			if err != nil {
				return out, err
			}
			i = end
			continue
		case c == '$':
			j := i + 1
			for j < len(doc) && isNameByte(doc[j], j > i+1) {
				j++
			}
			if j == i+1 {
				return out, fmt.Errorf("has a $ without a variable name at byte %d", i)
			}
			out.variables[doc[i+1:j]] = true
			i = j
			continue
		case isNameByte(c, false):
			j := i
			for j < len(doc) && isNameByte(doc[j], j > i) {
				j++
			}
			if word := doc[i:j]; depth == 0 && parens == 0 && pending == "" {
				switch word {
				case "query", "mutation", "subscription", "fragment":
					pending = word
				default:
					return out, fmt.Errorf("has %q where an operation should start", word)
				}
			}
			i = j
			continue
		case c == '{':
			if depth == 0 && parens == 0 {
				switch pending {
				case "":
					ops = append(ops, opQuery) // the shorthand { ... }
				case "fragment":
				default:
					ops = append(ops, pending)
				}
				pending = ""
			}
			depth++
		case c == '}':
			if depth--; depth < 0 {
				return out, errors.New("has an unmatched }")
			}
		case c == '(':
			parens++
		case c == ')':
			if parens--; parens < 0 {
				return out, errors.New("has an unmatched )")
			}
		}
		i++
	}
	if depth != 0 || parens != 0 || pending != "" {
		return out, errors.New("is not complete: unbalanced braces or parentheses, or a definition without a body")
	}
	switch {
	case len(ops) == 0:
		return out, errors.New("has no operation")
	case len(ops) > 1:
		return out, fmt.Errorf("has %d operations; give exactly one", len(ops))
	case ops[0] == "subscription":
		return out, errors.New("is a subscription, which a tool call cannot serve")
	}
	out.operation = ops[0]
	return out, nil
}

// skipString returns the index after the string or block string at i.
func skipString(doc string, i int) (int, error) {
	if strings.HasPrefix(doc[i:], `"""`) {
		end := strings.Index(doc[i+3:], `"""`)
		if end < 0 {
			return 0, errors.New("has an unterminated block string")
		}
		return i + 3 + end + 3, nil
	}
	for j := i + 1; j < len(doc); j++ {
		switch doc[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		case '\n':
			return 0, errors.New("has an unterminated string")
		}
	}
	return 0, errors.New("has an unterminated string")
}

func isNameByte(c byte, notFirst bool) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (notFirst && c >= '0' && c <= '9')
}

// graphqlErrors returns the non-empty errors array of a GraphQL response.
func graphqlErrors(doc any) []any {
	list, _ := lookup(doc, "errors").([]any)
	return list
}

// graphqlError maps a GraphQL error response, of any HTTP status, onto an
// *Error. Codes in extensions (Linear's extensions.code, Apollo's too) and
// the HTTP status decide: RATELIMITED or 429 is UPSTREAM_RATE_LIMITED,
// AUTHENTICATION_ERROR, UNAUTHENTICATED or 401 means the credential was
// rejected (Status 401, so Unauthorized holds), FORBIDDEN or 403 lacks
// permission, 5xx is UPSTREAM_UNAVAILABLE, anything else is UPSTREAM_ERROR
// with the API's own message.
func graphqlError(kit *Toolkit, r *response, errs []any) *Error {
	var msgs, codes []string
	notFound := false
	for _, item := range errs {
		m, _ := item.(map[string]any)
		text := scalarText(lookup(m, "extensions.userPresentableMessage"))
		notFound = notFound || strings.Contains(strings.ToLower(text+" "+scalarText(m["message"])), "not found")
		if text == "" {
			text = scalarText(m["message"])
		}
		if text != "" {
			msgs = append(msgs, text)
		}
		for _, f := range []string{"extensions.code", "extensions.type"} {
			if c := scalarText(lookup(m, f)); c != "" {
				codes = append(codes, strings.ToUpper(strings.ReplaceAll(c, " ", "_")))
			}
		}
	}
	has := func(want ...string) bool {
		for _, c := range codes {
			for _, w := range want {
				if c == w {
					return true
				}
			}
		}
		return false
	}
	msg := publicText(redact(strings.Join(msgs, "; "), r.secrets), "no reason given")
	name, status := kit.Name, r.status
	e := &Error{Code: CodeUpstreamError, Status: status}
	switch {
	case status == http.StatusTooManyRequests || has("RATELIMITED", "RATE_LIMITED"):
		e.Code = CodeUpstreamRateLimited
		e.RetryAfterSeconds = retryAfter(r.header, 60)
		e.Message = fmt.Sprintf("%s's rate limit for this account is exhausted; wait %d seconds before calling again.", name, e.RetryAfterSeconds)
	case status == http.StatusUnauthorized || has("AUTHENTICATION_ERROR", "UNAUTHENTICATED"):
		e.Status = http.StatusUnauthorized
		e.Message = fmt.Sprintf("%s rejected the account's credential: it was revoked, expired or lacks access. The account must be re-authorized (call authorize for this account) before it can be used again.", name)
	case status == http.StatusForbidden || has("FORBIDDEN"):
		e.Message = fmt.Sprintf("%s refused the request: %s. The account may lack permission for this resource or action; use another account or ask for access.", name, msg)
	case status >= 500 || has("INTERNAL_SERVER_ERROR"):
		e.Code = CodeUpstreamUnavailable
		e.RetryAfterSeconds = retryAfter(r.header, 0)
		e.Message = fmt.Sprintf("%s failed to answer (%s); try again later.", name, msg)
	case notFound || has("NOT_FOUND", "ENTITY_NOT_FOUND"):
		e.Message = fmt.Sprintf("%s: %s (or the account has no access). Check the ids in the arguments, and that this account can see the resource.", name, msg)
	default:
		e.Message = fmt.Sprintf("%s rejected the request: %s. Fix the arguments and try again.", name, msg)
	}
	return e
}
