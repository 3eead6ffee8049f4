package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

// property is what the loader needs to know of one argument.
type property struct {
	typ      string // the JSON Schema type when it is a single string
	required bool
}

// schema checks and compiles a tool's input schema, storing it on t, and
// returns its top-level properties.
func (v *validator) schema(t *Tool, field string, m map[string]any) map[string]property {
	props := map[string]property{}
	if m == nil {
		v.addf(field, "missing")
		return props
	}
	if m["type"] != "object" {
		v.addf(field+".type", "must be object")
	}
	if m["additionalProperties"] != false {
		v.addf(field+".additionalProperties", "must be false, so that a misspelt argument is refused")
	}
	required := map[string]bool{}
	if list, ok := m["required"].([]any); ok {
		for _, r := range list {
			if s, ok := r.(string); ok {
				required[s] = true
			}
		}
	}
	ps, _ := m["properties"].(map[string]any)
	defaults := map[string]any{}
	for name, raw := range ps {
		p, _ := raw.(map[string]any)
		typ, _ := p["type"].(string)
		props[name] = property{typ: typ, required: required[name]}
		if d, ok := p["default"]; ok {
			defaults[name] = d
		}
		if !argNamePattern.MatchString(name) {
			v.addf(field+".properties."+name, "argument names are lower snake case")
		}
		if d, _ := p["description"].(string); strings.TrimSpace(d) == "" {
			v.addf(field+".properties."+name+".description", "missing: say what the argument means")
		}
	}
	for name := range required {
		if _, ok := props[name]; !ok {
			v.addf(field+".required", "%q is not a property", name)
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		v.addf(field, "cannot be expressed as JSON: %v", err)
		return props
	}
	t.InputSchema = raw
	sch, err := compileSchema(t.Name, raw)
	if err != nil {
		v.addf(field, "does not compile: %v", err)
	}
	t.schema = sch
	if len(defaults) > 0 {
		// Defaults are sent when the argument is absent, so they must be
		// JSON values as arguments are (numbers as json.Number).
		data, _ := json.Marshal(defaults)
		if inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data)); err == nil {
			t.defaults = inst.(map[string]any)
		}
	}
	return props
}

func compileSchema(name string, raw []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	loc := "mem:///" + name + ".json"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, err
	}
	return c.Compile(loc)
}

// validate checks args against the tool's schema and returns them
// normalized as JSON values (numbers as json.Number), with the schema's
// default of each absent top-level property filled in.
func (t *Tool) validate(args map[string]any) (map[string]any, error) {
	if args == nil {
		args = map[string]any{}
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return nil, t.invalid([]Problem{{Reason: "arguments are not valid JSON values"}}, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, t.invalid([]Problem{{Reason: "arguments are not valid JSON values"}}, err)
	}
	if t.schema == nil {
		return nil, errorf(CodeInternal, nil, "Tool %s has no compiled input schema; tell the operator.", t.Name)
	}
	err = t.schema.Validate(inst)
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		var ps []Problem
		collectProblems(ve, &ps)
		return nil, t.invalid(ps, nil)
	}
	if err != nil {
		return nil, t.invalid([]Problem{{Reason: err.Error()}}, err)
	}
	norm := inst.(map[string]any)
	for name, d := range t.defaults {
		if _, ok := norm[name]; !ok {
			norm[name] = cloneValue(d)
		}
	}
	return norm, nil
}

func (t *Tool) invalid(ps []Problem, cause error) *Error {
	slices.SortFunc(ps, func(a, b Problem) int { return strings.Compare(a.Path+a.Reason, b.Path+b.Reason) })
	ps = slices.Compact(ps)
	parts := make([]string, len(ps))
	unknown := false
	for i, p := range ps {
		where := p.Path
		if where == "" {
			where = "arguments"
		}
		parts[i] = where + ": " + p.Reason
		unknown = unknown || p.Reason == reasonUnknown
	}
	msg := fmt.Sprintf("Invalid arguments for %s: %s. Fix them and call the tool again.", t.Name, strings.Join(parts, "; "))
	if unknown {
		msg += " Known arguments: " + strings.Join(t.argNames(), ", ") + "."
	}
	return &Error{Code: CodeInvalidArguments, Message: msg, Problems: ps, Err: cause}
}

const reasonUnknown = "is not a known argument"

// collectProblems flattens a validation error tree into its leaves, turning
// "missing property" and "additional properties" into one problem per
// argument so that each names its own path.
func collectProblems(e *jsonschema.ValidationError, out *[]Problem) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collectProblems(c, out)
		}
		return
	}
	loc := pointer(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			*out = append(*out, Problem{Path: loc + "/" + escapePointer(m), Reason: "is required"})
		}
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			*out = append(*out, Problem{Path: loc + "/" + escapePointer(p), Reason: reasonUnknown})
		}
	default:
		*out = append(*out, Problem{Path: loc, Reason: k.LocalizedString(printer)})
	}
}

func pointer(tokens []string) string {
	var sb strings.Builder
	for _, t := range tokens {
		sb.WriteString("/" + escapePointer(t))
	}
	return sb.String()
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// argNames returns the tool's argument names, sorted.
func (t *Tool) argNames() []string {
	var m struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	_ = json.Unmarshal(t.InputSchema, &m)
	names := make([]string, 0, len(m.Properties))
	for n := range m.Properties {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
