//go:build !race

package main

// raceBuild: the tests run without the race detector, and so do the
// daemons the process harness starts.
const raceBuild = false
