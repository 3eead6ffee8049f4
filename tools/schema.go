package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
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
	enforced, _ := json.Marshal(safeIntegers(m))
	sch, err := compileSchema(t.Name, enforced)
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
	c.UseLoader(selfContained{})
	loc := "mem:///" + name + ".json"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, err
	}
	return c.Compile(loc)
}

// selfContained refuses to load any schema by URL, which the compiler
// would otherwise read from local files (file:///…): a tool's input schema
// is self-contained, and a $ref points inside it (#/$defs/…).
type selfContained struct{}

func (selfContained) Load(url string) (any, error) {
	return nil, fmt.Errorf("a tool's input schema is self-contained: $ref points inside it (#/$defs/name), not to %s", url)
}

// validate checks args against the tool's schema and returns them
// normalized as JSON values (numbers as canonical json.Number, see
// jsonArguments), with the schema's default of each absent top-level
// property filled in.
func (t *Tool) validate(args map[string]any) (map[string]any, error) {
	var bad []Problem
	norm := jsonArguments(args, &bad)
	if len(bad) > 0 {
		return nil, t.invalid(bad, nil)
	}
	if t.schema == nil {
		return nil, errorf(CodeInternal, nil, "Tool %s has no compiled input schema; tell the operator.", t.Name)
	}
	err := t.schema.Validate(norm)
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		var ps []Problem
		collectProblems(ve, &ps)
		return nil, t.invalid(ps, nil)
	}
	if err != nil {
		return nil, t.invalid([]Problem{{Reason: err.Error()}}, err)
	}
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
	// The library writes bounds as doubles (9.007199254740991×10¹⁵); an
	// agent needs the exact number.
	case *kind.Minimum:
		*out = append(*out, Problem{Path: loc, Reason: "must be at least " + boundText(k.Want)})
	case *kind.Maximum:
		*out = append(*out, Problem{Path: loc, Reason: "must be at most " + boundText(k.Want)})
	case *kind.ExclusiveMinimum:
		*out = append(*out, Problem{Path: loc, Reason: "must be greater than " + boundText(k.Want)})
	case *kind.ExclusiveMaximum:
		*out = append(*out, Problem{Path: loc, Reason: "must be less than " + boundText(k.Want)})
	default:
		*out = append(*out, Problem{Path: loc, Reason: k.LocalizedString(printer)})
	}
}

// boundText writes a schema bound exactly, adding why where the bound is
// the safe-integer range (see safeIntegers).
func boundText(r *big.Rat) string {
	if !r.IsInt() {
		f, _ := r.Float64()
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	s := r.Num().String()
	if n := r.Num(); n.IsInt64() && (n.Int64() == maxSafeInteger || n.Int64() == -maxSafeInteger) {
		s += " (an integer beyond that is not exact in JSON, whose numbers many clients read as doubles)"
	}
	return s
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

// safeIntegers returns a copy of the schema s in which every schema of type
// integer accepts no integer beyond ±(2^53-1), tightening its minimum and
// maximum where they are wider or absent. Beyond that range a number is no
// longer exact in every JSON implementation: a double there stands for
// several integers, so a client's decoder may already have changed it, and
// the call cannot know which one was meant. The listed schema keeps the
// catalog's own words; only the check is stricter.
func safeIntegers(s any) any {
	m, ok := s.(map[string]any)
	if !ok {
		return s // a boolean schema
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch k {
		case "properties", "patternProperties", "$defs", "definitions", "dependentSchemas":
			named, ok := v.(map[string]any)
			if !ok {
				out[k] = v // the compiler says what is wrong with it
				continue
			}
			sub := make(map[string]any, len(named))
			for name, x := range named {
				sub[name] = safeIntegers(x)
			}
			out[k] = sub
		case "items", "additionalItems", "additionalProperties", "unevaluatedItems", "unevaluatedProperties",
			"contains", "propertyNames", "not", "if", "then", "else",
			"allOf", "anyOf", "oneOf", "prefixItems":
			if list, ok := v.([]any); ok {
				sub := make([]any, len(list))
				for i, x := range list {
					sub[i] = safeIntegers(x)
				}
				out[k] = sub
			} else {
				out[k] = safeIntegers(v)
			}
		default:
			out[k] = v
		}
	}
	if integerType(m["type"]) {
		if n, ok := schemaNumber(out["maximum"]); !ok || n > maxSafeInteger {
			out["maximum"] = maxSafeInteger
		}
		if n, ok := schemaNumber(out["minimum"]); !ok || n < -maxSafeInteger {
			out["minimum"] = -maxSafeInteger
		}
	}
	return out
}

// integerType reports whether a schema's type admits integers but not
// other numbers.
func integerType(typ any) bool {
	switch typ := typ.(type) {
	case string:
		return typ == "integer"
	case []any:
		return slices.Contains(typ, any("integer")) && !slices.Contains(typ, any("number"))
	}
	return false
}

// schemaNumber reads a number of a schema decoded from YAML.
func schemaNumber(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case uint64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}
