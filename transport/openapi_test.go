package transport

import (
	"bytes"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

// TestOpenAPIDocument validates the served document against the OpenAPI
// 3.1 specification with libopenapi, and checks that it describes exactly
// the routes the router serves: every method and path of routes() is in
// the document, and the document has nothing else.
func TestOpenAPIDocument(t *testing.T) {
	v := openAPIValidator(t)
	if ok, errs := v.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("document: %s: %s", e.Message, e.Reason)
		}
	}

	doc, err := libopenapi.NewDocument(openAPIDocument)
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	var served []string
	for _, rt := range (&HTTP{}).routes() {
		served = append(served, rt.method+" "+rt.pattern)
	}
	sort.Strings(documented)
	sort.Strings(served)
	if diff := cmp.Diff(served, documented); diff != "" {
		t.Errorf("routes (-served +documented):\n%s", diff)
	}

	w := newAPIWorld(t)
	got := w.do(t, "GET", "/api/v1/openapi.json", "", nil).want(t, http.StatusOK, "")
	if got.body["openapi"] != "3.1.0" {
		t.Errorf("served document: %.200s", got.raw)
	}
}

var (
	specOnce sync.Once
	spec     validator.Validator
	specErr  error
)

// openAPIValidator builds the validator of the document once per test binary.
func openAPIValidator(tb testing.TB) validator.Validator {
	tb.Helper()
	specOnce.Do(func() {
		doc, err := libopenapi.NewDocument(openAPIDocument)
		if err != nil {
			specErr = err
			return
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			specErr = errs[0]
			return
		}
		spec = v
	})
	if specErr != nil {
		tb.Fatalf("the OpenAPI document does not load: %v", specErr)
	}
	return spec
}

// checkAgainstSpec fails tb when an answer of a documented route differs
// from what the document says of it (status, body schema). Every request
// the API tests send passes through it, so the document cannot drift from
// the handlers.
func checkAgainstSpec(tb testing.TB, req *http.Request, resp *http.Response, body []byte) {
	tb.Helper()
	if !strings.HasPrefix(req.URL.Path, "/api/v1/") || resp.StatusCode == http.StatusMethodNotAllowed {
		return
	}
	if resp.StatusCode == http.StatusNotFound && strings.Contains(string(body), "There is no API route") {
		return
	}
	v := openAPIValidator(tb)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if ok, errs := v.ValidateHttpResponse(req, resp); !ok {
		for _, e := range errs {
			var details []string
			for _, se := range e.SchemaValidationErrors {
				details = append(details, se.Reason+" at "+se.FieldPath)
			}
			tb.Errorf("%s %s → %d differs from the OpenAPI document: %s (%s) %v\n%s", req.Method, req.URL.Path, resp.StatusCode, e.Message, e.Reason, details, body)
		}
	}
}
