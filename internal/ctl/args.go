package ctl

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults, as rabbitmqadmin's.
const (
	DefaultURL      = "http://localhost:15672"
	DefaultUser     = "guest"
	DefaultPassword = "guest"
	DefaultTimeout  = 10 * time.Second
)

// options are the parsed flags.
type options struct {
	url, user, password string
	vhost               string
	vhostSet            bool // -p given: scope node-wide verbs too
	allVHosts           bool
	format              string // table or json
	timeout             time.Duration
	quiet               bool
	priority            int
	prioritySet         bool
	applyTo             string
	help                bool
}

// usageError is a command line mistake: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// flagDef is one flag: value flags take the next argument or "=value".
type flagDef struct {
	value bool
	set   func(o *options, v string) error
}

var flagDefs = map[string]flagDef{
	"url":      {true, func(o *options, v string) error { o.url = v; return nil }},
	"user":     {true, func(o *options, v string) error { o.user = v; return nil }},
	"password": {true, func(o *options, v string) error { o.password = v; return nil }},
	"vhost":    {true, setVHost},
	"p":        {true, setVHost},
	"format":   {true, setFormat},
	"timeout":  {true, setTimeout},
	"priority": {true, func(o *options, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("--priority must be an integer, not %q", v)
		}
		o.priority, o.prioritySet = n, true
		return nil
	}},
	"apply-to":   {true, func(o *options, v string) error { o.applyTo = v; return nil }},
	"all-vhosts": {false, func(o *options, _ string) error { o.allVHosts = true; return nil }},
	"quiet":      {false, func(o *options, _ string) error { o.quiet = true; return nil }},
	"q":          {false, func(o *options, _ string) error { o.quiet = true; return nil }},
	"help":       {false, func(o *options, _ string) error { o.help = true; return nil }},
	"h":          {false, func(o *options, _ string) error { o.help = true; return nil }},
}

func setVHost(o *options, v string) error {
	if v == "" {
		return fmt.Errorf("--vhost must not be empty")
	}
	o.vhost, o.vhostSet = v, true
	return nil
}

func setFormat(o *options, v string) error {
	if v != "table" && v != "json" {
		return fmt.Errorf("--format must be table or json, not %q", v)
	}
	o.format = v
	return nil
}

// setTimeout takes a Go duration or, as rabbitmqctl, a number of seconds.
func setTimeout(o *options, v string) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil {
			return fmt.Errorf("--timeout must be a duration (10s) or seconds, not %q", v)
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d <= 0 {
		return fmt.Errorf("--timeout must be positive")
	}
	o.timeout = d
	return nil
}

// parseArgs parses flags anywhere on the line (rabbitmqctl accepts
// `list_queues -p vh` as well as `-p vh list_queues`); the first
// positional argument is the verb. "--" ends the flags and a lone "-" is
// positional (stdin/stdout). Environment values come first, then flags.
func parseArgs(args []string, getenv func(string) string) (*options, string, []string, error) {
	o := &options{url: DefaultURL, user: DefaultUser, password: DefaultPassword,
		vhost: "/", format: "table", timeout: DefaultTimeout}
	if getenv != nil {
		if v := getenv("WARREN_CTL_URL"); v != "" {
			o.url = v
		}
		if v := getenv("WARREN_CTL_USER"); v != "" {
			o.user = v
		}
		if v := getenv("WARREN_CTL_PASSWORD"); v != "" {
			o.password = v
		}
	}
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		val, hasVal := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, val, hasVal = k, v, true
		}
		def, ok := flagDefs[name]
		if !ok {
			return nil, "", nil, usagef("unknown flag %s", a)
		}
		switch {
		case def.value && !hasVal:
			if i+1 >= len(args) {
				return nil, "", nil, usagef("flag %s needs a value", a)
			}
			i++
			val = args[i]
		case !def.value && hasVal:
			return nil, "", nil, usagef("flag --%s takes no value", name)
		}
		if err := def.set(o, val); err != nil {
			return nil, "", nil, usagef("%v", err)
		}
	}
	if err := checkURL(o.url); err != nil {
		return nil, "", nil, err
	}
	o.url = strings.TrimRight(o.url, "/")
	if len(pos) == 0 {
		return o, "", nil, nil
	}
	return o, pos[0], pos[1:], nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--url must be an http:// or https:// URL, not %q", s)
	}
	if u.User != nil {
		return usagef("--url must not contain credentials: use --user and --password")
	}
	return nil
}

// splitColumns accepts columns as separate arguments, comma-separated, or
// both.
func splitColumns(args []string) []string {
	var cols []string
	for _, a := range args {
		for _, c := range strings.Split(a, ",") {
			if c = strings.TrimSpace(c); c != "" {
				cols = append(cols, c)
			}
		}
	}
	return cols
}
