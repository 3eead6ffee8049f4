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
		BaseURL: strings.TrimSuffix(s.BaseURL, "/"), Headers: s.Headers, QueryArrays: s.QueryArrays,
		Errors: v.errorRules(&s.Errors),
	}
	switch tk.QueryArrays {
	case "":
		tk.QueryArrays = queryArraysComma
	case queryArraysComma, queryArraysRepeat:
	default:
		v.addf("query_arrays", "%q is not one of comma, repeat", s.QueryArrays)
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

// errorRules checks the errors section: dotted paths, and each code in at
// most one rule, with a code_field to find the codes in.
func (v *validator) errorRules(s *errorsSpec) ErrorRules {
	e := ErrorRules{MessageField: s.MessageField, OKField: s.OKField, CodeField: s.CodeField,
		Unauthorized: s.Unauthorized, RateLimited: s.RateLimited, Unavailable: s.Unavailable, DetailFields: s.DetailFields}
	if e.MessageField == "" {
		e.MessageField = "message"
	}
	paths := map[string]string{"message_field": e.MessageField, "ok_field": e.OKField, "code_field": e.CodeField}
	for i, f := range s.DetailFields {
		paths[fmt.Sprintf("detail_fields[%d]", i)] = f
	}
	rules := map[string][]string{"unauthorized": s.Unauthorized, "rate_limited": keys(s.RateLimited), "unavailable": s.Unavailable}
	if m := s.MissingScope; m != nil {
		e.MissingScope = &MissingScopeRule{Codes: m.Codes, NeededField: m.Needed, GrantedField: m.Granted}
		rules["missing_scope.codes"] = m.Codes
		paths["missing_scope.granted"] = m.Granted
		if len(m.Codes) == 0 {
			v.addf("errors.missing_scope.codes", "missing: name the codes that mean a missing scope")
		}
		if m.Needed == "" {
			v.addf("errors.missing_scope.needed", "missing: name the field that holds the needed scopes")
		}
		paths["missing_scope.needed"] = m.Needed
	}
	for _, name := range keys(paths) {
		if p := paths[name]; p != "" && !wirePathPattern.MatchString(p) {
			v.addf("errors."+name, "%q is not a dotted path", p)
		}
	}
	seen := map[string]string{}
	for _, rule := range keys(rules) {
		for _, code := range rules[rule] {
			if strings.TrimSpace(code) == "" {
				v.addf("errors."+rule, "holds an empty code")
			} else if prev, dup := seen[code]; dup {
				v.addf("errors."+rule, "code %q is also in %s", code, prev)
			}
			seen[code] = rule
		}
	}
	for code, secs := range s.RateLimited {
		if secs <= 0 {
			v.addf("errors.rate_limited."+code, "wait %d must be a positive number of seconds", secs)
		}
	}
	if len(seen) > 0 && e.CodeField == "" {
		v.addf("errors.code_field", "missing: name where the error body holds the codes the rules match")
	}
	return e
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
		v.oauth2(field, s, sc)
	} else {
		if s.CredentialLabel == "" {
			v.addf(field+".credential_label", "missing")
		}
		if len(s.Scopes) > 0 || len(s.UserScopes) > 0 || s.AuthorizationURL != "" || s.TokenURL != "" || s.ScopeSeparator != nil ||
			s.AuthorizationParams != nil || s.ClientAuth != "" || s.PKCE != nil || s.RevokeURL != "" || s.RevokeBody != "" || s.TokenResponse != "" {
			v.addf(field, "authorization_url, token_url, scopes and the other OAuth settings belong to oauth2 schemes only")
		}
	}
	v.text(field+".help", sc.Help, MaxDescriptionLen)
	return sc
}

// flowParams are the authorization request parameters the OAuth flow sets
// itself, which authorization_params must not override.
var flowParams = []string{"client_id", "redirect_uri", "response_type", "state", "scope", "user_scope", "code_challenge", "code_challenge_method"}

// oauth2 checks and fills the OAuth settings of an oauth2 scheme.
func (v *validator) oauth2(field string, s *schemeSpec, sc *Scheme) {
	urls := []struct{ name, u string }{{"authorization_url", s.AuthorizationURL}, {"token_url", s.TokenURL}}
	if s.RevokeURL != "" {
		urls = append(urls, struct{ name, u string }{"revoke_url", s.RevokeURL})
	}
	for _, f := range urls {
		if p, err := url.Parse(f.u); err != nil || p.Scheme != "https" || p.Host == "" {
			v.addf(field+"."+f.name, "%q must be an absolute https URL", f.u)
		}
	}
	sc.UserScopes, sc.RevokeURL = s.UserScopes, s.RevokeURL
	switch s.RevokeBody {
	case "", RevokeBodyForm:
		sc.RevokeBody = RevokeBodyForm
	case RevokeBodyJSON:
		sc.RevokeBody = RevokeBodyJSON
	default:
		v.addf(field+".revoke_body", "%q must be form or json", s.RevokeBody)
	}
	if s.RevokeBody != "" && s.RevokeURL == "" {
		v.addf(field+".revoke_body", "set without revoke_url")
	}
	sc.ScopeSeparator = " "
	if s.ScopeSeparator != nil {
		sc.ScopeSeparator = *s.ScopeSeparator
		if sc.ScopeSeparator != " " && sc.ScopeSeparator != "," {
			v.addf(field+".scope_separator", "%q must be \" \" or \",\"", sc.ScopeSeparator)
		}
	}
	for _, list := range [][]string{s.Scopes, s.UserScopes} {
		for _, sp := range list {
			if sp == "" || strings.ContainsAny(sp, " ,") {
				v.addf(field+".scopes", "%q must be one non-empty scope without spaces or commas", sp)
			}
		}
	}
	if len(s.AuthorizationParams) > 0 {
		sc.AuthorizationParams = s.AuthorizationParams
		for k := range s.AuthorizationParams {
			if slices.Contains(flowParams, k) {
				v.addf(field+".authorization_params."+k, "is set by the OAuth flow itself (scopes go in scopes and user_scopes)")
			}
		}
	}
	switch sc.ClientAuth = s.ClientAuth; sc.ClientAuth {
	case "":
		sc.ClientAuth = ClientAuthBody
	case ClientAuthBody, ClientAuthBasic:
	default:
		v.addf(field+".client_auth", "%q is not one of body, basic", s.ClientAuth)
	}
	sc.PKCE = s.PKCE == nil || *s.PKCE
	switch sc.TokenResponse = s.TokenResponse; sc.TokenResponse {
	case "":
		sc.TokenResponse = TokenResponseStandard
	case TokenResponseStandard, TokenResponseSlack:
	default:
		v.addf(field+".token_response", "%q is not one of standard, slack", s.TokenResponse)
	}
}

func (v *validator) identity(s *identitySpec) *IdentityRequest {
	id := &IdentityRequest{Kind: s.Kind, Method: s.Method, Path: s.Path, Document: s.Query, IDField: s.ID, LabelField: s.Label}
	switch id.Kind {
	case "", kindREST:
		id.Kind = kindREST
		if s.Method != http.MethodGet && s.Method != http.MethodPost {
			v.addf("identity.method", "%q must be GET or POST", s.Method)
		}
		if s.Query != "" {
			v.addf("identity.query", "only a graphql identity request has a query document")
		}
	case kindGraphQL:
		if id.Method == "" {
			id.Method = http.MethodPost
		}
		if id.Path == "" {
			id.Path = "/graphql"
		}
		if id.Method != http.MethodPost {
			v.addf("identity.method", "a graphql request is a POST")
		}
		if doc, err := parseGraphQL(s.Query); err != nil {
			v.addf("identity.query", "the GraphQL document %v", err)
		} else if doc.operation != opQuery || len(doc.variables) > 0 {
			v.addf("identity.query", "must be a query without variables")
		}
	default:
		v.addf("identity.kind", "%q is not one of rest, graphql", s.Kind)
	}
	if !strings.HasPrefix(id.Path, "/") {
		v.addf("identity.path", "%q must start with /", id.Path)
	}
	if s.ID == "" {
		v.addf("identity.id", "missing: name the response field that identifies the account")
	}
	if s.Label == "" {
		v.addf("identity.label", "missing: name the response field that labels the account")
	}
	return id
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
	if t.ReadOnly && a.Idempotent != nil && !t.Idempotent {
		v.addf(field+".annotations", "a read_only tool is idempotent")
	}
	addFieldsArgument(s)
	props := v.schema(t, field+".input_schema", s.InputSchema)
	var op string
	t.Request, op = v.request(field+".request", &s.Request, props)
	t.Result = v.result(field+".result", &s.Result, props, t.Request.Kind)
	v.readOnly(field, t, op)
	return t
}

// fieldsArgument is the argument a list tool gains to keep only some of
// the fields its result declares (result.fields), so that an agent that
// needs two fields of fifty items does not pay for all of them.
const fieldsArgument = "fields"

// addFieldsArgument adds the fields argument to the input schema of a
// list tool that declares two fields or more and takes no argument of that
// name itself. It is Switchboard's own argument: never sent upstream.
func addFieldsArgument(s *toolSpec) {
	r := s.Result
	if len(r.Fields) < 2 || (r.ListPath == "" && r.ListKey == "") || s.InputSchema == nil {
		return
	}
	props, _ := s.InputSchema["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
		s.InputSchema["properties"] = props
	}
	if _, taken := props[fieldsArgument]; taken {
		return
	}
	enum := make([]any, len(r.Fields))
	for i, f := range r.Fields {
		enum[i] = f
	}
	props[fieldsArgument] = map[string]any{
		"type":        "array",
		"items":       map[string]any{"type": "string", "enum": enum},
		"minItems":    1,
		"uniqueItems": true,
		"description": "Only these fields of each item (all when omitted), to keep the result small.",
	}
}

// readOnly holds the rule between annotations and requests: a GET only
// reads, and a read_only tool sends a GET, a rest request marked safe, or a
// graphql query.
func (v *validator) readOnly(field string, t *Tool, op string) {
	r := t.Request
	switch {
	case r.Kind == kindREST && r.Method == http.MethodGet && !t.ReadOnly:
		v.addf(field+".annotations.read_only", "a GET request only reads, so the tool is read_only")
	case r.Safe && !t.ReadOnly:
		v.addf(field+".request.safe", "a safe request belongs to a read_only tool")
	case !t.ReadOnly:
	case r.Kind == kindGraphQL && op != opQuery && op != "":
		v.addf(field+".annotations.read_only", "a GraphQL %s is not read-only", op)
	case r.Kind == kindREST && r.Method != http.MethodGet && !r.Safe:
		v.addf(field+".annotations.read_only", "a %s request is read-only only when marked safe: true (a POST that only reads, like a search)", r.Method)
	}
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
