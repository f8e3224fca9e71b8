package auth

import "testing"

func TestPermissionsCheck(t *testing.T) {
	p := NewPermissions()
	if err := p.Put(Permission{User: "u", VHost: "/", Configure: "^q-", Write: ".*", Read: ""}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		a    Access
		name string
		want bool
	}{
		{Configure, "q-1", true},
		{Configure, "x", false},
		{Write, "anything", true},
		{Read, "anything", false}, // an empty pattern grants nothing
	}
	for _, c := range cases {
		if got := p.Check("u", "/", c.a, c.name); got != c.want {
			t.Errorf("Check(%v, %q) = %v, want %v", c.a, c.name, got, c.want)
		}
	}
	if p.Check("u", "other", Write, "x") || p.CanAccessVHost("u", "other") || !p.CanAccessVHost("u", "/") {
		t.Error("vhost isolation")
	}
	if err := p.Put(Permission{User: "u", VHost: "/", Configure: "("}); err == nil {
		t.Error("bad regexp accepted")
	}
	if _, ok := p.Get("u", "/"); !ok {
		t.Error("failed Put replaced the entry")
	}
	p.DeleteVHost("/")
	if p.HasAny("u") {
		t.Error("DeleteVHost left permissions")
	}
}

func TestTopicPermissions(t *testing.T) {
	p := NewPermissions()
	if !p.CheckTopic("u", "/", "amq.topic", Write, "a.b") {
		t.Error("no topic permission must allow everything")
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(p.PutTopic(TopicPermission{User: "u", VHost: "/", Exchange: "amq.topic", Write: "^a\\.", Read: ".*"}))
	must(p.PutTopic(TopicPermission{User: "u", VHost: "/", Exchange: "t2", Write: ".*", Read: ".*"}))
	if !p.CheckTopic("u", "/", "amq.topic", Write, "a.b") || p.CheckTopic("u", "/", "amq.topic", Write, "b.a") {
		t.Error("topic write pattern")
	}
	if n := p.DeleteTopic("u", "/", "amq.topic"); n != 1 || len(p.ListTopic()) != 1 {
		t.Errorf("DeleteTopic one: %d, left %v", n, p.ListTopic())
	}
	if n := p.DeleteTopic("u", "/", ""); n != 1 {
		t.Errorf("DeleteTopic all: %d", n)
	}
}

func TestUsersListDelete(t *testing.T) {
	s := NewStore()
	s.AddUser("b", "x")
	s.AddUser("a", "x")
	if l := s.List(); len(l) != 2 || l[0].Name != "a" {
		t.Fatalf("List = %v", l)
	}
	if !s.Delete("a") || s.Delete("a") || s.Len() != 1 {
		t.Error("Delete")
	}
	if _, err := s.Authenticate("a", "x"); err == nil {
		t.Error("deleted user authenticated")
	}
}

func TestTopicPermissionVariables(t *testing.T) {
	p := NewPermissions()
	if err := p.PutTopic(TopicPermission{User: "alice", VHost: "v1", Exchange: "amq.topic", Write: "^users\\.{username}\\.", Read: "^{vhost}\\."}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		a    Access
		key  string
		want bool
	}{
		{Write, "users.alice.x", true},
		{Write, "users.bob.x", false},
		{Read, "v1.anything", true},
		{Read, "v2.anything", false},
	} {
		if got := p.CheckTopic("alice", "v1", "amq.topic", c.a, c.key); got != c.want {
			t.Errorf("%v %q: %v, want %v", c.a, c.key, got, c.want)
		}
	}
}
