package e2e

import (
	"net/http"
	"testing"
)

func TestHealthProbes(t *testing.T) {
	m := startWithMgmt(t)
	get := func(path string) int {
		resp, err := http.Get(m.http + path)
		must(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	if get("/healthz") != 200 || get("/readyz") != 200 {
		t.Fatal("probes not OK on a healthy broker")
	}
	m.srv.RaiseAlarm("memory", true)
	if get("/readyz") != 503 {
		t.Fatal("readiness OK while an alarm is raised")
	}
	if get("/healthz") != 200 {
		t.Fatal("liveness must not follow alarms")
	}
	m.srv.RaiseAlarm("memory", false)
	if get("/readyz") != 200 {
		t.Fatal("readiness not back after the alarm cleared")
	}
}
