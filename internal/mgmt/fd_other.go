//go:build !unix

package mgmt

func fdTotal() uint64 { return 0 }
