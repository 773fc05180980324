package api

import (
	_ "embed"
	"net/http"
)

// OpenAPIDocument is the API description, served as it is at GET /openapi.yaml. It is
// only parsed by tests, never at start-up.
//
//go:embed openapi.yaml
var OpenAPIDocument []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err := w.Write(OpenAPIDocument)
	return err
}
