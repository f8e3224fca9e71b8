package mgmt

import (
	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
)

// applyLimits pushes one owner's stored limits to where they are enforced:
// the broker's vhost (max-connections, max-queues) or the adapter's user
// limits (max-connections, max-channels). a.mu must not be held.
func (a *API) applyLimits(user bool, owner string) {
	a.mu.Lock()
	vals := a.mem.limits[idx(user)][owner]
	get := func(name string) int64 {
		if v, ok := vals.get(name); ok {
			if n, ok := toInt(v); ok {
				return n
			}
		}
		return -1
	}
	vl := broker.VHostLimits{MaxConnections: get("max-connections"), MaxQueues: get("max-queues")}
	ul := auth.UserLimits{MaxConnections: get("max-connections"), MaxChannels: get("max-channels")}
	empty := len(vals) == 0
	a.mu.Unlock()
	if user {
		if a.d.UserLimits == nil {
			return
		}
		if empty {
			a.d.UserLimits.Clear(owner)
		} else {
			a.d.UserLimits.Set(owner, ul)
		}
		return
	}
	v := a.d.Broker.VHost(owner)
	if v == nil {
		return
	}
	if empty {
		v.ClearLimits()
	} else {
		v.SetLimits(vl)
	}
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		return int64(n), true
	}
	return 0, false
}
