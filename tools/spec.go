package tools

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The toolkit file format, one file per toolkit, named <slug>.yaml:
//
//	slug, name, description, base_url    the toolkit
//	headers: {Name: value}                static headers of every request
//	errors: {message_field, ok_field}     where error details live; ok_field
//	                                      makes a 2xx with ok:false an error
//	schemes: [{kind, header, prefix, credential_label, help,
//	           authorization_url, token_url, scopes}]
//	identity: {method, path, id, label}   whom a credential belongs to
//	tools:
//	  - name: TOOLKIT_ACTION
//	    title, description                for the agent (description ≤ 1024)
//	    annotations: {read_only, destructive, idempotent, open_world}  all required
//	    input_schema: JSON Schema 2020-12, type object, additionalProperties false
//	    request: {kind: rest, method, path: /x/{arg}, query: [args], body: [args]}
//	    result: {fields: [a, b.c], list_path, list_key, text: "{a} {b.c}",
//	             pagination: {page_arg, per_page_arg, default_per_page}}
//
// Every argument is sent exactly once (path, query or body), every {arg} in
// a path is a required string or integer, and request kind graphql is
// reserved for later.
//
// Every key is checked (KnownFields), so a typo is an error rather than a
// silently ignored setting.
type toolkitSpec struct {
	Slug        string            `yaml:"slug"`
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	BaseURL     string            `yaml:"base_url"`
	Headers     map[string]string `yaml:"headers"`
	Errors      errorsSpec        `yaml:"errors"`
	Schemes     []schemeSpec      `yaml:"schemes"`
	Identity    *identitySpec     `yaml:"identity"`
	Tools       []toolSpec        `yaml:"tools"`
}

type errorsSpec struct {
	MessageField string `yaml:"message_field"`
	OKField      string `yaml:"ok_field"`
}

type schemeSpec struct {
	Kind             string   `yaml:"kind"`
	Header           string   `yaml:"header"`
	Prefix           *string  `yaml:"prefix"`
	CredentialLabel  string   `yaml:"credential_label"`
	Help             string   `yaml:"help"`
	AuthorizationURL string   `yaml:"authorization_url"`
	TokenURL         string   `yaml:"token_url"`
	Scopes           []string `yaml:"scopes"`
}

type identitySpec struct {
	Method string `yaml:"method"`
	Path   string `yaml:"path"`
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
	Kind   string   `yaml:"kind"`
	Method string   `yaml:"method"`
	Path   string   `yaml:"path"`
	Query  []string `yaml:"query"`
	Body   []string `yaml:"body"`
}

type resultSpec struct {
	Fields     []string        `yaml:"fields"`
	ListPath   string          `yaml:"list_path"`
	ListKey    string          `yaml:"list_key"`
	Text       string          `yaml:"text"`
	Pagination *paginationSpec `yaml:"pagination"`
}

type paginationSpec struct {
	PageArg        string `yaml:"page_arg"`
	PerPageArg     string `yaml:"per_page_arg"`
	DefaultPerPage int    `yaml:"default_per_page"`
}

// LoadCatalog reads every *.yaml file in the root of fsys, one toolkit per
// file, and validates them together. The error lists every problem found,
// each naming the file and the field.
func LoadCatalog(fsys fs.FS) (*Catalog, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("tools: catalog has no *.yaml files")
	}
	c := &Catalog{bySlug: map[string]*Toolkit{}, byName: map[string]*Tool{}}
	var errs []error
	for _, name := range names {
		tk, err := loadToolkit(fsys, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.bySlug[tk.Slug] = tk
		c.toolkits = append(c.toolkits, tk)
		for _, t := range tk.Tools {
			c.byName[t.Name] = t // unique: names carry the slug, unique as the file name
			c.tools = append(c.tools, t)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Slice(c.toolkits, func(i, j int) bool { return c.toolkits[i].Slug < c.toolkits[j].Slug })
	sort.Slice(c.tools, func(i, j int) bool { return c.tools[i].Name < c.tools[j].Name })
	return c, nil
}

func loadToolkit(fsys fs.FS, name string) (*Toolkit, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	var spec toolkitSpec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := dec.Decode(new(any)); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: holds more than one YAML document; one toolkit per file", name)
	}
	v := &validator{file: name}
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
