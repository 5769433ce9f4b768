//go:build !race

package pbxsim

const raceEnabled = false
