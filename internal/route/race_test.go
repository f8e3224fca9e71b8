//go:build race

package route

// The race detector makes sync.Pool drop items at random, so allocation
// counts that depend on the pool are only checked without it.
const raceEnabled = true
