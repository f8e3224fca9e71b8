package wire

import (
	"bytes"
	"os"
	"testing"

	"github.com/warrenmq/warren/internal/amqp091/wire/internal/specgen"
)

// TestGeneratedCodeIsFresh keeps methods_gen.go in step with the spec XML
// and the generator, so neither can be changed without regenerating.
func TestGeneratedCodeIsFresh(t *testing.T) {
	xmlData, err := os.ReadFile("spec/amqp0-9-1.stripped.extended.xml")
	if err != nil {
		t.Fatal(err)
	}
	want, err := specgen.Generate(xmlData)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("methods_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("generated code is stale; run go generate ./internal/amqp091/wire")
	}
}
