package mgmt

import (
	"net/http"
	"strings"
)

// Orchestration probes, without authentication (a kubelet cannot send
// credentials): /healthz answers while the process serves HTTP; /readyz
// fails with 503 while a resource alarm is raised, when the broker should
// not be sent new publishers. RabbitMQ's authenticated
// /api/health/checks/... endpoints are served too.
func (a *API) registerProbes() {
	a.mux.add("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	a.mux.add("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if reason := a.notReady(); reason != "" {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "failed", "reason": reason})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
}

// notReady returns why the node should not take traffic, or "".
func (a *API) notReady() string {
	if a.d.Alarms == nil {
		return ""
	}
	if _, raised := a.d.Alarms.Active(); len(raised) > 0 {
		names := make([]string, len(raised))
		for i, r := range raised {
			names[i] = string(r)
		}
		return "resource alarms in effect: " + strings.Join(names, ", ")
	}
	return ""
}

// checkReady is /api/health/checks/ready-to-serve-clients: like /readyz,
// with RabbitMQ's authentication.
func (a *API) checkReady(w http.ResponseWriter, r *http.Request, p *principal) {
	if reason := a.notReady(); reason != "" {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "failed", "reason": reason})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}
