package transport

import (
	_ "embed"
	"encoding/json"
	"net/http"
)

// openAPIDocument describes every route of routes(); TestOpenAPIMatchesRoutes
// keeps the two the same, and validates the document.
//
//go:embed api/openapi.json
var openAPIDocument []byte

// openAPI answers GET /api/v1/openapi.json.
func (h *HTTP) openAPI(*apiCall) (int, any, error) {
	return http.StatusOK, json.RawMessage(openAPIDocument), nil
}
