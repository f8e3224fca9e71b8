package meta

import (
	"sort"
	"testing"
)

// vhost.delete drops the vhost's own params and its topic permissions;
// other vhosts', users' limits and global parameters stay.
func TestVHostDeleteDropsItsParams(t *testing.T) {
	s := NewState()
	params := []Param{
		{Component: "policy", Owner: "v", Name: "p"},
		{Component: "operator_policy", Owner: "v", Name: "op"},
		{Component: "vhost-limits", Owner: "v", Name: "limits"},
		{Component: "topic-permission", Owner: "alice", Name: "v\x00amq.topic"},
		{Component: "policy", Owner: "w", Name: "p"},
		{Component: "topic-permission", Owner: "alice", Name: "vv\x00amq.topic"},
		{Component: "user-limits", Owner: "v", Name: "max-connections"}, // a user named v
		{Component: "global-parameter", Owner: "", Name: "v"},
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Apply(&Op{Kind: OpVHostPut, VHost: "v"}))
	for i := range params {
		must(s.Apply(&Op{Kind: OpParamPut, Param: &params[i]}))
	}
	must(s.Apply(&Op{Kind: OpVHostDelete, VHost: "v"}))
	var left []string
	for k := range s.Params {
		left = append(left, k[0]+"/"+k[1]+"/"+k[2])
	}
	sort.Strings(left)
	want := []string{"global-parameter//v", "policy/w/p", "topic-permission/alice/vv\x00amq.topic", "user-limits/v/max-connections"}
	if len(left) != len(want) {
		t.Fatalf("left %q, want %q", left, want)
	}
	for i := range want {
		if left[i] != want[i] {
			t.Fatalf("left %q, want %q", left, want)
		}
	}
}
