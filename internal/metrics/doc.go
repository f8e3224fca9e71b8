// Package metrics is Warren's Prometheus endpoint: one registry per
// server (prometheus.NewRegistry, never the global one), served in the
// text exposition format at /metrics on the management listener without
// authentication, as RabbitMQ's rabbitmq_prometheus plugin serves it on
// its own port.
//
// Cost. Nothing is added to the message path: the collector reads, at
// scrape time, the counters the broker keeps anyway (broker.QueueStats
// atomics), each queue's counts under its lock once (Queue.Info), the
// AMQP adapter's connection list, the alarm set, RSS and free disk. Only
// the store sync histogram is observed as it happens, once per
// group-commit round (store.Options.OnSync), not per message.
//
// Per-object metrics. With Options.PerObject (warren.Config.
// PerObjectMetrics, default on) queue metrics carry the labels vhost and
// queue and per-vhost warren_vhost_* series are added; off, the same
// rabbitmq_queue_* names are exported once without labels, summed over
// all queues, which is what RabbitMQ's default (aggregated) /metrics
// returns. Dashboards that sum (sum(rabbitmq_queue_messages_ready)) work
// either way. Scraping cost grows with the number of queues only in
// per-object mode.
//
// Names. RabbitMQ's names are used wherever RabbitMQ has the metric, so
// the RabbitMQ-Overview Grafana dashboard and existing alert rules work:
//
//	metric                                        | Warren's source
//	----------------------------------------------+------------------------------------------------------
//	rabbitmq_identity_info                        | 1; labels rabbitmq_node and rabbitmq_cluster (the
//	                                              | management API's names), rabbitmq_cluster_permanent_id
//	                                              | "warren-<node>"
//	rabbitmq_build_info                           | 1; labels rabbitmq_version 3.13.7 (the API compatibility
//	                                              | version), erlang_version (the Go version), product_*
//	rabbitmq_erlang_uptime_seconds                | time since the server started
//	rabbitmq_connections                          | client connections (amqp091.Server.Connections)
//	rabbitmq_channels                             | open channels over all connections
//	rabbitmq_consumers                            | consumers over all queues
//	rabbitmq_queues                               | queues over all vhosts
//	rabbitmq_global_messages_received_total       | sum of the queues' published counters {protocol="amqp091"}
//	rabbitmq_global_messages_delivered_total      | sum of delivered (deliver + get, any ack mode)
//	rabbitmq_global_messages_acknowledged_total   | sum of acked
//	rabbitmq_global_messages_redelivered_total    | sum of redelivered
//	rabbitmq_process_resident_memory_bytes        | RSS (alarm.ResidentMemory)
//	rabbitmq_resident_memory_limit_bytes          | memory high watermark (0: disabled)
//	rabbitmq_disk_space_available_bytes           | free space under the data directory (absent without one)
//	rabbitmq_disk_space_available_limit_bytes     | disk free limit
//	rabbitmq_alarms_memory_used_watermark         | 1 while the memory alarm is raised
//	rabbitmq_alarms_free_disk_space_watermark     | 1 while the disk alarm is raised
//	rabbitmq_alarms_file_descriptor_limit         | always 0 (Warren has no such alarm)
//	rabbitmq_process_open_fds, _max_fds           | /proc/self/fd, RLIMIT_NOFILE
//	rabbitmq_queue_messages_ready                 | Queue.Info().Ready      } per queue {vhost,queue}, or
//	rabbitmq_queue_messages_unacked               | Info().Unacked          } one unlabelled sum when
//	rabbitmq_queue_messages                       | ready + unacked         } per-object metrics are off
//	rabbitmq_queue_messages_ready_bytes           | Info().ReadyBytes       }
//	rabbitmq_queue_consumers                      | Info().Consumers        }
//	rabbitmq_queue_messages_published_total       | Stats.Published         }
//	rabbitmq_queue_messages_delivered_total       | Stats.Delivered         }
//	rabbitmq_queue_messages_acked_total           | Stats.Acked             }
//	rabbitmq_queue_messages_redelivered_total     | Stats.Redelivered       }
//
// Warren's own series, where RabbitMQ has no equivalent:
//
//	warren_messages_ready, warren_messages_unacked   broker-wide, in both modes
//	warren_vhost_queues, _messages_ready, _messages_unacked, _consumers,
//	  _messages_{published,delivered,acked,redelivered}_total{vhost}   per-object mode only
//	warren_store_sync_duration_seconds               histogram of the fsync time of each
//	                                                 store commit round (50 µs .. 3.3 s)
//
// and the Go runtime and process collectors (go_*, process_*).
//
// Differences from RabbitMQ, all from Warren counting per queue:
// rabbitmq_global_messages_received_total counts a message once per queue
// it was enqueued on (RabbitMQ: once per publish, routed or not), and
// delivered_total does not split basic.get from basic.deliver or manual
// from automatic acknowledgement (RabbitMQ's *_get_*, *_delivered_ack_*
// and *_consume_*_ack_* series are not exported; their sum is
// delivered_total). Unlike RabbitMQ's aggregated sums, Warren's
// broker-wide and per-vhost counters never go backwards when a queue is
// deleted: the counts a deleted queue had at the last scrape that saw it
// are kept (what it counted after that scrape is lost).
package metrics
