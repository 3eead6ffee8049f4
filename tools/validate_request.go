package tools

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// Request kinds and query array styles.
const (
	kindREST          = "rest"
	kindGraphQL       = "graphql"
	queryArraysComma  = "comma"
	queryArraysRepeat = "repeat"
)

var (
	graphqlNamePattern = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]*$`)
	wirePathPattern    = regexp.MustCompile(`^[^.\s]+(\.[^.\s]+)*$`)
)

// request checks a request template against the input schema's properties
// and returns it with the GraphQL operation ("" for rest).
func (v *validator) request(field string, s *requestSpec, props map[string]property) (Request, string) {
	r := Request{Kind: s.Kind, Method: s.Method, Path: s.Path, Document: s.Query.document,
		FixedQuery: s.FixedQuery, FixedBody: s.FixedBody, BodyBuilder: s.BodyBuilder, Safe: s.Safe, Names: map[string]string{}}
	switch s.Token {
	case "":
	case "user":
		r.UserToken = true
	default:
		v.addf(field+".token", "%q is not a token kind (want user, or leave it out)", s.Token)
	}
	op := ""
	switch r.Kind {
	case "", kindREST:
		r.Kind = kindREST
		v.restMethod(field, &r, s)
		if r.Document != "" {
			v.addf(field+".query", "a rest request's query is a list of arguments; a document is for kind graphql")
		}
		if len(s.Variables) > 0 {
			v.addf(field+".variables", "only a graphql request has variables")
		}
	case kindGraphQL:
		if r.Method == "" {
			r.Method = http.MethodPost
		}
		if r.Path == "" {
			r.Path = "/graphql"
		}
		if r.Method != http.MethodPost {
			v.addf(field+".method", "a graphql request is a POST")
		}
		if len(s.Query.params) > 0 || len(s.Body) > 0 || len(s.FixedQuery) > 0 {
			v.addf(field, "a graphql request sends its arguments as variables, not query or body")
		}
		if s.Safe {
			v.addf(field+".safe", "a graphql request is read-only when its operation is a query; safe is for rest")
		}
		doc, err := parseGraphQL(r.Document)
		if err != nil {
			v.addf(field+".query", "the GraphQL document %v", err)
		}
		op = doc.operation
		for _, p := range s.Variables {
			if !graphqlNamePattern.MatchString(p.wire) {
				v.addf(field+".variables", "%q is not a GraphQL variable name", p.wire)
			} else if err == nil && !doc.variables[p.wire] {
				v.addf(field+".variables", "$%s is not used by the document", p.wire)
			}
		}
	default:
		v.addf(field+".kind", "%q is not one of rest, graphql", r.Kind)
	}
	if !strings.HasPrefix(r.Path, "/") || strings.ContainsAny(r.Path, "?#") {
		v.addf(field+".path", "%q must start with / and hold no query or fragment", r.Path)
	}
	if r.BodyBuilder != "" {
		if r.builder = bodyBuilders[r.BodyBuilder]; r.builder == nil {
			v.addf(field+".body_builder", "%q is not a registered body builder (known: %s)", r.BodyBuilder, strings.Join(registeredNames(bodyBuilders), ", "))
		}
	}
	v.requestArgs(field, &r, s, props)
	r.NullWhen = v.nullWhen(field+".null_when", s.NullWhen, &r, props)
	return r, op
}

// nullWhen checks that each null_when argument travels in the body (or as
// a variable) and that its value is one the argument can take.
func (v *validator) nullWhen(field string, m map[string]any, r *Request, props map[string]property) map[string]any {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]any, len(m))
	for _, arg := range keys(m) {
		if !slices.Contains(r.Body, arg) && !slices.Contains(r.Variables, arg) {
			v.addf(field+"."+arg, "is not an argument sent in the body or as a variable")
			continue
		}
		var ps []Problem
		val := jsonValue(m[arg], "", &ps)
		if typ := props[arg].typ; len(ps) > 0 || !scalarOfType(val, typ) {
			v.addf(field+"."+arg, "%v is not a value of the argument's type (%s)", m[arg], typ)
			continue
		}
		out[arg] = val
	}
	return out
}

// scalarOfType reports whether the JSON scalar val has the JSON Schema type
// typ; "" (no single type) admits any scalar.
func scalarOfType(val any, typ string) bool {
	switch val := val.(type) {
	case string:
		return typ == "" || typ == "string"
	case bool:
		return typ == "" || typ == "boolean"
	case json.Number:
		_, isInt := integerValue(string(val))
		return typ == "" || typ == "number" || (typ == "integer" && isInt)
	}
	return false
}

// restMethod checks the method of a rest request and what may go with it.
func (v *validator) restMethod(field string, r *Request, s *requestSpec) {
	switch r.Method {
	case http.MethodGet, http.MethodDelete:
		if len(s.Body) > 0 || len(s.FixedBody) > 0 || s.BodyBuilder != "" {
			v.addf(field+".body", "a %s request has no body", r.Method)
		}
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		v.addf(field+".method", "%q must be GET, POST, PUT, PATCH or DELETE", r.Method)
	}
	if s.Safe && r.Method != http.MethodPost {
		v.addf(field+".safe", "only a POST is marked safe; a GET is read-only anyway")
	}
}

// requestArgs checks that every argument is sent exactly once and that no
// two travel under one wire name.
func (v *validator) requestArgs(field string, r *Request, s *requestSpec, props map[string]property) {
	used := map[string]string{}
	use := func(arg, where string) {
		if prev, ok := used[arg]; ok {
			v.addf(field, "argument %q is sent twice (%s and %s)", arg, prev, where)
		}
		used[arg] = where
		if _, ok := props[arg]; !ok {
			v.addf(field+"."+where, "%q is not a property of input_schema", arg)
		}
	}
	for _, m := range placeholderPattern.FindAllStringSubmatch(r.Path, -1) {
		name, multi := strings.CutSuffix(m[1], "*")
		use(name, "path")
		p, ok := props[name]
		switch {
		case !ok:
		case multi && p.typ != "string":
			v.addf(field+".path", "placeholder {%s*} must be a string property", name)
		case !multi && (!p.required || (p.typ != "string" && p.typ != "integer")):
			v.addf(field+".path", "placeholder {%s} must be a required string or integer property", name)
		}
	}
	lists := []struct {
		where  string
		params paramList
		fixed  []string
		out    *[]string
	}{
		{"query", s.Query.params, keys(s.FixedQuery), &r.Query},
		{"body", s.Body, keys(s.FixedBody), &r.Body},
		{"variables", s.Variables, keys(s.FixedBody), &r.Variables},
	}
	for _, l := range lists {
		wires := map[string]string{}
		for _, f := range l.fixed {
			wires[f] = "fixed"
		}
		for _, p := range l.params {
			use(p.arg, l.where)
			*l.out = append(*l.out, p.arg)
			if p.wire != p.arg {
				r.Names[p.arg] = p.wire
			}
			if l.where == "body" && !wirePathPattern.MatchString(p.wire) {
				v.addf(field+".body", "%q is not a dotted member name", p.wire)
			}
			if prev, ok := wires[p.wire]; ok {
				v.addf(field+"."+l.where, "%q is sent twice (for %s and %s)", p.wire, prev, p.arg)
			}
			wires[p.wire] = p.arg
		}
	}
	for name := range props {
		if _, ok := used[name]; !ok && r.BodyBuilder == "" && !props[name].local {
			v.addf(field, "property %q of input_schema is not sent (put it in path, query, body or variables)", name)
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// listKeys are the members of a list result's Structured that the executor
// sets itself.
var listKeys = []string{"count", "page", "next_page", "next_cursor", "truncated", "total_in_response"}

func (v *validator) result(field string, s *resultSpec, props map[string]property, kind string) Shape {
	r := Shape{Transform: s.Transform, Path: s.Path, Fields: s.Fields, ListPath: s.ListPath, ListKey: s.ListKey, Text: s.Text,
		Cut: s.Cut, Extra: s.Extra}
	if r.ListKey == "" {
		r.ListKey = "items"
	}
	r.picks, r.text = compileFields(r.Fields), compileText(r.Text)
	if r.Text == "" {
		v.addf(field+".text", "missing: give the template of the summary line")
	}
	for _, p := range keys(s.Cut) {
		if !wirePathPattern.MatchString(p) {
			v.addf(field+".cut", "%q is not a dotted path", p)
		}
		if s.Cut[p] < 1 {
			v.addf(field+".cut."+p, "must keep at least 1 character")
		}
	}
	if len(s.Extra) > 0 && r.ListPath == "" {
		v.addf(field+".extra", "goes with list_path: it keeps members of the object that holds the list")
	}
	for _, x := range s.Extra {
		if !argNamePattern.MatchString(x) && !graphqlNamePattern.MatchString(x) {
			v.addf(field+".extra", "%q must be a member name (no dots)", x)
		} else if x == r.ListKey || slices.Contains(listKeys, x) {
			v.addf(field+".extra", "%q clashes with a key of the list result", x)
		}
	}
	// A transform may add members for the text only, which fields need not
	// keep, so only a result without one has its placeholders checked.
	if len(r.Fields) > 0 && r.Transform == "" {
		for _, m := range placeholderPattern.FindAllStringSubmatch(r.Text, -1) {
			kept := slices.ContainsFunc(r.Fields, func(f string) bool { return m[1] == f || strings.HasPrefix(m[1], f+".") })
			if !kept {
				v.addf(field+".text", "placeholder {%s} is not one of fields (nor inside one)", m[1])
			}
		}
	}
	if r.Transform != "" {
		if r.transform = transforms[r.Transform]; r.transform == nil {
			v.addf(field+".transform", "%q is not a registered transform (known: %s)", r.Transform, strings.Join(registeredNames(transforms), ", "))
		}
	}
	if kind == kindGraphQL && r.Path == "" && r.ListPath == "" {
		v.addf(field+".path", "missing: a GraphQL answer is under data; name the value to shape, e.g. data.issue")
	}
	if p := s.Pagination; p != nil {
		r.Pagination = v.pagination(field+".pagination", p, props)
	}
	return r
}

// pagination checks either numbered pages or cursors.
func (v *validator) pagination(field string, p *paginationSpec, props map[string]property) *Pagination {
	out := &Pagination{PageArg: p.PageArg, PerPageArg: p.PerPageArg, DefaultPerPage: p.DefaultPerPage,
		CursorArg: p.CursorArg, NextCursor: p.NextCursor, HasMore: p.HasMore}
	intArgs := map[string]string{}
	switch {
	case p.PageArg != "" && p.CursorArg == "":
		intArgs["page_arg"], intArgs["per_page_arg"] = p.PageArg, p.PerPageArg
		if p.DefaultPerPage <= 0 {
			v.addf(field+".default_per_page", "must be positive")
		}
		if p.NextCursor != "" || p.HasMore != "" {
			v.addf(field, "next_cursor and has_more go with cursor_arg, not page_arg")
		}
	case p.CursorArg != "" && p.PageArg == "":
		if props[p.CursorArg].typ != "string" {
			v.addf(field+".cursor_arg", "%q must be a string property of input_schema", p.CursorArg)
		}
		if p.NextCursor == "" {
			v.addf(field+".next_cursor", "missing: name where the response holds the next page's cursor")
		}
		if p.PerPageArg != "" {
			intArgs["per_page_arg"] = p.PerPageArg
			if p.DefaultPerPage <= 0 {
				v.addf(field+".default_per_page", "must be positive")
			}
		}
	default:
		v.addf(field, "set either page_arg (numbered pages) or cursor_arg (cursors)")
	}
	for name, arg := range intArgs {
		if props[arg].typ != "integer" {
			v.addf(field+"."+name, "%q must be an integer property of input_schema", arg)
		}
	}
	return out
}
