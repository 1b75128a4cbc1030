//go:build !race

package wsnative

const raceEnabled = false
