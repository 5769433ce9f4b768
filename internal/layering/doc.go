// Package layering holds only a test: it reads the import graph with
// `go list` and fails on an import the layering in docs/DESIGN.md does not
// allow, so the application layer stays the one place for each use case.
package layering
