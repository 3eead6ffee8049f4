// Package tools owns the toolkit catalog and the executor.
//
// The catalog is data: one YAML file per toolkit under tools/catalog/,
// embedded in the binary, describing the toolkit's base URL, static headers,
// auth schemes, identity request and tools (schema, request template, result
// shaping). The executor turns a tool call into upstream HTTP requests,
// validating the arguments first and mapping upstream failures onto
// DESIGN.md's error codes.
//
// tools imports none of Switchboard's other packages; it receives credentials
// through the Authorizer interface.
package tools

import (
	"embed"
	"encoding/json"
	"io/fs"
	"slices"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed catalog/*.yaml
var builtinFS embed.FS

// Catalog is a validated, immutable set of toolkits and their tools. It is
// safe for concurrent use; callers must not modify what it returns.
type Catalog struct {
	toolkits []*Toolkit // sorted by slug
	bySlug   map[string]*Toolkit
	tools    []*Tool // sorted by name
	byName   map[string]*Tool
}

// Toolkit is one third-party service and the tools it offers.
type Toolkit struct {
	// Slug is the lower-case identifier, e.g. "github".
	Slug string
	// Name is the display name, e.g. "GitHub".
	Name string
	// Description says what the toolkit is for, for agents and connect pages.
	Description string
	// BaseURL is the API root every request path is relative to; the
	// executor's ExecutorOptions.BaseURLs may override it.
	BaseURL string
	// Headers are sent with every request, before the credential.
	Headers map[string]string
	// QueryArrays is how an array argument travels in a query string:
	// "comma" (labels=a,b) or "repeat" (labelIds=a&labelIds=b).
	QueryArrays string
	// Schemes are the ways an account of this toolkit can be authorized.
	Schemes []*Scheme
	// Identity is the request that tells whom a credential belongs to, or
	// nil when the toolkit has none.
	Identity *IdentityRequest
	// Errors says how the API reports failures in a response body.
	Errors ErrorRules
	// Tools are the toolkit's tools, sorted by name.
	Tools []*Tool
}

// IdentityRequest describes the request that resolves a credential to an
// upstream identity (GitHub: GET /user; Linear: the GraphQL query
// { viewer { id email } }).
type IdentityRequest struct {
	// Kind is "rest" or "graphql".
	Kind string
	// Method is the HTTP method (POST for graphql).
	Method string
	// Path is the request path, relative to the base URL.
	Path string
	// Document is the GraphQL query of a graphql identity request.
	Document string
	// IDField is the dotted path of the stable identifier in the response.
	IDField string
	// LabelField is the dotted path of the human-readable label (a login,
	// an email address).
	LabelField string
}

// ErrorRules says where an API puts its error details.
type ErrorRules struct {
	// MessageField is the dotted path of the human-readable message in an
	// error body ("message" for GitHub, "error" for Slack).
	MessageField string
	// OKField, when set, is the dotted path of a boolean that is false when
	// a request failed even though the status was 2xx (Slack's "ok").
	OKField string
	// CodeField is the dotted path of the API's machine-readable error
	// codes; through arrays it collects each element's (Google's
	// error.errors.reason). The rules below match these codes.
	CodeField string
	// Unauthorized lists the codes that mean the credential was rejected
	// (Slack's invalid_auth): the *Error reports Unauthorized.
	Unauthorized []string
	// RateLimited maps the codes that mean a rate limit to the seconds to
	// wait when no header says.
	RateLimited map[string]int
	// Unavailable lists the codes that mean the API failed on its side.
	Unavailable []string
	// MissingScope lists the codes that mean the credential lacks a scope,
	// and where the error body names the scopes; nil when there are none.
	MissingScope *MissingScopeRule
	// DetailFields are dotted paths of further details the message repeats.
	DetailFields []string
}

// MissingScopeRule recognizes an error that names the scope a credential
// lacks (Slack: {"error": "missing_scope", "needed": "chat:write",
// "provided": "channels:read"}).
type MissingScopeRule struct {
	// Codes are the error codes that mean a missing scope.
	Codes []string
	// NeededField is the dotted path of the needed scopes.
	NeededField string
	// GrantedField is the dotted path of the scopes the credential has, or
	// "" when the API does not say.
	GrantedField string
}

// Tool is one action of a toolkit: its MCP definition plus the request
// template that performs it.
type Tool struct {
	// Name is TOOLKIT_ACTION in upper snake case, e.g. GITHUB_CREATE_ISSUE.
	Name string
	// Toolkit is the slug of the toolkit the tool belongs to.
	Toolkit string
	// Title is a short human-readable name.
	Title string
	// Description is written for an LLM: when to use the tool, what it
	// returns, what the important arguments mean.
	Description string
	// ReadOnly, Destructive, Idempotent and OpenWorld are the MCP tool
	// annotations; the catalog sets each of them explicitly.
	ReadOnly, Destructive, Idempotent, OpenWorld bool
	// InputSchema is a JSON Schema (draft 2020-12) of the arguments object.
	InputSchema json.RawMessage
	// Request is the template of the upstream request.
	Request Request
	// Result says how the upstream response becomes a Result.
	Result Shape

	schema   *jsonschema.Schema
	defaults map[string]any // of top-level properties, sent when absent
	kit      *Toolkit
}

// Request is the template of a tool's upstream request.
type Request struct {
	// Kind is "rest" or "graphql". A graphql request is a POST of the JSON
	// object {query: Document, variables: {...}}.
	Kind string
	// Method is the HTTP method.
	Method string
	// Path is relative to the base URL; {name} placeholders are filled with
	// the URL-path-escaped argument of that name, and {name*} placeholders
	// with its segments, each escaped.
	Path string
	// Query lists the arguments sent as query parameters (arrays as the
	// toolkit's QueryArrays says), when present.
	Query []string
	// Body lists the arguments sent as members of a JSON object body, when
	// present. A rest request with nothing for its body has no body.
	Body []string
	// Document is the GraphQL document of a graphql request.
	Document string
	// Variables lists the arguments sent as GraphQL variables.
	Variables []string
	// Names maps an argument to its name on the wire (query parameter,
	// dotted body path, or variable) where the two differ.
	Names map[string]string
	// FixedQuery holds constant query parameters.
	FixedQuery map[string]string
	// FixedBody holds constant body members (variables for graphql).
	FixedBody map[string]any
	// NullWhen maps a body (or variables) argument to the value that is
	// sent as JSON null in its place: how an API's "null clears it" is
	// offered under a schema of one type (GitHub's milestone 0 sends
	// milestone: null). Values are JSON values, numbers as json.Number.
	NullWhen map[string]any
	// BodyBuilder names the registered Go function that turns the arguments
	// sent nowhere else into body members (variables for graphql), or "".
	BodyBuilder string
	// Safe marks a rest POST that only reads, like a search.
	Safe bool
	// UserToken asks for the account's user token where its authorization
	// yielded one beside the main (bot) token: Slack's search accepts user
	// tokens only.
	UserToken bool

	builder bodyBuilder
}

// Shape says how an upstream response becomes a Result.
type Shape struct {
	// Transform names the registered Go function applied to the decoded
	// response before anything else, or "".
	Transform string
	// Path is the dotted path of the value to shape; "" is the whole
	// response. ListPath, Fields and Pagination's paths are relative to it.
	Path string
	// Fields are the dotted paths kept from the response object, or from
	// each list item; empty keeps everything.
	Fields []string
	// ListPath is the dotted path of the list inside an object response; ""
	// when the response itself is the list (or not a list).
	ListPath string
	// ListKey is the Structured key that holds a list ("items" by default).
	ListKey string
	// Text is the template of the summary of an object, or of each line of
	// a list: {field} placeholders name Fields (or, after a Transform, the
	// members it adds for the text).
	Text string
	// Cut maps dotted paths (of the object, or of each list item) to the
	// most characters their strings keep.
	Cut map[string]int
	// Extra names members of the object holding the list that Structured
	// keeps next to it (GitHub search's total_count).
	Extra []string
	// Pagination, when set, says which arguments page through a list.
	Pagination *Pagination

	transform transform
	// picks and text are Fields and Text compiled once (see
	// compileFields, compileText); nil when the Shape was not validated.
	picks []pickNode
	text  textTemplate
}

// Pagination names a list tool's page arguments, so that the Result can say
// how to get the next page. A list pages either by number (PageArg) or by
// cursor (CursorArg).
type Pagination struct {
	// PageArg is the 1-based page number argument.
	PageArg string
	// PerPageArg is the page size argument ("" when a cursor API has none).
	PerPageArg string
	// DefaultPerPage is the page size the API uses when PerPageArg is absent.
	DefaultPerPage int
	// CursorArg is the argument that takes the cursor of the next page.
	CursorArg string
	// NextCursor is the dotted path of the next page's cursor in the
	// response; absent or empty means there is no next page.
	NextCursor string
	// HasMore, when set, is the dotted path of a boolean that is false on
	// the last page (Notion's has_more, GraphQL's pageInfo.hasNextPage).
	HasMore string
}

var builtin = sync.OnceValues(func() (*Catalog, error) {
	sub, err := fs.Sub(builtinFS, "catalog")
	if err != nil {
		return nil, err
	}
	return LoadCatalog(sub)
})

// Builtin returns the catalog embedded in the binary (tools/catalog/*.yaml).
// It is loaded once and shared.
func Builtin() (*Catalog, error) { return builtin() }

// BuiltinWith returns a new catalog of the built-in toolkits plus the
// operator's toolkit files in dirs (--toolkits-dir); see LoadCatalogs. With
// no dirs it is Builtin.
func BuiltinWith(dirs ...string) (*Catalog, error) {
	if len(dirs) == 0 {
		return Builtin()
	}
	sub, err := fs.Sub(builtinFS, "catalog")
	if err != nil {
		return nil, err
	}
	return LoadCatalogs(sub, dirs...)
}

// Toolkits returns every toolkit, sorted by slug.
func (c *Catalog) Toolkits() []*Toolkit { return slices.Clone(c.toolkits) }

// Toolkit returns the toolkit with slug, or nil when there is none.
func (c *Catalog) Toolkit(slug string) *Toolkit { return c.bySlug[slug] }

// Tool returns the tool with name, or nil when there is none.
func (c *Catalog) Tool(name string) *Tool { return c.byName[name] }

// Tools returns every tool of every toolkit, sorted by name.
func (c *Catalog) Tools() []*Tool { return slices.Clone(c.tools) }

// Scheme returns the scheme of kind ("bearer_token", "api_key" or "oauth2")
// that the toolkit offers, or nil when it offers none.
func (tk *Toolkit) Scheme(kind string) *Scheme {
	for _, s := range tk.Schemes {
		if s.Kind == kind {
			return s
		}
	}
	return nil
}
