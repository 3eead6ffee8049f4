package tools

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// buildRequest fills t's request template from normalized arguments and
// returns the path with its query, and the JSON body (nil when none).
func buildRequest(t *Tool, args map[string]any) (string, []byte, error) {
	r := t.Request
	var bad []Problem
	path := placeholderPattern.ReplaceAllStringFunc(r.Path, func(m string) string {
		name, multi := strings.CutSuffix(m[1:len(m)-1], "*")
		s := scalarText(args[name])
		if multi {
			p, err := escapeSegments(s)
			if err != nil {
				bad = append(bad, Problem{Path: "/" + escapePointer(name), Reason: err.Error()})
			}
			return p
		}
		if s == "" || s == "." || s == ".." {
			bad = append(bad, Problem{Path: "/" + escapePointer(name), Reason: "must be a non-empty name other than . and .."})
		}
		return url.PathEscape(s)
	})
	if len(bad) > 0 {
		return "", nil, t.invalid(bad, nil)
	}
	if q := r.query(args, t.kit.QueryArrays); len(q) > 0 {
		path += "?" + q.Encode()
	}
	body, err := r.body(args)
	if err != nil {
		var ae *argumentError
		if errors.As(err, &ae) {
			return "", nil, t.invalid([]Problem{ae.Problem}, err)
		}
		return "", nil, errorf(CodeInternal, err, "Switchboard could not build the request of %s; tell the operator.", t.Name)
	}
	if r.Kind == kindGraphQL {
		payload := map[string]any{"query": r.Document}
		if len(body) > 0 {
			payload["variables"] = body
		}
		body = payload
	}
	if body == nil {
		return path, nil, nil
	}
	data, err := json.Marshal(body)
	if err != nil {
		return "", nil, errorf(CodeInternal, err, "Switchboard could not encode the request body of %s; tell the operator.", t.Name)
	}
	return path, data, nil
}

// escapeSegments escapes each /-separated segment of a {name*} value; ""
// has no segment.
func escapeSegments(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	parts := strings.Split(s, "/")
	for i, p := range parts {
		if p == "" || p == "." || p == ".." {
			return "", errors.New("must be a path of names separated by single slashes, without a leading or trailing slash and without . or .. segments")
		}
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/"), nil
}

// wire returns the name arg travels under.
func (r *Request) wire(arg string) string {
	if w, ok := r.Names[arg]; ok {
		return w
	}
	return arg
}

// query returns the query parameters: the arguments present, then the
// fixed ones.
func (r *Request) query(args map[string]any, arrays string) url.Values {
	q := url.Values{}
	for _, name := range r.Query {
		v, ok := args[name]
		if !ok || v == nil {
			continue
		}
		key := r.wire(name)
		if list, isList := v.([]any); isList && arrays == queryArraysRepeat {
			for _, item := range list {
				q.Add(key, scalarText(item))
			}
			continue
		}
		q.Set(key, queryText(v))
	}
	for k, v := range r.FixedQuery {
		q.Set(k, v)
	}
	return q
}

// body returns the JSON body members (GraphQL variables): fixed ones, then
// the arguments present, then what the body builder makes of the arguments
// sent nowhere else. It is nil when the request has no body.
func (r *Request) body(args map[string]any) (map[string]any, error) {
	members := r.Body
	if r.Kind == kindGraphQL {
		members = r.Variables
	}
	if len(members) == 0 && len(r.FixedBody) == 0 && r.builder == nil {
		return nil, nil
	}
	body := map[string]any{}
	nest := r.Kind == kindREST
	for _, k := range keys(r.FixedBody) {
		if err := setMember(body, k, cloneValue(r.FixedBody[k]), nest); err != nil {
			return nil, err
		}
	}
	for _, name := range members {
		if v, ok := args[name]; ok {
			if clear, ok := r.NullWhen[name]; ok && v == clear {
				v = nil
			}
			if err := setMember(body, r.wire(name), v, nest); err != nil {
				return nil, err
			}
		}
	}
	if r.builder == nil {
		return body, nil
	}
	rest := map[string]any{}
	for name, v := range args {
		if !r.sends(name) {
			rest[name] = v
		}
	}
	built, err := r.builder(rest)
	if err != nil {
		return nil, err
	}
	for _, k := range keys(built) {
		if _, dup := body[k]; dup {
			return nil, fmt.Errorf("body builder %s set %q, which the request already sends", r.BodyBuilder, k)
		}
		body[k] = built[k]
	}
	return body, nil
}

// sends reports whether the template itself sends arg (path, query, body
// or variables).
func (r *Request) sends(arg string) bool {
	if strings.Contains(r.Path, "{"+arg+"}") || strings.Contains(r.Path, "{"+arg+"*}") {
		return true
	}
	return slices.Contains(r.Query, arg) || slices.Contains(r.Body, arg) || slices.Contains(r.Variables, arg)
}

// setMember sets m[key] or, when nest is set, the member at the dotted key,
// creating the objects on the way.
func setMember(m map[string]any, key string, v any, nest bool) error {
	parts := []string{key}
	if nest {
		parts = strings.Split(key, ".")
	}
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			if _, taken := m[p]; taken {
				return fmt.Errorf("body member %q is both a value and an object", p)
			}
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
	return nil
}

// cloneValue deep-copies the maps and slices of a catalog value, so that a
// request never writes into the catalog.
func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = cloneValue(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = cloneValue(x)
		}
		return out
	default:
		return v
	}
}
