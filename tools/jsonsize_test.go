package tools

import (
	"bytes"
	"encoding/json"
	"testing"
)

// jsonSizeSeeds are JSON documents whose encoding is easy to miscount:
// escapes, HTML characters, line separators, invalid UTF-8, numbers.
var jsonSizeSeeds = []string{
	`null`, `{}`, `[]`, `""`, `true`, `0`, `-1.5e+10`,
	`{"login":"hot-user","id":4242,"site_admin":false,"bio":null,"tags":["a","b"],"nested":{"x":[{},[]]}}`,
	`"<a href=\"x\">&amp;</a>\\ \b\f\n\r\t \u0001\u001f\u007f \u2028\u2029 é 日本 😀"`,
	`{"\u003ckey\u003e":"v","":""}`,
}

func TestJSONSizeIsTheEncodedLength(t *testing.T) {
	values := []any{
		map[string]any{"count": 3, "page": int64(-12), "items": []any{"x", json.Number("12"), nil}, "truncated": true},
		json.Number(""), json.Number("1.e5"), json.Number("abc"), map[string]any(nil), []any(nil),
		"\xff\xfe bad \xc3", map[string]any{"f": 1.5, "s": []string{"a"}, "m": map[string]string{"<": ">"}},
		map[string]any{"bad": func() {}}, []any{1, make(chan int)},
	}
	for _, doc := range jsonSizeSeeds {
		values = append(values, decodeNumbers(t, []byte(doc)))
	}
	for _, v := range values {
		checkJSONSize(t, v)
	}
}

// FuzzJSONSize compares jsonSize with json.Marshal on decoded bodies, and
// on arbitrary bytes as string keys and values.
func FuzzJSONSize(f *testing.F) {
	for _, s := range jsonSizeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkJSONSize(t, map[string]any{string(data): []any{string(data), json.Number(data)}})
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			checkJSONSize(t, v)
		}
	})
}

func checkJSONSize(t *testing.T, v any) {
	t.Helper()
	want := 0
	if data, err := json.Marshal(v); err == nil {
		want = len(data)
	}
	if got := jsonSize(v); got != want {
		t.Errorf("jsonSize(%#v) = %d, json.Marshal writes %d bytes", v, got, want)
	}
}

func decodeNumbers(tb testing.TB, data []byte) any {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		tb.Fatal(err)
	}
	return v
}
