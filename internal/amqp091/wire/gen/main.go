package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/warrenmq/warren/internal/amqp091/wire/internal/specgen"
)

func main() {
	specPath := flag.String("spec", "spec/amqp0-9-1.stripped.extended.xml", "path of the AMQP 0-9-1 spec XML")
	outPath := flag.String("out", "methods_gen.go", "path of the generated Go file")
	flag.Parse()

	if err := run(*specPath, *outPath); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(specPath, outPath string) error {
	xmlData, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	src, err := specgen.Generate(xmlData)
	if err != nil {
		return err
	}
	return os.WriteFile(outPath, src, 0o644)
}
