package ctl

import (
	"io"
	"net/http"
	"os"
)

func init() {
	register(
		&verb{name: "export_definitions", synopsis: "FILE|-", min: 1, max: 1, vhost: true, run: exportDefinitions},
		&verb{name: "import_definitions", synopsis: "FILE|-", min: 1, max: 1, vhost: true, run: importDefinitions},
	)
}

// definitionsRequest addresses the whole broker's definitions, or one
// vhost's when -p is given.
func definitionsRequest(s *session) request {
	if s.o.vhostSet {
		return request{path: apiPath("definitions", s.o.vhost), vhost: s.o.vhost,
			what: "vhost '" + s.o.vhost + "'"}
	}
	return request{path: apiPath("definitions")}
}

func exportDefinitions(s *session, a []string) error {
	file := a[0]
	if err := nonEmpty("FILE", file); err != nil {
		return err
	}
	r := definitionsRequest(s)
	r.method = http.MethodGet
	_, data, err := s.c.do(s.ctx, r)
	if err != nil {
		return err
	}
	if err := jsonObject(data); err != nil {
		return errorf("unexpected definitions from %s%s: %v", s.c.base, r.path, err)
	}
	if file == "-" {
		return writeJSONOut(s.out, data)
	}
	s.notice("Exporting definitions in JSON to a file at %q ...", file)
	// Definitions hold password hashes: readable by the owner only.
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return errorf("%v", err)
	}
	if err := writeJSONOut(f, data); err != nil {
		f.Close()
		return errorf("writing %s: %v", file, err)
	}
	if err := f.Close(); err != nil {
		return errorf("writing %s: %v", file, err)
	}
	return nil
}

func importDefinitions(s *session, a []string) error {
	file := a[0]
	if err := nonEmpty("FILE", file); err != nil {
		return err
	}
	var in io.Reader = s.stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return errorf("%v", err)
		}
		defer f.Close()
		in = f
		s.notice("Importing definitions in JSON from a file at %q ...", file)
	} else if in == nil {
		return usagef("no standard input to read definitions from")
	}
	data, err := io.ReadAll(io.LimitReader(in, maxResponse))
	if err != nil {
		return errorf("reading %s: %v", file, err)
	}
	if err := jsonObject(data); err != nil {
		return errorf("%s is not a JSON definitions object: %v", name(file), err)
	}
	r := definitionsRequest(s)
	r.method, r.body = http.MethodPost, data
	_, _, err = s.c.do(s.ctx, r)
	return err
}

func name(file string) string {
	if file == "-" {
		return "standard input"
	}
	return file
}
