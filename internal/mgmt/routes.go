package mgmt

import "net/http"

// routes registers every endpoint. Wildcards match one escaped path
// segment and are unescaped afterwards, so "%2F" (the vhost "/") and names
// containing "/" work in any segment.
func (a *API) routes() {
	a.mux = &router{}
	get := http.MethodGet
	put, del, post := http.MethodPut, http.MethodDelete, http.MethodPost

	a.handle("/api/overview", methods{get: a.getOverview})
	a.handle("/api/whoami", methods{get: a.getWhoami})
	a.handle("/api/cluster-name", methods{get: a.getClusterName, put: a.putClusterName})
	a.handle("/api/extensions", methods{get: a.getExtensions})
	a.handle("/api/nodes", methods{get: a.getNodes})
	a.handle("/api/nodes/{node}", methods{get: a.getNode})

	a.handle("/api/connections", methods{get: a.getConnections})
	a.handle("/api/vhosts/{vhost}/connections", methods{get: a.getConnections})
	a.handle("/api/connections/{name}", methods{get: a.getConnection, del: a.deleteConnection})
	a.handle("/api/connections/{name}/channels", methods{get: a.getConnectionChannels})
	a.handle("/api/channels", methods{get: a.getChannels})
	a.handle("/api/vhosts/{vhost}/channels", methods{get: a.getChannels})
	a.handle("/api/channels/{name}", methods{get: a.getChannel})
	a.handle("/api/consumers", methods{get: a.getConsumers})
	a.handle("/api/consumers/{vhost}", methods{get: a.getConsumers})

	a.handle("/api/exchanges", methods{get: a.getExchanges})
	a.handle("/api/exchanges/{vhost}", methods{get: a.getExchanges})
	a.handle("/api/exchanges/{vhost}/{name}", methods{get: a.getExchange, put: a.putExchange, del: a.deleteExchange})
	a.handle("/api/exchanges/{vhost}/{name}/publish", methods{post: a.publish})
	a.handle("/api/exchanges/{vhost}/{name}/bindings/source", methods{get: a.getExchangeBindings(true)})
	a.handle("/api/exchanges/{vhost}/{name}/bindings/destination", methods{get: a.getExchangeBindings(false)})

	a.handle("/api/queues", methods{get: a.getQueues})
	a.handle("/api/queues/{vhost}", methods{get: a.getQueues})
	// RabbitMQ 3.13's detailed listing (feature flag detailed_queues_endpoint):
	// Warren's default listing already has every field.
	a.handle("/api/queues/detailed", methods{get: a.getQueues})
	a.handle("/api/queues/detailed/{vhost}", methods{get: a.getQueues})
	a.handle("/api/queues/{vhost}/{name}", methods{get: a.getQueue, put: a.putQueue, del: a.deleteQueue})
	a.handle("/api/queues/{vhost}/{name}/get", methods{post: a.getMessages})
	a.handle("/api/queues/{vhost}/{name}/contents", methods{del: a.purgeQueue})
	a.handle("/api/queues/{vhost}/{name}/bindings", methods{get: a.getQueueBindings})
	a.handle("/api/queues/{vhost}/{name}/actions", methods{post: a.queueAction})

	a.handle("/api/bindings", methods{get: a.getBindings})
	a.handle("/api/bindings/{vhost}", methods{get: a.getBindings})
	for _, d := range []string{"q", "e"} {
		a.handle("/api/bindings/{vhost}/e/{src}/"+d+"/{dst}", methods{get: a.getBindingsBetween(d), post: a.postBinding(d)})
		a.handle("/api/bindings/{vhost}/e/{src}/"+d+"/{dst}/{props}", methods{get: a.getBinding(d), del: a.deleteBinding(d)})
	}

	a.handle("/api/vhosts", methods{get: a.getVHosts})
	a.handle("/api/vhosts/{vhost}", methods{get: a.getVHost, put: a.putVHost, del: a.deleteVHost})
	a.handle("/api/vhosts/{vhost}/permissions", methods{get: a.getVHostPermissions})
	a.handle("/api/vhosts/{vhost}/topic-permissions", methods{get: a.getVHostTopicPermissions})

	a.handle("/api/users", methods{get: a.getUsers})
	a.handle("/api/users/without-permissions", methods{get: a.getUsersWithoutPermissions})
	a.handle("/api/users/bulk-delete", methods{post: a.bulkDeleteUsers})
	a.handle("/api/users/{user}", methods{get: a.getUser, put: a.putUser, del: a.deleteUser})
	a.handle("/api/users/{user}/permissions", methods{get: a.getUserPermissions})
	a.handle("/api/users/{user}/topic-permissions", methods{get: a.getUserTopicPermissions})
	a.handle("/api/permissions", methods{get: a.getPermissions})
	a.handle("/api/permissions/{vhost}/{user}", methods{get: a.getPermission, put: a.putPermission, del: a.deletePermission})
	a.handle("/api/topic-permissions", methods{get: a.getTopicPermissions})
	a.handle("/api/topic-permissions/{vhost}/{user}", methods{get: a.getTopicPermission, put: a.putTopicPermission, del: a.deleteTopicPermission})

	for _, op := range []bool{false, true} {
		base := "/api/policies"
		if op {
			base = "/api/operator-policies"
		}
		a.handle(base, methods{get: a.getPolicies(op)})
		a.handle(base+"/{vhost}", methods{get: a.getPolicies(op)})
		a.handle(base+"/{vhost}/{name}", methods{get: a.getPolicy(op), put: a.putPolicy(op), del: a.deletePolicy(op)})
	}
	a.handle("/api/parameters", methods{get: a.getParameters})
	a.handle("/api/parameters/{component}", methods{get: a.getParameters})
	a.handle("/api/parameters/{component}/{vhost}", methods{get: a.getParameters})
	a.handle("/api/parameters/{component}/{vhost}/{name}", methods{get: a.getParameter, put: a.putParameter, del: a.deleteParameter})
	a.handle("/api/global-parameters", methods{get: a.getGlobalParameters})
	a.handle("/api/global-parameters/{name}", methods{get: a.getGlobalParameter, put: a.putGlobalParameter, del: a.deleteGlobalParameter})
	for _, user := range []bool{false, true} {
		base := "/api/vhost-limits"
		if user {
			base = "/api/user-limits"
		}
		a.handle(base, methods{get: a.getLimits(user)})
		a.handle(base+"/{owner}", methods{get: a.getLimits(user)})
		a.handle(base+"/{owner}/{name}", methods{put: a.putLimit(user), del: a.deleteLimit(user)})
	}

	a.handle("/api/definitions", methods{get: a.exportDefinitions, post: a.importDefinitions})
	a.handle("/api/definitions/{vhost}", methods{get: a.exportDefinitions, post: a.importDefinitions})

	a.handle("/api/health/checks/alarms", methods{get: a.checkAlarms})
	a.handle("/api/health/checks/local-alarms", methods{get: a.checkAlarms})
	a.handle("/api/health/checks/virtual-hosts", methods{get: a.checkOK})
	a.handle("/api/health/checks/node-is-quorum-critical", methods{get: a.checkOK})
	a.handle("/api/health/checks/node-is-mirror-sync-critical", methods{get: a.checkOK})
	a.handle("/api/health/checks/is-in-service", methods{get: a.checkOK})
	a.handle("/api/health/checks/ready-to-serve-clients", methods{get: a.checkReady})
	a.registerProbes()
	a.registerFeatureFlags()
	a.handle("/api/health/checks/certificate-expiration/{within}/{unit}", methods{get: a.checkOK})
	a.handle("/api/health/checks/port-listener/{port}", methods{get: a.checkPortListener})
	a.handle("/api/health/checks/protocol-listener/{protocol}", methods{get: a.checkProtocolListener})
	a.handle("/api/aliveness-test/{vhost}", methods{get: a.aliveness})
}
