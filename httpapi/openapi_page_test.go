package httpapi

import (
	"encoding/json"
	"strings"
	"testing"
)

// Every route that pages documents limit and cursor, the Link header and
// next_cursor; the parameters and the header are the shared components.
func TestOpenAPIDocumentsPaging(t *testing.T) {
	var doc struct {
		Components struct {
			Parameters map[string]struct{ Name string } `json:"parameters"`
			Headers    map[string]json.RawMessage       `json:"headers"`
		} `json:"components"`
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name string `json:"name"`
				Ref  string `json:"$ref"`
			} `json:"parameters"`
			Responses map[string]struct {
				Headers map[string]struct {
					Ref string `json:"$ref"`
				} `json:"headers"`
				Content map[string]struct {
					Schema struct {
						Properties map[string]json.RawMessage `json:"properties"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Components.Parameters["Limit"].Name != "limit" || doc.Components.Parameters["Cursor"].Name != "cursor" || doc.Components.Headers["Link"] == nil {
		t.Fatal("components.parameters Limit and Cursor, or components.headers Link, missing")
	}
	s := New(Options{Reports: nopReports{}, Journal: nopJournal{}, Access: &Access{Reader: nopAccess{}}})
	n := 0
	for _, r := range s.routes {
		if !pagedRoutes[r.method+" "+r.path] {
			continue
		}
		n++
		op := doc.Paths[r.path][strings.ToLower(r.method)]
		refs := map[string]bool{}
		for _, p := range op.Parameters {
			refs[p.Ref] = true
		}
		ok := op.Responses["200"]
		if !refs["#/components/parameters/Limit"] || !refs["#/components/parameters/Cursor"] ||
			ok.Headers["Link"].Ref != "#/components/headers/Link" || ok.Content["application/json"].Schema.Properties["next_cursor"] == nil {
			t.Errorf("%s %s does not document limit, cursor, Link and next_cursor", r.method, r.path)
		}
	}
	if n != len(pagedRoutes) {
		t.Errorf("%d paged routes served, %d listed", n, len(pagedRoutes))
	}
}
