//go:build !unix

package metrics

func openFDs() (int, bool)   { return 0, false }
func maxFDs() (uint64, bool) { return 0, false }
