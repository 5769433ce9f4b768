//go:build race

package main

// raceBuild: the tests run under the race detector, and so do the daemons
// the process harness starts.
const raceBuild = true
