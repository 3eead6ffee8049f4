package tools

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Defaults of ExecutorOptions.
const (
	DefaultTimeout          = 30 * time.Second
	DefaultMaxResponseBytes = 10 << 20
	DefaultUserAgent        = "switchboard"
)

// ExecutorOptions configures an Executor. The zero value is usable.
type ExecutorOptions struct {
	// Client sends the upstream requests; nil means a client with sane
	// connection timeouts. Its own Timeout should be zero: Timeout applies.
	Client *http.Client
	// Timeout bounds each upstream request, body included; default 30s.
	Timeout time.Duration
	// BaseURLs overrides toolkits' base URLs by slug, e.g. for GitHub
	// Enterprise or a fake in tests (--toolkit-url github=http://…).
	BaseURLs map[string]string
	// UserAgent is sent with every request; default "switchboard".
	UserAgent string
	// MaxResponseBytes caps the size of a response body; default 10 MiB.
	MaxResponseBytes int64
	// Observe, when set, is told of every upstream HTTP attempt: the
	// toolkit, the status (0 when no response arrived) and how long it
	// took. It must be safe for concurrent use and quick (metrics).
	Observe func(toolkit string, status int, took time.Duration)
	// ResultBudget bounds each result's text and the JSON of its
	// structured content, in bytes; 0 means DefaultResultBudget, and more
	// than MaxResultBytes is MaxResultBytes.
	ResultBudget int
}

// Executor performs tool calls against upstream APIs. It holds no per-user
// state and is safe for concurrent use.
type Executor struct {
	catalog  *Catalog
	client   *http.Client
	timeout  time.Duration
	baseURLs map[string]string
	agent    string
	maxBytes int64
	// backoff holds the waits before each retry of an idempotent read; its
	// length is the number of retries.
	backoff []time.Duration
	observe func(toolkit string, status int, took time.Duration)
	budget  int
}

// Result is the outcome of a successful tool call.
type Result struct {
	// Text is a short human-readable summary, including how to get the next
	// page of a full list.
	Text string
	// Structured is the shaped data: the kept fields of an object, or for a
	// list {<list_key>: [...], "count": n, "page": p, "next_page": p+1}.
	// Upstream numbers are json.Number, so large ids survive.
	Structured map[string]any
	// Status is the HTTP status of the upstream's answer.
	Status int
}

// Identity is whom a credential belongs to upstream.
type Identity struct {
	// ID is the stable upstream identifier (GitHub: the numeric user id).
	ID string
	// Label is the human-readable name (GitHub: the login).
	Label string
}

// NewExecutor returns an Executor for the tools of c.
func NewExecutor(c *Catalog, opts ExecutorOptions) *Executor {
	e := &Executor{
		catalog: c, client: opts.Client, timeout: opts.Timeout, agent: opts.UserAgent,
		maxBytes: opts.MaxResponseBytes, baseURLs: map[string]string{}, observe: opts.Observe,
		backoff: []time.Duration{100 * time.Millisecond, 400 * time.Millisecond},
		budget:  opts.ResultBudget,
	}
	switch {
	case e.budget <= 0:
		e.budget = DefaultResultBudget
	case e.budget > MaxResultBytes:
		e.budget = MaxResultBytes
	}
	for slug, u := range opts.BaseURLs {
		e.baseURLs[slug] = strings.TrimSuffix(u, "/")
	}
	if e.client == nil {
		e.client = &http.Client{CheckRedirect: sameOrigin, Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   32,
			ForceAttemptHTTP2:     true,
		}}
	}
	if e.timeout <= 0 {
		e.timeout = DefaultTimeout
	}
	if e.agent == "" {
		e.agent = DefaultUserAgent
	}
	if e.maxBytes <= 0 {
		e.maxBytes = DefaultMaxResponseBytes
	}
	return e
}

// Validate checks args against t's input schema. It returns nil or an
// *Error with code INVALID_ARGUMENTS whose Problems name every problem.
func (e *Executor) Validate(t *Tool, args map[string]any) error {
	if t == nil {
		return errNoTool
	}
	if _, err := t.validate(args); err != nil {
		return err
	}
	return nil
}

// Call validates args, then performs t's upstream request with auth (nil
// sends no credential) and returns the shaped result. No request is made
// when validation fails. Errors are *Error values, except that an error of
// auth that carries its own code (an ErrorCode method) is returned as is.
func (e *Executor) Call(ctx context.Context, t *Tool, args map[string]any, auth Authorizer) (*Result, error) {
	if t == nil {
		return nil, errNoTool
	}
	norm, err := t.validate(args)
	if err != nil {
		return nil, err
	}
	norm = boundPageSize(t, norm)
	target, body, err := buildRequest(t, upstreamArgs(norm))
	if err != nil {
		return nil, err
	}
	graphql := t.Request.Kind == kindGraphQL
	// Every read_only tool is idempotent: a GET, a safe POST or a GraphQL
	// query may be sent again.
	resp, err := e.send(ctx, t.kit, outbound{method: t.Request.Method, target: target, body: body, retry: t.ReadOnly, graphql: graphql}, auth)
	if err != nil {
		return nil, err
	}
	if res := binaryResult(t.kit, resp); res != nil {
		res.Status = resp.status
		return res, nil
	}
	doc, err := decodeBody(t.kit, resp, graphql)
	if err != nil {
		return nil, err
	}
	res := t.shape(doc, resp, norm, e.budget)
	res.Status = resp.status
	return res, nil
}

// sameOrigin follows a redirect only within the origin of the request:
// net/http drops Authorization on a redirect to another host, but not a
// custom credential header (an api_key scheme's X-Api-Key), which must never
// reach a host the toolkit does not name. A refused redirect comes back as
// the 3xx answer itself, an upstream error.
func sameOrigin(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("stopped after 5 redirects")
	}
	if req.URL.Scheme != via[0].URL.Scheme || req.URL.Host != via[0].URL.Host {
		return http.ErrUseLastResponse
	}
	return nil
}

// upstreamArgs is args without Switchboard's own arguments (fields), which
// shape the result and are never sent upstream, whatever the request's
// builder does with the rest.
func upstreamArgs(args map[string]any) map[string]any {
	if _, ok := args[fieldsArgument]; !ok {
		return args
	}
	out := make(map[string]any, len(args)-1)
	for k, v := range args {
		if k != fieldsArgument {
			out[k] = v
		}
	}
	return out
}

// boundPageSize asks for at most MaxListItems items when the agent named
// no page size and the API's own default is larger: a result shows at most
// MaxListItems, and a page cut short loses its next-page cursor, so a
// larger default page would always be cut.
func boundPageSize(t *Tool, args map[string]any) map[string]any {
	p := t.Result.Pagination
	if p == nil || p.PerPageArg == "" || p.DefaultPerPage <= MaxListItems {
		return args
	}
	if _, given := args[p.PerPageArg]; given {
		return args
	}
	out := make(map[string]any, len(args)+1)
	for k, v := range args {
		out[k] = v
	}
	out[p.PerPageArg] = MaxListItems
	return out
}

var errNoTool = errorf(CodeInternal, nil, "Switchboard was asked to run a tool it does not know; tell the operator.")

// Identify runs the toolkit's identity request with auth and returns whom
// the credential belongs to. A rejected credential yields an *Error for
// which Unauthorized is true.
func (e *Executor) Identify(ctx context.Context, toolkit string, auth Authorizer) (Identity, error) {
	kit := e.catalog.Toolkit(toolkit)
	if kit == nil {
		return Identity{}, errorf(CodeToolkitUnknown, nil, "There is no toolkit %q; list_toolkits shows the available ones.", toolkit)
	}
	id := kit.Identity
	if id == nil {
		return Identity{}, errorf(CodeInternal, nil, "Toolkit %s has no identity request; tell the operator.", kit.Name)
	}
	out := outbound{method: id.Method, target: id.Path, retry: id.Method == http.MethodGet}
	if id.Kind == kindGraphQL {
		out.graphql, out.retry = true, true
		out.body, _ = json.Marshal(map[string]any{"query": id.Document})
	}
	resp, err := e.send(ctx, kit, out, auth)
	if err != nil {
		return Identity{}, err
	}
	doc, err := decodeBody(kit, resp, out.graphql)
	if err != nil {
		return Identity{}, err
	}
	who := Identity{ID: scalarText(lookup(doc, id.IDField)), Label: scalarText(lookup(doc, id.LabelField))}
	if who.ID == "" {
		return Identity{}, errorf(CodeUpstreamError, nil, "%s's identity response has no %q field, so the account cannot be identified; try again later.", kit.Name, id.IDField)
	}
	if who.Label == "" {
		who.Label = who.ID
	}
	return who, nil
}

// scalarText renders a JSON scalar as text: "" for null and absent values.
func scalarText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		data, _ := json.Marshal(v)
		return string(data)
	}
}

// queryText renders a query parameter; arrays become comma-separated lists,
// the convention of GitHub (labels=bug,ui) and most REST APIs.
func queryText(v any) string {
	if list, ok := v.([]any); ok {
		parts := make([]string, len(list))
		for i, item := range list {
			parts[i] = scalarText(item)
		}
		return strings.Join(parts, ",")
	}
	return scalarText(v)
}
