package httpapi

import (
	"encoding/json"
	"strings"
	"testing"
)

// Every route the server registers is in the OpenAPI document with the
// same method, and the document names no route the server lacks.
func TestOpenAPICoversRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			Role string `json:"x-role"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	s := New(Options{Reports: nopReports{}, Journal: nopJournal{}, Access: &Access{Reader: nopAccess{}}, Maintenance: nopMaintenance{}})
	seen := map[string]bool{"GET /healthz": true}
	for _, r := range s.routes {
		op, ok := doc.Paths[r.path][strings.ToLower(r.method)]
		if !ok {
			t.Errorf("%s %s is not in openapi.json", r.method, r.path)
			continue
		}
		if op.Role != r.role {
			t.Errorf("%s %s: x-role %q, server needs %q", r.method, r.path, op.Role, r.role)
		}
		seen[r.method+" "+r.path] = true
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			if !seen[strings.ToUpper(m)+" "+p] {
				t.Errorf("openapi.json lists %s %s, which the server does not serve", m, p)
			}
		}
	}
}

type nopReports struct{ Reports }
type nopJournal struct{ Journal }
type nopAccess struct{ AccessReader }
type maintenanceUseCases = Maintenance // embedded under another name: Maintenance is also a method
type nopMaintenance struct{ maintenanceUseCases }
