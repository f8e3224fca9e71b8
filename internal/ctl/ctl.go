package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// verb is one command.
type verb struct {
	name     string
	synopsis string // arguments, for usage
	min, max int    // positional arguments; max -1: any number
	vhost    bool   // takes -p / --vhost
	policy   bool   // takes --priority / --apply-to
	run      func(s *session, args []string) error
}

// session is one invocation's context.
type session struct {
	ctx   context.Context
	o     *options
	c     *client
	stdin io.Reader
	out   io.Writer
}

// notice prints rabbitmqctl's informational line for a mutating verb.
func (s *session) notice(format string, a ...any) {
	if !s.o.quiet && s.o.format == "table" {
		fmt.Fprintf(s.out, format+"\n", a...)
	}
}

var verbs = map[string]*verb{}

func register(vs ...*verb) {
	for _, v := range vs {
		verbs[v.name] = v
	}
}

// Main runs `warren ctl args...` and returns the exit status: 0 success,
// 1 failure, 2 usage error.
func Main(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, name, pos, err := parseArgs(args, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		fmt.Fprintln(stderr, "Run 'warren ctl help' for usage.")
		return 2
	}
	if name == "help" || (name == "" && o.help) {
		usage(stdout)
		return 0
	}
	if name == "" {
		usage(stderr)
		return 2
	}
	v, ok := verbs[name]
	if !ok {
		fmt.Fprintf(stderr, "Error: unknown command %q\n\n", name)
		usage(stderr)
		return 2
	}
	if o.help {
		fmt.Fprintf(stdout, "usage: warren ctl %s\n", v.usageLine())
		return 0
	}
	if err := v.check(o, pos); err != nil {
		fmt.Fprintf(stderr, "Error: %v\nusage: warren ctl %s\n", err, v.usageLine())
		return 2
	}
	c := newClient(o.url, o.user, o.password, o.timeout)
	defer c.close()
	s := &session{ctx: ctx, o: o, c: c, stdin: stdin, out: stdout}
	if err := v.run(s, pos); err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "Error: %v\nusage: warren ctl %s\n", err, v.usageLine())
			return 2
		}
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	return 0
}

// check validates the argument count and the verb-specific flags.
func (v *verb) check(o *options, pos []string) error {
	if len(pos) < v.min || (v.max >= 0 && len(pos) > v.max) {
		switch {
		case v.max == 0:
			return usagef("%s takes no arguments", v.name)
		case len(pos) < v.min:
			return usagef("%s: missing arguments", v.name)
		}
		return usagef("%s: too many arguments", v.name)
	}
	if o.vhostSet && !v.vhost {
		return usagef("%s does not take --vhost/-p", v.name)
	}
	if o.allVHosts && !v.vhost {
		return usagef("%s does not take --all-vhosts", v.name)
	}
	if !v.policy && (o.prioritySet || o.applyTo != "") {
		return usagef("--priority and --apply-to only apply to set_policy")
	}
	return nil
}

func (v *verb) usageLine() string {
	var b strings.Builder
	b.WriteString(v.name)
	if v.vhost {
		b.WriteString(" [-p VHOST]")
	}
	if v.policy {
		b.WriteString(" [--priority N] [--apply-to queues|exchanges|all]")
	}
	if v.synopsis != "" {
		b.WriteString(" " + v.synopsis)
	}
	return b.String()
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: warren ctl [flags] COMMAND [ARGS...]

Operates a running broker through its management HTTP API.

Flags (before or after the command):
  --url URL          management API (default http://localhost:15672; env WARREN_CTL_URL)
  --user NAME        user (default guest; env WARREN_CTL_USER)
  --password PASS    password (default guest; env WARREN_CTL_PASSWORD)
  -p, --vhost VHOST  virtual host of vhost-scoped commands (default /)
  --all-vhosts       list every virtual host
  --format FORMAT    table (default) or json (the API's JSON)
  --timeout D        bound on every request (default 10s)
  -q, --quiet        no informational messages

Commands:
`)
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %s\n", verbs[n].usageLine())
	}
	fmt.Fprint(w, `
list_* commands take columns: any JSON field of the API, dotted paths
included (list_queues name messages message_stats.publish_details.rate).
`)
}

// nonEmpty rejects an empty name, which would address another endpoint.
func nonEmpty(what, v string) error {
	if v == "" {
		return usagef("%s must not be empty", what)
	}
	return nil
}
