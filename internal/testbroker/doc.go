// Package testbroker runs an embedded Warren on a loopback port for the
// tests of other packages (the load tool, its client), so each does not
// repeat the start-and-clean-up steps.
package testbroker
