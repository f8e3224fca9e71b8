package warren_test

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

// The layering of docs/ARCHITECTURE.md, checked: each package may import
// only the module packages listed for it (plus the standard library and,
// where named, outside modules). A new import that breaks the layering
// fails here instead of in review.
func TestArchitectureImports(t *testing.T) {
	const mod = "github.com/warrenmq/warren/"
	allowed := map[string][]string{
		"internal/amqp091/wire": {},
		"internal/message":      {},
		"internal/route":        {},
		"internal/vfs":          {},
		"internal/alarm":        {},
		"internal/config":       {},
		"internal/tlsconf":      {},
		"internal/auth":         {},
		"internal/store":        {"internal/vfs"},
		"internal/meta":         {"internal/vfs", "internal/amqp091/wire"},
		// The core: no adapters, no network. It uses the wire codec only
		// for the canonical message properties format.
		"internal/broker":  {"internal/message", "internal/route", "internal/store", "internal/meta", "internal/amqp091/wire"},
		"internal/amqp091": {"internal/amqp091/wire", "internal/broker", "internal/message", "internal/auth", "internal/alarm", "internal/store"},
		"internal/mgmt/ui": {},
		"internal/ctl":     {},
	}
	forbiddenStd := map[string][]string{
		"internal/broker":       {"net", "net/http"},
		"internal/store":        {"net", "net/http"},
		"internal/route":        {"net", "net/http"},
		"internal/amqp091/wire": {"net", "net/http"},
	}
	for pkg, ok := range allowed {
		p, err := build.ImportDir(filepath.FromSlash(pkg), 0)
		if err != nil {
			t.Fatalf("%s: %v", pkg, err)
		}
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, mod) {
				rel := strings.TrimPrefix(imp, mod)
				if !contains(ok, rel) {
					t.Errorf("%s imports %s, which the layering does not allow", pkg, rel)
				}
				continue
			}
			if contains(forbiddenStd[pkg], imp) {
				t.Errorf("%s imports %s: the core and codecs know no network", pkg, imp)
			}
			if strings.Contains(strings.Split(imp, "/")[0], ".") {
				t.Errorf("%s imports the outside module %s: the core is ours", pkg, imp)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
