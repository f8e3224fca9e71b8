//go:build race

package broker

// raceEnabled scales down the delayed-message load test: the race
// detector slows everything several times over.
const raceEnabled = true
