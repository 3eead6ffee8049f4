package tools

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Length budgets of catalog texts: descriptions travel in every tools/list
// response, so they must earn their tokens.
const (
	MaxDescriptionLen = 1024
	MaxTitleLen       = 80
)

var (
	slugPattern        = regexp.MustCompile(`^[a-z][a-z0-9]*$`)
	toolNamePattern    = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
	placeholderPattern = regexp.MustCompile(`\{([^{}]*)\}`)
	argNamePattern     = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

func (v *validator) toolkit(s *toolkitSpec) *Toolkit {
	tk := &Toolkit{
		Slug: s.Slug, Name: s.Name, Description: strings.TrimSpace(s.Description),
		BaseURL: strings.TrimSuffix(s.BaseURL, "/"), Headers: s.Headers,
		Errors: ErrorRules{MessageField: s.Errors.MessageField, OKField: s.Errors.OKField},
	}
	if !slugPattern.MatchString(s.Slug) {
		v.addf("slug", "%q must be lower-case letters and digits, starting with a letter", s.Slug)
	}
	if s.Name == "" {
		v.addf("name", "missing")
	}
	v.text("description", tk.Description, MaxDescriptionLen)
	if u, err := url.Parse(s.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.addf("base_url", "%q must be an absolute http(s) URL", s.BaseURL)
	}
	for name := range s.Headers {
		if strings.EqualFold(name, "Authorization") {
			v.addf("headers."+name, "credentials come from the account, not the catalog")
		}
	}
	if tk.Errors.MessageField == "" {
		tk.Errors.MessageField = "message"
	}
	if len(s.Schemes) == 0 {
		v.addf("schemes", "at least one auth scheme is required")
	}
	for i := range s.Schemes {
		if sc := v.scheme(fmt.Sprintf("schemes[%d]", i), &s.Schemes[i]); sc != nil {
			if tk.Scheme(sc.Kind) != nil {
				v.addf(fmt.Sprintf("schemes[%d].kind", i), "%q is declared twice", sc.Kind)
			}
			tk.Schemes = append(tk.Schemes, sc)
		}
	}
	if s.Identity != nil {
		tk.Identity = v.identity(s.Identity)
	}
	if len(s.Tools) == 0 {
		v.addf("tools", "at least one tool is required")
	}
	seen := map[string]bool{}
	for i := range s.Tools {
		t := v.tool(tk, fmt.Sprintf("tools[%d]", i), &s.Tools[i])
		if seen[t.Name] {
			v.addf(fmt.Sprintf("tools[%d] (%s).name", i, t.Name), "%q is defined twice", t.Name)
			continue
		}
		seen[t.Name] = true
		tk.Tools = append(tk.Tools, t)
	}
	slices.SortFunc(tk.Tools, func(a, b *Tool) int { return strings.Compare(a.Name, b.Name) })
	return tk
}

func (v *validator) scheme(field string, s *schemeSpec) *Scheme {
	sc := &Scheme{
		Kind: s.Kind, Header: s.Header, CredentialLabel: s.CredentialLabel, Help: strings.TrimSpace(s.Help),
		AuthorizationURL: s.AuthorizationURL, TokenURL: s.TokenURL, Scopes: s.Scopes,
	}
	switch s.Kind {
	case SchemeBearerToken, SchemeOAuth2:
		sc.Prefix = "Bearer "
	case SchemeAPIKey:
		if s.Header == "" {
			v.addf(field+".header", "an api_key scheme must name its header")
		}
	default:
		v.addf(field+".kind", "%q is not one of bearer_token, api_key, oauth2", s.Kind)
		return nil
	}
	if s.Prefix != nil {
		sc.Prefix = *s.Prefix
	}
	if sc.Header == "" {
		sc.Header = "Authorization"
	}
	if s.Kind == SchemeOAuth2 {
		for f, u := range map[string]string{"authorization_url": s.AuthorizationURL, "token_url": s.TokenURL} {
			if p, err := url.Parse(u); err != nil || p.Scheme != "https" || p.Host == "" {
				v.addf(field+"."+f, "%q must be an absolute https URL", u)
			}
		}
	} else {
		if s.CredentialLabel == "" {
			v.addf(field+".credential_label", "missing")
		}
		if len(s.Scopes) > 0 || s.AuthorizationURL != "" || s.TokenURL != "" {
			v.addf(field, "authorization_url, token_url and scopes belong to oauth2 schemes only")
		}
	}
	v.text(field+".help", sc.Help, MaxDescriptionLen)
	return sc
}

func (v *validator) identity(s *identitySpec) *IdentityRequest {
	if s.Method != http.MethodGet && s.Method != http.MethodPost {
		v.addf("identity.method", "%q must be GET or POST", s.Method)
	}
	if !strings.HasPrefix(s.Path, "/") {
		v.addf("identity.path", "%q must start with /", s.Path)
	}
	if s.ID == "" {
		v.addf("identity.id", "missing: name the response field that identifies the account")
	}
	if s.Label == "" {
		v.addf("identity.label", "missing: name the response field that labels the account")
	}
	return &IdentityRequest{Method: s.Method, Path: s.Path, IDField: s.ID, LabelField: s.Label}
}

func (v *validator) tool(tk *Toolkit, field string, s *toolSpec) *Tool {
	t := &Tool{Name: s.Name, Toolkit: tk.Slug, Title: s.Title, Description: strings.TrimSpace(s.Description), kit: tk}
	if s.Name != "" {
		field = fmt.Sprintf("%s (%s)", field, s.Name)
	}
	prefix := strings.ToUpper(tk.Slug) + "_"
	if !toolNamePattern.MatchString(s.Name) || !strings.HasPrefix(s.Name, prefix) {
		v.addf(field+".name", "%q must be upper snake case TOOLKIT_ACTION starting with %s", s.Name, prefix)
	}
	v.text(field+".title", t.Title, MaxTitleLen)
	v.text(field+".description", t.Description, MaxDescriptionLen)
	a := s.Annotations
	for name, p := range map[string]*bool{"read_only": a.ReadOnly, "destructive": a.Destructive, "idempotent": a.Idempotent, "open_world": a.OpenWorld} {
		if p == nil {
			v.addf(field+".annotations."+name, "missing: every annotation must be set explicitly")
		}
	}
	t.ReadOnly, t.Destructive, t.Idempotent, t.OpenWorld = deref(a.ReadOnly), deref(a.Destructive), deref(a.Idempotent), deref(a.OpenWorld)
	if t.ReadOnly && t.Destructive {
		v.addf(field+".annotations", "a read_only tool cannot be destructive")
	}
	props := v.schema(t, field+".input_schema", s.InputSchema)
	t.Request = v.request(field+".request", &s.Request, props)
	t.Result = v.result(field+".result", &s.Result, props)
	return t
}

func (v *validator) request(field string, s *requestSpec, props map[string]property) Request {
	r := Request{Kind: s.Kind, Method: s.Method, Path: s.Path, Query: s.Query, Body: s.Body}
	if r.Kind == "" {
		r.Kind = "rest"
	}
	if r.Kind != "rest" {
		v.addf(field+".kind", "%q is not supported; only rest is implemented", r.Kind)
	}
	switch r.Method {
	case http.MethodGet, http.MethodDelete:
		if len(r.Body) > 0 {
			v.addf(field+".body", "a %s request has no body", r.Method)
		}
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		v.addf(field+".method", "%q must be GET, POST, PUT, PATCH or DELETE", r.Method)
	}
	if !strings.HasPrefix(r.Path, "/") || strings.ContainsAny(r.Path, "?#") {
		v.addf(field+".path", "%q must start with / and hold no query or fragment", r.Path)
	}
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
		name := m[1]
		use(name, "path")
		if p, ok := props[name]; ok && (!p.required || (p.typ != "string" && p.typ != "integer")) {
			v.addf(field+".path", "placeholder {%s} must be a required string or integer property", name)
		}
	}
	for _, a := range r.Query {
		use(a, "query")
	}
	for _, a := range r.Body {
		use(a, "body")
	}
	for name := range props {
		if _, ok := used[name]; !ok {
			v.addf(field, "property %q of input_schema is not sent (put it in path, query or body)", name)
		}
	}
	return r
}

func (v *validator) result(field string, s *resultSpec, props map[string]property) Shape {
	r := Shape{Fields: s.Fields, ListPath: s.ListPath, ListKey: s.ListKey, Text: s.Text}
	if r.ListKey == "" {
		r.ListKey = "items"
	}
	if r.Text == "" {
		v.addf(field+".text", "missing: give the template of the summary line")
	}
	if len(r.Fields) > 0 {
		for _, m := range placeholderPattern.FindAllStringSubmatch(r.Text, -1) {
			if !slices.Contains(r.Fields, m[1]) {
				v.addf(field+".text", "placeholder {%s} is not one of fields", m[1])
			}
		}
	}
	if p := s.Pagination; p != nil {
		r.Pagination = &Pagination{PageArg: p.PageArg, PerPageArg: p.PerPageArg, DefaultPerPage: p.DefaultPerPage}
		for name, arg := range map[string]string{"page_arg": p.PageArg, "per_page_arg": p.PerPageArg} {
			if props[arg].typ != "integer" {
				v.addf(field+".pagination."+name, "%q must be an integer property of input_schema", arg)
			}
		}
		if p.DefaultPerPage <= 0 {
			v.addf(field+".pagination.default_per_page", "must be positive")
		}
	}
	return r
}

func (v *validator) text(field, s string, max int) {
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		v.addf(field, "missing")
	case n > max:
		v.addf(field, "is %d characters; the budget is %d", n, max)
	}
}

func deref(p *bool) bool { return p != nil && *p }
