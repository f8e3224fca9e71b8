package ctl

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseArgsDefaults(t *testing.T) {
	o, verb, pos, err := parseArgs([]string{"list_queues"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if verb != "list_queues" || len(pos) != 0 {
		t.Fatalf("verb %q pos %q", verb, pos)
	}
	if o.url != DefaultURL || o.user != "guest" || o.password != "guest" || o.vhost != "/" ||
		o.vhostSet || o.format != "table" || o.timeout != 10*time.Second {
		t.Fatalf("defaults: %+v", o)
	}
}

func TestParseArgsEnvAndFlags(t *testing.T) {
	e := env(map[string]string{"WARREN_CTL_URL": "http://env:1/", "WARREN_CTL_USER": "envu", "WARREN_CTL_PASSWORD": "envp"})
	o, _, _, err := parseArgs([]string{"status"}, e)
	if err != nil {
		t.Fatal(err)
	}
	if o.url != "http://env:1" || o.user != "envu" || o.password != "envp" {
		t.Fatalf("from env: %+v", o)
	}
	// Flags win over the environment, before or after the verb.
	o, verb, pos, err := parseArgs([]string{"--user", "flagu", "list_queues", "--password=flagp",
		"name", "-p", "vh", "--url", "https://flag:2", "messages", "--format", "json", "--timeout", "3"}, e)
	if err != nil {
		t.Fatal(err)
	}
	if o.url != "https://flag:2" || o.user != "flagu" || o.password != "flagp" || o.vhost != "vh" || !o.vhostSet ||
		o.format != "json" || o.timeout != 3*time.Second {
		t.Fatalf("flags: %+v", o)
	}
	if verb != "list_queues" || !reflect.DeepEqual(pos, []string{"name", "messages"}) {
		t.Fatalf("verb %q pos %q", verb, pos)
	}
}

func TestParseArgsPositionalDashes(t *testing.T) {
	_, verb, pos, err := parseArgs([]string{"export_definitions", "-"}, nil)
	if err != nil || verb != "export_definitions" || !reflect.DeepEqual(pos, []string{"-"}) {
		t.Fatalf("lone dash: %q %q %v", verb, pos, err)
	}
	_, _, pos, err = parseArgs([]string{"change_password", "u", "--", "-secret"}, nil)
	if err != nil || !reflect.DeepEqual(pos, []string{"u", "-secret"}) {
		t.Fatalf("after --: %q %v", pos, err)
	}
	o, _, pos, err := parseArgs([]string{"set_policy", "--priority", "-1", "--apply-to", "queues", "p", "^q", "{}"}, nil)
	if err != nil || o.priority != -1 || !o.prioritySet || o.applyTo != "queues" || len(pos) != 3 {
		t.Fatalf("policy flags: %+v %q %v", o, pos, err)
	}
}

func TestParseArgsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--bogus", "status"},
		{"status", "--url"},
		{"--format", "yaml", "status"},
		{"--timeout", "soon", "status"},
		{"--timeout", "0", "status"},
		{"--url", "localhost:15672", "status"},
		{"--url", "http://u:p@host", "status"},
		{"-p", "", "list_queues"},
		{"--priority", "high", "set_policy"},
		{"--quiet=yes", "status"},
	} {
		_, _, _, err := parseArgs(args, nil)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: err %v, want a usage error", args, err)
		}
	}
}

func TestTimeoutDuration(t *testing.T) {
	o, _, _, err := parseArgs([]string{"--timeout", "250ms", "status"}, nil)
	if err != nil || o.timeout != 250*time.Millisecond {
		t.Fatalf("%v %v", o.timeout, err)
	}
}

func TestSplitColumns(t *testing.T) {
	got := splitColumns([]string{"name,messages", " consumers ", "", "a.b.c"})
	if !reflect.DeepEqual(got, []string{"name", "messages", "consumers", "a.b.c"}) {
		t.Fatalf("%q", got)
	}
}

func TestVerbCheck(t *testing.T) {
	o := &options{applyTo: ""}
	if err := verbs["add_user"].check(o, []string{"a"}); err == nil {
		t.Error("add_user with one argument accepted")
	}
	if err := verbs["status"].check(o, []string{"x"}); err == nil || !strings.Contains(err.Error(), "no arguments") {
		t.Errorf("status with an argument: %v", err)
	}
	if err := verbs["close_connection"].check(o, []string{"a", "b", "c"}); err == nil {
		t.Error("close_connection with three arguments accepted")
	}
	if err := verbs["list_queues"].check(o, []string{"a", "b", "c", "d"}); err != nil {
		t.Errorf("list_queues columns: %v", err)
	}
	if err := verbs["add_vhost"].check(&options{vhostSet: true}, []string{"v"}); err == nil {
		t.Error("add_vhost -p accepted")
	}
	if err := verbs["purge_queue"].check(&options{prioritySet: true}, []string{"q"}); err == nil {
		t.Error("purge_queue --priority accepted")
	}
	if err := verbs["set_policy"].check(&options{prioritySet: true, applyTo: "queues"}, []string{"n", "p", "{}"}); err != nil {
		t.Errorf("set_policy: %v", err)
	}
}

func TestUsageListsEveryVerb(t *testing.T) {
	var b strings.Builder
	usage(&b)
	for n := range verbs {
		if !strings.Contains(b.String(), "  "+n) {
			t.Errorf("usage does not list %s", n)
		}
	}
	for _, n := range []string{"status", "list_queues", "list_exchanges", "list_bindings", "list_connections",
		"list_channels", "list_consumers", "add_vhost", "delete_vhost", "add_user", "delete_user",
		"change_password", "set_user_tags", "set_permissions", "set_policy", "clear_policy", "purge_queue",
		"delete_queue", "close_connection", "export_definitions", "import_definitions"} {
		if verbs[n] == nil {
			t.Errorf("verb %s missing", n)
		}
	}
}
