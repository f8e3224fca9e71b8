package broker

// VHostLimits are RabbitMQ's per-vhost limits; -1 means unlimited.
type VHostLimits struct {
	MaxConnections int64 `json:"max-connections"`
	MaxQueues      int64 `json:"max-queues"`
}

// NoVHostLimits is the default.
var NoVHostLimits = VHostLimits{MaxConnections: -1, MaxQueues: -1}

// SetLimits replaces the vhost's limits.
func (v *VHost) SetLimits(l VHostLimits) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.limits = l
	v.limitsSet = true
}

// Limits returns the vhost's limits and whether any were set.
func (v *VHost) Limits() (VHostLimits, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if !v.limitsSet {
		return NoVHostLimits, false
	}
	return v.limits, true
}

// ClearLimits removes the vhost's limits.
func (v *VHost) ClearLimits() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.limits, v.limitsSet = NoVHostLimits, false
}

// checkQueueLimitLocked refuses a new queue beyond max-queues, with
// RabbitMQ's error.
func (v *VHost) checkQueueLimitLocked(name string) error {
	if v.limitsSet && v.limits.MaxQueues >= 0 && int64(len(v.queues)) >= v.limits.MaxQueues {
		return errorf(CodePreconditionFailed, "cannot declare queue '%s': queue limit in vhost '%s' (%d) is reached", name, v.name, v.limits.MaxQueues)
	}
	return nil
}
