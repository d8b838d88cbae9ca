//go:build !race

package chromiumlayer_test

// raceDetector is true in a -race build, where unpacking takes a minute.
const raceDetector = false
