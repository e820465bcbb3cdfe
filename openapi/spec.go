package openapi

import (
	"github.com/danielgtaylor/huma/v2"
)

// YAML renders the API's OpenAPI 3.1 document.
func YAML(api huma.API) ([]byte, error) {
	return api.OpenAPI().YAML()
}
