package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Arguments reach a tool call in two forms: already decoded by a library
// (mcp-go decodes into map[string]any with float64 numbers; a REST handler
// with json.Decoder.UseNumber gives json.Number), or as raw JSON. Both are
// turned into the same JSON values before anything else looks at them:
// objects, arrays, strings, booleans, null, and numbers as json.Number in a
// canonical form: an exact integer that an int64 holds as plain digits
// (7.0, 7e0 and a float64 7 all become 7), other numbers as written (a
// float64 in its shortest form), so that the schema check, the path, the
// query and the body see one value whatever the caller's decoder.

// Bounds of a number argument. A longer literal or a larger exponent is no
// number an API takes, and would make exact (big.Rat) comparisons in the
// schema check slow.
const (
	maxNumberChars    = 100
	maxNumberExponent = 400
)

// maxSafeInteger is 2^53-1, the largest integer every JSON implementation
// holds exactly (RFC 7493, I-JSON); a double beyond it may stand for
// several integers.
const maxSafeInteger = 1<<53 - 1

var numberPattern = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// Arguments returns a call's arguments as the object Call and Validate
// take. v is what the caller received: nil (no arguments), a decoded
// map[string]any, raw JSON (json.RawMessage or []byte, such as mcp-go's
// CallToolParams.RawArguments), which is decoded keeping every number
// exact, or another Go value, taken as its JSON encoding. JSON null counts
// as no arguments. Anything that is not an object (a string, an array, a
// number) is refused with INVALID_ARGUMENTS, so that it never reaches an
// upstream.
func (t *Tool) Arguments(v any) (map[string]any, error) {
	switch v := v.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return v, nil
	case json.RawMessage:
		return t.decodeArguments(v)
	case []byte:
		return t.decodeArguments(v)
	default:
		data, err := json.Marshal(v)
		if err != nil {
			return nil, t.invalid([]Problem{{Reason: "are not JSON values"}}, err)
		}
		return t.decodeArguments(data)
	}
}

func (t *Tool) decodeArguments(raw []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, t.invalid([]Problem{{Reason: "are not valid JSON"}}, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, t.invalid([]Problem{{Reason: "are not one JSON value"}}, nil)
	}
	kind := ""
	switch v := v.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return v, nil
	case string:
		kind = "a string"
	case bool:
		kind = "a boolean"
	case []any:
		kind = "an array"
	case json.Number:
		kind = "a number"
	}
	return nil, t.invalid([]Problem{{Reason: "must be an object of named arguments, not " + kind}}, nil)
}

// jsonArguments turns args into JSON values (see the top of this file),
// appending a Problem for each value that is no JSON value or no number
// Switchboard accepts.
func jsonArguments(args map[string]any, ps *[]Problem) map[string]any {
	out := make(map[string]any, len(args))
	for k, v := range args {
		out[k] = jsonValue(v, "/"+escapePointer(k), ps)
	}
	return out
}

func jsonValue(v any, at string, ps *[]Problem) any {
	bad := func(reason string) any {
		*ps = append(*ps, Problem{Path: at, Reason: reason})
		return nil
	}
	switch v := v.(type) {
	case nil, bool, string:
		return v
	case json.Number:
		n, reason := jsonNumber(string(v))
		if reason != "" {
			return bad(reason)
		}
		return n
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return bad("is not a finite number")
		}
		return floatNumber(v)
	case float32:
		return jsonValue(float64(v), at, ps)
	case int:
		return json.Number(strconv.Itoa(v))
	case int64:
		return json.Number(strconv.FormatInt(v, 10))
	case int32:
		return json.Number(strconv.FormatInt(int64(v), 10))
	case uint64:
		return json.Number(strconv.FormatUint(v, 10))
	case uint:
		return json.Number(strconv.FormatUint(uint64(v), 10))
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = jsonValue(x, at+"/"+escapePointer(k), ps)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = jsonValue(x, at+"/"+strconv.Itoa(i), ps)
		}
		return out
	default:
		// Other Go values (a []string, a struct) from in-process callers
		// become what their JSON encoding says.
		data, err := json.Marshal(v)
		if err != nil {
			return bad("is not a JSON value")
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var x any
		if err := dec.Decode(&x); err != nil {
			return bad("is not a JSON value")
		}
		return jsonValue(x, at, ps)
	}
}

// jsonNumber checks a number literal and returns it in canonical form, or
// the reason it is refused.
func jsonNumber(s string) (json.Number, string) {
	if !numberPattern.MatchString(s) {
		return "", "is not a JSON number"
	}
	if len(s) > maxNumberChars {
		return "", fmt.Sprintf("is a number of more than %d characters", maxNumberChars)
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		if e, err := strconv.Atoi(s[i+1:]); err != nil || e > maxNumberExponent || e < -maxNumberExponent {
			return "", fmt.Sprintf("is a number with an exponent beyond ±%d", maxNumberExponent)
		}
	}
	if n, ok := integerValue(s); ok {
		return json.Number(strconv.FormatInt(n, 10)), ""
	}
	return json.Number(s), ""
}

// floatNumber writes a finite double as a JSON number: an integer within
// ±(2^53-1) as its digits, anything else in the shortest form that reads
// back as the same double. A double beyond 2^53 is written as the integer
// it holds, which an integer argument's bounds refuse (see safeIntegers):
// which integer the caller meant is unknown.
func floatNumber(v float64) json.Number {
	if v == math.Trunc(v) && math.Abs(v) <= maxSafeInteger {
		return json.Number(strconv.FormatInt(int64(v), 10))
	}
	return json.Number(strconv.FormatFloat(v, 'g', -1, 64))
}

// integerValue returns the value of the JSON number literal s when it is an
// exact integer that an int64 holds: 7, -7, 7.0, 7e0, 0.7e1 and 700e-2 all
// are. It does no big-number arithmetic, whatever the exponent.
func integerValue(s string) (int64, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	mant, expText, hasExp := strings.Cut(strings.ToLower(s), "e")
	sign := ""
	if rest, ok := strings.CutPrefix(mant, "-"); ok {
		sign, mant = "-", rest
	}
	whole, frac, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(whole+frac, "0")
	// point is where the decimal point falls in digits.
	point := len(whole) - (len(whole+frac) - len(digits))
	digits = strings.TrimRight(digits, "0")
	if digits == "" {
		return 0, true
	}
	if hasExp {
		exp, err := strconv.Atoi(expText)
		if err != nil || exp > 1<<30 || exp < -1<<30 {
			return 0, false // far beyond any int64, or far below 1
		}
		point += exp
	}
	if point < len(digits) || point > 19 {
		return 0, false
	}
	n, err := strconv.ParseInt(sign+digits+strings.Repeat("0", point-len(digits)), 10, 64)
	return n, err == nil
}
