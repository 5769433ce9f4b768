package httpapi

import (
	_ "embed"
	"net/http"
)

// openapi.json describes every route; TestOpenAPICoversRoutes keeps it
// honest against the server's route table.
//
//go:embed openapi.json
var openapiDoc []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(openapiDoc)
}
