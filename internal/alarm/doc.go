// Package alarm watches the broker's resources — memory in use against a
// high watermark, free disk space under the data directory against a
// limit — and raises or clears alarms, as RabbitMQ's memory and disk
// alarms do. While any alarm is raised, protocol adapters stop reading
// from publishing connections (AMQP 0-9-1 also tells clients with
// connection.blocked), so publishers are held back by TCP flow control
// while consumers keep draining the queues.
package alarm
