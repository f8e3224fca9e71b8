package metrics

import (
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warrenmq/warren/internal/alarm"
)

// RabbitMQVersion is the RabbitMQ version reported in rabbitmq_build_info;
// it is kept equal to mgmt.RabbitMQVersion (a test checks).
const RabbitMQVersion = "3.13.7"

// protocol is the value of the protocol label of the global counters.
const protocol = "amqp091"

// queueDescs are the queue metrics: per queue (labels vhost, queue) or
// summed over all queues (no labels).
type queueDescs struct {
	ready, unacked, messages, readyBytes, consumers *prometheus.Desc
	published, delivered, acked, redelivered        *prometheus.Desc
}

// vhostDescs are the per-vhost metrics (label vhost), per-object only.
type vhostDescs struct {
	queues, ready, unacked, consumers        *prometheus.Desc
	published, delivered, acked, redelivered *prometheus.Desc
}

type descs struct {
	identity, build, uptime                 *prometheus.Desc
	conns, chans, consumers, queues         *prometheus.Desc
	received, delivered, acked, redelivered *prometheus.Desc
	ready, unacked                          *prometheus.Desc
	rss, memLimit, diskFree, diskLimit      *prometheus.Desc
	memAlarm, diskAlarm, fdAlarm            *prometheus.Desc
	openFDs, maxFDs                         *prometheus.Desc
	q                                       queueDescs
	v                                       *vhostDescs // nil unless per-object
}

func newDescs(perObject bool) descs {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	ds := descs{
		identity:    d("rabbitmq_identity_info", "RabbitMQ node & cluster identity info", "rabbitmq_node", "rabbitmq_cluster", "rabbitmq_cluster_permanent_id"),
		build:       d("rabbitmq_build_info", "RabbitMQ & Erlang/OTP version info (Warren: the Go version)", "rabbitmq_version", "prometheus_plugin_version", "prometheus_client_version", "erlang_version", "product_name", "product_version"),
		uptime:      d("rabbitmq_erlang_uptime_seconds", "Node uptime"),
		conns:       d("rabbitmq_connections", "Connections currently open"),
		chans:       d("rabbitmq_channels", "Channels currently open"),
		consumers:   d("rabbitmq_consumers", "Consumers currently connected"),
		queues:      d("rabbitmq_queues", "Queues available"),
		received:    d("rabbitmq_global_messages_received_total", "Total number of messages received from publishers (Warren: enqueued, counted once per queue)", "protocol"),
		delivered:   d("rabbitmq_global_messages_delivered_total", "Total number of messages delivered to consumers", "protocol"),
		acked:       d("rabbitmq_global_messages_acknowledged_total", "Total number of messages acknowledged by consumers", "protocol"),
		redelivered: d("rabbitmq_global_messages_redelivered_total", "Total number of messages redelivered to consumers", "protocol"),
		ready:       d("warren_messages_ready", "Messages ready to be delivered, all queues"),
		unacked:     d("warren_messages_unacked", "Messages delivered but not yet acknowledged, all queues"),
		rss:         d("rabbitmq_process_resident_memory_bytes", "Memory used in bytes"),
		memLimit:    d("rabbitmq_resident_memory_limit_bytes", "Memory high watermark in bytes"),
		diskFree:    d("rabbitmq_disk_space_available_bytes", "Disk space available in bytes"),
		diskLimit:   d("rabbitmq_disk_space_available_limit_bytes", "Free disk space low watermark in bytes"),
		memAlarm:    d("rabbitmq_alarms_memory_used_watermark", "is set to 1 if the memory alarm is in effect"),
		diskAlarm:   d("rabbitmq_alarms_free_disk_space_watermark", "is set to 1 if the free disk space alarm is in effect"),
		fdAlarm:     d("rabbitmq_alarms_file_descriptor_limit", "is set to 1 if the file descriptor limit alarm is in effect"),
		openFDs:     d("rabbitmq_process_open_fds", "Open file descriptors"),
		maxFDs:      d("rabbitmq_process_max_fds", "Open file descriptors limit"),
	}
	var ql []string
	if perObject {
		ql = []string{"vhost", "queue"}
	}
	ds.q = queueDescs{
		ready:       d("rabbitmq_queue_messages_ready", "Messages ready to be delivered to consumers", ql...),
		unacked:     d("rabbitmq_queue_messages_unacked", "Messages delivered to consumers but not yet acknowledged", ql...),
		messages:    d("rabbitmq_queue_messages", "Sum of ready and unacknowledged messages - total queue depth", ql...),
		readyBytes:  d("rabbitmq_queue_messages_ready_bytes", "Size in bytes of ready messages", ql...),
		consumers:   d("rabbitmq_queue_consumers", "Consumers on a queue", ql...),
		published:   d("rabbitmq_queue_messages_published_total", "Total number of messages published to queues", ql...),
		delivered:   d("rabbitmq_queue_messages_delivered_total", "Total number of messages delivered from a queue to consumers (Warren: basic.deliver and basic.get, any acknowledgement mode)", ql...),
		acked:       d("rabbitmq_queue_messages_acked_total", "Total number of messages acknowledged by consumers on a queue", ql...),
		redelivered: d("rabbitmq_queue_messages_redelivered_total", "Total number of messages redelivered from a queue to consumers", ql...),
	}
	if perObject {
		ds.v = &vhostDescs{
			queues:      d("warren_vhost_queues", "Queues in a virtual host", "vhost"),
			ready:       d("warren_vhost_messages_ready", "Messages ready to be delivered, all queues of a virtual host", "vhost"),
			unacked:     d("warren_vhost_messages_unacked", "Messages delivered but not yet acknowledged, all queues of a virtual host", "vhost"),
			consumers:   d("warren_vhost_consumers", "Consumers on the queues of a virtual host", "vhost"),
			published:   d("warren_vhost_messages_published_total", "Total number of messages published to the queues of a virtual host", "vhost"),
			delivered:   d("warren_vhost_messages_delivered_total", "Total number of messages delivered from the queues of a virtual host", "vhost"),
			acked:       d("warren_vhost_messages_acked_total", "Total number of messages acknowledged on the queues of a virtual host", "vhost"),
			redelivered: d("warren_vhost_messages_redelivered_total", "Total number of messages redelivered from the queues of a virtual host", "vhost"),
		}
	}
	return ds
}

func (ds *descs) each(f func(*prometheus.Desc)) {
	for _, x := range []*prometheus.Desc{ds.identity, ds.build, ds.uptime, ds.conns, ds.chans, ds.consumers, ds.queues,
		ds.received, ds.delivered, ds.acked, ds.redelivered, ds.ready, ds.unacked,
		ds.rss, ds.memLimit, ds.diskFree, ds.diskLimit, ds.memAlarm, ds.diskAlarm, ds.fdAlarm, ds.openFDs, ds.maxFDs,
		ds.q.ready, ds.q.unacked, ds.q.messages, ds.q.readyBytes, ds.q.consumers,
		ds.q.published, ds.q.delivered, ds.q.acked, ds.q.redelivered} {
		f(x)
	}
	if v := ds.v; v != nil {
		for _, x := range []*prometheus.Desc{v.queues, v.ready, v.unacked, v.consumers, v.published, v.delivered, v.acked, v.redelivered} {
			f(x)
		}
	}
}

// collector reads the broker at scrape time.
type collector struct {
	src       Source
	perObject bool
	d         descs
	tr        tracker
}

func newCollector(src Source, perObject bool) *collector {
	return &collector{src: src, perObject: perObject, d: newDescs(perObject), tr: newTracker()}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	c.d.each(func(d *prometheus.Desc) { ch <- d })
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v uint64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := &c.src
	node, cluster := "warren@localhost", "warren@localhost"
	if s.Identity != nil {
		node, cluster = s.Identity()
	}
	gauge(ch, c.d.identity, 1, node, cluster, "warren-"+node)
	gauge(ch, c.d.build, 1, RabbitMQVersion, s.Version, "client_golang", runtime.Version(), "Warren", s.Version)
	gauge(ch, c.d.uptime, time.Since(s.Started).Seconds())

	conns, chans := 0, 0
	if s.AMQP != nil {
		for _, ci := range s.AMQP.Connections() {
			conns++
			chans += ci.Channels
		}
	}
	gauge(ch, c.d.conns, float64(conns))
	gauge(ch, c.d.chans, float64(chans))

	t := c.tr.scan(s.Broker, func(vhost, queue string, q qstate) {
		if !c.perObject {
			return
		}
		c.emitQueue(ch, q, vhost, queue)
	})
	gauge(ch, c.d.consumers, float64(t.total.consumers))
	gauge(ch, c.d.queues, float64(t.total.queues))
	counter(ch, c.d.received, t.total.c.published, protocol)
	counter(ch, c.d.delivered, t.total.c.delivered, protocol)
	counter(ch, c.d.acked, t.total.c.acked, protocol)
	counter(ch, c.d.redelivered, t.total.c.redelivered, protocol)
	gauge(ch, c.d.ready, float64(t.total.ready))
	gauge(ch, c.d.unacked, float64(t.total.unacked))
	if c.perObject {
		for _, v := range t.vhosts {
			c.emitVHost(ch, v)
		}
	} else {
		c.emitQueue(ch, t.total.qstate)
	}

	c.collectNode(ch)
}

// emitQueue writes the queue metrics of one queue (labels vhost, queue)
// or of the sum over all queues (no labels).
func (c *collector) emitQueue(ch chan<- prometheus.Metric, q qstate, labels ...string) {
	d := &c.d.q
	gauge(ch, d.ready, float64(q.ready), labels...)
	gauge(ch, d.unacked, float64(q.unacked), labels...)
	gauge(ch, d.messages, float64(q.ready+q.unacked), labels...)
	gauge(ch, d.readyBytes, float64(q.readyBytes), labels...)
	gauge(ch, d.consumers, float64(q.consumers), labels...)
	counter(ch, d.published, q.c.published, labels...)
	counter(ch, d.delivered, q.c.delivered, labels...)
	counter(ch, d.acked, q.c.acked, labels...)
	counter(ch, d.redelivered, q.c.redelivered, labels...)
}

func (c *collector) emitVHost(ch chan<- prometheus.Metric, v vstate) {
	d := c.d.v
	gauge(ch, d.queues, float64(v.queues), v.name)
	gauge(ch, d.ready, float64(v.ready), v.name)
	gauge(ch, d.unacked, float64(v.unacked), v.name)
	gauge(ch, d.consumers, float64(v.consumers), v.name)
	counter(ch, d.published, v.c.published, v.name)
	counter(ch, d.delivered, v.c.delivered, v.name)
	counter(ch, d.acked, v.c.acked, v.name)
	counter(ch, d.redelivered, v.c.redelivered, v.name)
}

// collectNode writes memory, disk, alarms and file descriptors.
func (c *collector) collectNode(ch chan<- prometheus.Metric) {
	s := &c.src
	if rss, err := alarm.ResidentMemory(); err == nil {
		gauge(ch, c.d.rss, float64(rss))
	}
	gauge(ch, c.d.memLimit, float64(s.MemoryLimit))
	if s.DataDir != "" {
		if free, err := alarm.DiskFree(s.DataDir); err == nil {
			gauge(ch, c.d.diskFree, float64(free))
		}
	}
	gauge(ch, c.d.diskLimit, float64(s.DiskFreeLimit))
	var mem, disk bool
	if s.Alarms != nil {
		mem, disk = s.Alarms.Raised(alarm.Memory), s.Alarms.Raised(alarm.Disk)
	}
	gauge(ch, c.d.memAlarm, b2f(mem))
	gauge(ch, c.d.diskAlarm, b2f(disk))
	gauge(ch, c.d.fdAlarm, 0)
	if n, ok := openFDs(); ok {
		gauge(ch, c.d.openFDs, float64(n))
	}
	if n, ok := maxFDs(); ok {
		gauge(ch, c.d.maxFDs, float64(n))
	}
}
