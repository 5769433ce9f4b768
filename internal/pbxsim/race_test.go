//go:build race

package pbxsim

const raceEnabled = true
