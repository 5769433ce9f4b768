package layering

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// allowed lists, for each package of the module, the module's packages its
// non-test code may import (docs/DESIGN.md, "Layering"). The pure core
// imports nothing of ours; adapters import the core; service is the only
// package that joins store, journal and report; httpapi and the CLI are
// thin over service; cmd/deskwatch wires everything.
var allowed = map[string][]string{
	// The pure core: no I/O.
	"health":    {},
	"spanindex": {},
	"schedule":  {"health"},
	"metrics":   {},

	// Adapters and domain packages.
	"ari":                {"health", "metrics"},
	"sipprobe":           {"health", "metrics", "internal/sipua", "internal/probegrid"},
	"hostprobe":          {"health", "internal/probegrid"},
	"internal/probegrid": {},
	"sipcanary":          {"metrics", "internal/sipua"},
	"internal/sipua":     {},
	"store":              {"health", "spanindex", "metrics", "internal/fence"},
	"journal":            {"health", "spanindex", "internal/fence"},
	"internal/fence":     {},
	"report":             {"health"},
	"alerts":             {"health", "metrics"},
	"internal/monitor":   {"health", "metrics", "internal/spool", "store"},
	"internal/spool":     {},
	"internal/qualify":   {"ari"},
	"internal/sdnotify":  {},
	"accesslog":          {"metrics"},
	"internal/httplimit": {"metrics"},
	"web":                {},

	// The application layer.
	"service": {"health", "metrics", "store", "journal", "report", "schedule", "accesslog"},

	// Delivery: renders what service returns (journal and report types).
	// It records each read of personal data itself (accesslog): who asked
	// what is a fact about the HTTP request.
	"httpapi": {"health", "metrics", "service", "journal", "report", "accesslog"},

	// Configuration: builds the runtime packages' options from the YAML.
	"config": {"health", "alerts", "schedule"},

	// Composition: builds and wires everything.
	"cmd/deskwatch": {"*"},

	// Test support, never imported by the daemon's packages.
	"internal/pbxsim":                {},
	"internal/redistest":             {},
	"internal/logtest":               {},
	"internal/layering":              {},
	"sipcanary/sipcanarytest":        {},
	"internal/slowclient":            {},
	"internal/testcert":              {},
	"internal/journaltest":           {},
	"internal/sipua/sipuatest":       {},
	"internal/sdnotify/sdnotifytest": {},
	"deploy":                         {},
}

// testSupport may be imported only by tests and by cmd/deskwatch (the demo
// runs the simulated PBX).
var testSupport = map[string]bool{"internal/sipua/sipuatest": true, "internal/journaltest": true, "internal/testcert": true, "internal/sdnotify/sdnotifytest": true, "internal/slowclient": true, "internal/pbxsim": true, "internal/redistest": true, "internal/logtest": true, "sipcanary/sipcanarytest": true}

type pkg struct {
	ImportPath string
	Imports    []string
}

func TestImportsFollowTheLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "deskwatch/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	n := 0
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
		name := strings.TrimPrefix(p.ImportPath, "deskwatch/")
		ok, known := allowed[name]
		if !known {
			t.Errorf("package %s is not in the layering table: add it to docs/DESIGN.md and internal/layering", name)
			continue
		}
		may := map[string]bool{}
		for _, a := range ok {
			may[a] = true
		}
		var bad []string
		for _, imp := range p.Imports {
			dep, ours := strings.CutPrefix(imp, "deskwatch/")
			if !ours {
				continue
			}
			if testSupport[dep] && name != "cmd/deskwatch" {
				bad = append(bad, dep+" (test support)")
			} else if !may["*"] && !may[dep] {
				bad = append(bad, dep)
			}
		}
		if len(bad) > 0 {
			sort.Strings(bad)
			t.Errorf("%s imports %s, which the layering does not allow (docs/DESIGN.md, Layering)", name, strings.Join(bad, ", "))
		}
	}
	if n < len(allowed)/2 {
		t.Fatalf("go list gave only %d packages", n)
	}
}
