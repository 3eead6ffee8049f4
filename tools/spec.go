package tools

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The toolkit file format, one file per toolkit, named <slug>.yaml:
//
//	slug, name, description, base_url    the toolkit
//	headers: {Name: value}                static headers of every request
//	query_arrays: comma | repeat          how an array argument travels in a
//	                                      query: labels=a,b (comma, default)
//	                                      or labelIds=a&labelIds=b (repeat)
//	errors:                               how the API reports failures (below)
//	schemes: [scheme]                     how an account is authorized (below)
//	identity: {kind, method, path, query, id, label}
//	                                      whom a credential belongs to: a rest
//	                                      request (method GET or POST, path),
//	                                      or kind graphql with a query
//	                                      document (POST to path, default
//	                                      /graphql); id and label are dotted
//	                                      paths in the response
//	tools:
//	  - name: TOOLKIT_ACTION
//	    title, description                for the agent (description ≤ 1024)
//	    annotations: {read_only, destructive, idempotent, open_world}  all required
//	    input_schema: JSON Schema 2020-12, type object, additionalProperties
//	                  false; the default of a top-level property is sent
//	                  when the argument is absent
//	    request: (below)
//	    result: (below)
//
// errors says where an error body holds its details, and what the API's
// own error codes mean, so that they map onto DESIGN.md's codes as HTTP
// statuses do:
//
//	message_field: error.message   the human-readable message (default
//	                               message); its text is repeated, shortened
//	ok_field: ok                   a boolean that is false when a 2xx answer
//	                               is a failure (Slack)
//	code_field: error.errors.reason
//	                               where the machine-readable codes are; a
//	                               path through arrays collects every one
//	unauthorized: [code]           the credential was rejected: the account
//	                               must be re-authorized (Unauthorized)
//	rate_limited: {code: seconds}  UPSTREAM_RATE_LIMITED, waiting the
//	                               seconds given when no header says
//	unavailable: [code]            UPSTREAM_UNAVAILABLE
//	missing_scope: {codes: [code], needed: path, granted: path}
//	                               the credential lacks a scope; the message
//	                               names the needed (and granted) scopes
//	detail_fields: [path]          further fields the message repeats
//	                               (Slack's response_metadata.messages)
//
// Code rules apply to 2xx failures (ok_field) and to error statuses alike;
// an HTTP 401 is always unauthorized. A toolkit without rate_limited codes
// also takes a 403 whose message mentions a rate limit for one (GitHub's
// secondary limits); with them, only its codes and headers count.
//
// A scheme is {kind, header, prefix, credential_label, help} plus, for kind
// oauth2 only:
//
//	authorization_url, token_url   https endpoints (required)
//	scopes: [s]                    requested scopes (Slack: bot scopes)
//	user_scopes: [s]               Slack v2's user_scope parameter
//	scope_separator: " "           joins scopes in the request; Slack and
//	                               Linear use ","
//	authorization_params: {k: v}   extra authorization request parameters
//	                               (Google: access_type offline, prompt
//	                               consent); never the ones the flow owns
//	client_auth: body | basic      client credentials at the token endpoint:
//	                               form fields (default) or HTTP Basic
//	                               (Notion)
//	pkce: true                     send an S256 code challenge (default true)
//	revoke_url                     https endpoint that revokes a token
//	revoke_body: form | json       how the token travels to it: RFC 7009's
//	                               form (default) or a JSON object {token}
//	                               with the toolkit's headers (Notion)
//	token_response: standard | slack
//	                               the token endpoint's answer: RFC 6749
//	                               (default), or Slack's oauth.v2.access
//	                               (ok:false errors; the bot token at the
//	                               top level, the user token under
//	                               authed_user)
//
// A request is one HTTP call:
//
//	kind: rest (default) | graphql
//	method, path: /x/{arg}         rest: GET, POST, PUT, PATCH or DELETE;
//	                               graphql: always POST, path default /graphql;
//	                               {arg*} spans segments (below)
//	query: [arg, arg: wireName]    rest: arguments sent as query parameters,
//	                               under another name when mapped
//	body: [arg, arg: wire.path]    rest: arguments sent as members of a JSON
//	                               body; a dotted name nests (start.dateTime)
//	query: "<document>"            graphql: the GraphQL document, with one
//	                               operation
//	variables: [arg, arg: var]     graphql: arguments sent as variables
//	fixed_query: {name: value}     constant query parameters (format: full)
//	fixed_body: {name: value}      constant body members (or variables)
//	null_when: {arg: value}        a body argument (or variable) given this
//	                               value is sent as null: the way to clear a
//	                               field where the schema keeps one type
//	                               (milestone: 0 sends milestone: null)
//	body_builder: name             a Go function registered in this package
//	                               that turns the remaining arguments into
//	                               body members (or variables), e.g.
//	                               gmail_mime
//	safe: true                     a rest POST that only reads (a search), so
//	                               it may be read_only
//	token: user                    the account's user token, where its
//	                               authorization also yielded a bot token
//	                               (Slack's search works with user tokens
//	                               only); default the account's main token
//
// A result says how the response becomes a Result:
//
//	transform: name                a Go function registered in this package,
//	                               applied to the decoded response first
//	                               (gmail_message decodes MIME bodies)
//	path: data.issue               the value to shape (default the whole
//	                               response); the paths below are relative
//	                               to it
//	fields: [a, b.c]               dotted paths kept (of each list item)
//	list_path, list_key            where the list is; its Structured key
//	text: "{a} {b.c}"              the summary (of each list item); a
//	                               placeholder names a field or a path
//	                               inside one; arrays join with ", ". With
//	                               a transform it may also name a member
//	                               the transform adds for the text only
//	                               (github_content's summary), which
//	                               Structured keeps only if listed in fields
//	cut: {patch: 2000}             fields (dotted paths, of each list item)
//	                               whose strings are cut to that many
//	                               characters, marked
//	extra: [total_count]           members of the object holding the list
//	                               (list_path) kept next to it in
//	                               Structured and named in the summary
//	pagination:                    how to ask for the next page, either
//	  {page_arg, per_page_arg, default_per_page}       numbered pages, or
//	  {cursor_arg, next_cursor, has_more, per_page_arg, default_per_page}
//	                               cursors: next_cursor (and has_more, when
//	                               the API has such a flag) are dotted paths
//
// Results are bounded: lists hold at most MaxListItems items and
// Structured at most MaxResultBytes of JSON (items, then long strings, are
// cut, with a note in Text saying how to page or narrow), and strings that
// are base64 blobs, or a binary response, are described, never inlined.
//
// Every argument is sent exactly once (path, query, body, variables, or the
// body builder, which receives every argument not sent otherwise), and
// every {arg} in a path is a required string or integer, escaped as one
// segment. A {arg*} placeholder is a string property that spans segments
// (a file path, docs/README.md): each segment is escaped on its own, and
// empty, . and .. segments are refused; when the argument is optional and
// absent, or "", it adds no segment. A read_only tool
// is idempotent and not destructive, and its request is a GET, a rest
// request marked safe, or a graphql query; a GET is always read_only.
//
// Numbers in arguments are checked exactly, whether the caller decoded them
// as float64 or json.Number, and sent as they were given (an integer as
// plain digits). An integer argument is refused beyond ±(2^53-1), where a
// double no longer holds every integer, even when its schema says nothing;
// the built-in catalog states each integer's bounds as the API has them.
//
// Every key is checked (KnownFields), so a typo is an error rather than a
// silently ignored setting.
type toolkitSpec struct {
	Slug        string            `yaml:"slug"`
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	BaseURL     string            `yaml:"base_url"`
	Headers     map[string]string `yaml:"headers"`
	QueryArrays string            `yaml:"query_arrays"`
	Errors      errorsSpec        `yaml:"errors"`
	Schemes     []schemeSpec      `yaml:"schemes"`
	Identity    *identitySpec     `yaml:"identity"`
	Tools       []toolSpec        `yaml:"tools"`
}

type errorsSpec struct {
	MessageField string            `yaml:"message_field"`
	OKField      string            `yaml:"ok_field"`
	CodeField    string            `yaml:"code_field"`
	Unauthorized []string          `yaml:"unauthorized"`
	RateLimited  map[string]int    `yaml:"rate_limited"`
	Unavailable  []string          `yaml:"unavailable"`
	MissingScope *missingScopeSpec `yaml:"missing_scope"`
	DetailFields []string          `yaml:"detail_fields"`
}

type missingScopeSpec struct {
	Codes   []string `yaml:"codes"`
	Needed  string   `yaml:"needed"`
	Granted string   `yaml:"granted"`
}

type schemeSpec struct {
	Kind                string            `yaml:"kind"`
	Header              string            `yaml:"header"`
	Prefix              *string           `yaml:"prefix"`
	CredentialLabel     string            `yaml:"credential_label"`
	Help                string            `yaml:"help"`
	AuthorizationURL    string            `yaml:"authorization_url"`
	TokenURL            string            `yaml:"token_url"`
	Scopes              []string          `yaml:"scopes"`
	UserScopes          []string          `yaml:"user_scopes"`
	ScopeSeparator      *string           `yaml:"scope_separator"`
	AuthorizationParams map[string]string `yaml:"authorization_params"`
	ClientAuth          string            `yaml:"client_auth"`
	PKCE                *bool             `yaml:"pkce"`
	RevokeURL           string            `yaml:"revoke_url"`
	RevokeBody          string            `yaml:"revoke_body"`
	TokenResponse       string            `yaml:"token_response"`
}

type identitySpec struct {
	Kind   string `yaml:"kind"`
	Method string `yaml:"method"`
	Path   string `yaml:"path"`
	Query  string `yaml:"query"`
	ID     string `yaml:"id"`
	Label  string `yaml:"label"`
}

type toolSpec struct {
	Name        string          `yaml:"name"`
	Title       string          `yaml:"title"`
	Description string          `yaml:"description"`
	Annotations annotationsSpec `yaml:"annotations"`
	InputSchema map[string]any  `yaml:"input_schema"`
	Request     requestSpec     `yaml:"request"`
	Result      resultSpec      `yaml:"result"`
}

// annotationsSpec uses pointers so that a missing annotation is an error
// rather than a silent false.
type annotationsSpec struct {
	ReadOnly    *bool `yaml:"read_only"`
	Destructive *bool `yaml:"destructive"`
	Idempotent  *bool `yaml:"idempotent"`
	OpenWorld   *bool `yaml:"open_world"`
}

type requestSpec struct {
	Kind        string            `yaml:"kind"`
	Method      string            `yaml:"method"`
	Path        string            `yaml:"path"`
	Query       queryField        `yaml:"query"`
	Body        paramList         `yaml:"body"`
	Variables   paramList         `yaml:"variables"`
	FixedQuery  map[string]string `yaml:"fixed_query"`
	FixedBody   map[string]any    `yaml:"fixed_body"`
	NullWhen    map[string]any    `yaml:"null_when"`
	BodyBuilder string            `yaml:"body_builder"`
	Safe        bool              `yaml:"safe"`
	Token       string            `yaml:"token"`
}

// param is one argument of a request list and its name on the wire.
type param struct{ arg, wire string }

// paramList is a YAML list whose items are "arg" or a one-pair map
// {arg: wire_name}.
type paramList []param

func (l *paramList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return fmt.Errorf("line %d: want a list of argument names", n.Line)
	}
	for _, item := range n.Content {
		switch {
		case item.Kind == yaml.ScalarNode:
			*l = append(*l, param{item.Value, item.Value})
		case item.Kind == yaml.MappingNode && len(item.Content) == 2 &&
			item.Content[0].Kind == yaml.ScalarNode && item.Content[1].Kind == yaml.ScalarNode:
			*l = append(*l, param{item.Content[0].Value, item.Content[1].Value})
		default:
			return fmt.Errorf("line %d: want an argument name or one \"argument: wire_name\" pair", item.Line)
		}
	}
	return nil
}

// queryField is a rest request's query parameter list or a graphql
// request's document.
type queryField struct {
	params   paramList
	document string
}

func (q *queryField) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		q.document = n.Value
		return nil
	}
	return q.params.UnmarshalYAML(n)
}

type resultSpec struct {
	Transform  string          `yaml:"transform"`
	Path       string          `yaml:"path"`
	Fields     []string        `yaml:"fields"`
	ListPath   string          `yaml:"list_path"`
	ListKey    string          `yaml:"list_key"`
	Text       string          `yaml:"text"`
	Cut        map[string]int  `yaml:"cut"`
	Extra      []string        `yaml:"extra"`
	Pagination *paginationSpec `yaml:"pagination"`
}

type paginationSpec struct {
	PageArg        string `yaml:"page_arg"`
	PerPageArg     string `yaml:"per_page_arg"`
	DefaultPerPage int    `yaml:"default_per_page"`
	CursorArg      string `yaml:"cursor_arg"`
	NextCursor     string `yaml:"next_cursor"`
	HasMore        string `yaml:"has_more"`
}

// LoadCatalog reads every *.yaml file in the root of fsys, one toolkit per
// file, and validates them together. The error lists every problem found,
// each naming the file and the field.
func LoadCatalog(fsys fs.FS) (*Catalog, error) {
	return loadSources([]source{{fsys: fsys}})
}

// LoadCatalogs reads the toolkit files in the root of builtin, as
// LoadCatalog does, and then those of each directory in dirs: toolkits an
// operator wrote (--toolkits-dir), held to the same format and rules. A
// directory without *.yaml files is an error, and so is a slug defined
// twice, naming both files.
func LoadCatalogs(builtin fs.FS, dirs ...string) (*Catalog, error) {
	srcs := []source{{fsys: builtin}}
	for _, d := range dirs {
		srcs = append(srcs, source{fsys: os.DirFS(d), dir: d})
	}
	return loadSources(srcs)
}

// source is a set of toolkit files: the built-in catalog (dir "") or an
// operator's directory, whose path prefixes the file names in errors.
type source struct {
	fsys fs.FS
	dir  string
}

func (s source) name(file string) string {
	if s.dir == "" {
		return file
	}
	return filepath.Join(s.dir, file)
}

func loadSources(srcs []source) (*Catalog, error) {
	c := &Catalog{bySlug: map[string]*Toolkit{}, byName: map[string]*Tool{}}
	from := map[string]string{} // slug → the file that defined it
	var errs []error
	for i, src := range srcs {
		names, err := fs.Glob(src.fsys, "*.yaml")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(names) == 0 {
			if src.dir == "" {
				errs = append(errs, errors.New("tools: catalog has no *.yaml files"))
			} else {
				errs = append(errs, fmt.Errorf("%s: toolkits directory holds no *.yaml files (or cannot be read)", src.dir))
			}
			continue
		}
		for _, name := range names {
			tk, err := loadToolkit(src.fsys, name, src.name(name))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if prev, ok := from[tk.Slug]; ok {
				errs = append(errs, fmt.Errorf("%s: slug %q is already defined by %s; rename one of them", src.name(name), tk.Slug, prev))
				continue
			}
			from[tk.Slug] = src.name(name)
			if i == 0 && len(srcs) > 1 {
				from[tk.Slug] = "the built-in toolkit file " + name
			}
			c.bySlug[tk.Slug] = tk
			c.toolkits = append(c.toolkits, tk)
			for _, t := range tk.Tools {
				c.byName[t.Name] = t // unique: names start with the slug, and slugs are unique
				c.tools = append(c.tools, t)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Slice(c.toolkits, func(i, j int) bool { return c.toolkits[i].Slug < c.toolkits[j].Slug })
	sort.Slice(c.tools, func(i, j int) bool { return c.tools[i].Name < c.tools[j].Name })
	return c, nil
}

// loadToolkit reads and validates file name of fsys, reporting it as shown.
func loadToolkit(fsys fs.FS, name, shown string) (*Toolkit, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	var spec toolkitSpec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil {
		return nil, fmt.Errorf("%s: %w", shown, err)
	}
	if err := dec.Decode(new(any)); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: holds more than one YAML document; one toolkit per file", shown)
	}
	v := &validator{file: shown}
	tk := v.toolkit(&spec)
	if want := strings.TrimSuffix(path.Base(name), ".yaml"); spec.Slug != "" && spec.Slug != want {
		v.addf("slug", "%q does not match the file name (want %q)", spec.Slug, want)
	}
	if len(v.errs) > 0 {
		return nil, errors.Join(v.errs...)
	}
	return tk, nil
}

// validator collects the problems of one file, each prefixed with the file
// and the field.
type validator struct {
	file string
	errs []error
}

func (v *validator) addf(field, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("%s: %s: %s", v.file, field, fmt.Sprintf(format, args...)))
}
