// Package chromiumlayer unpacks the Chromium the browser runner ships: the
// brotli-compressed files of the npm package @sparticuz/chromium (Package
// at Version, pinned in test/package.json), which `make build` stages as
// the browser runner's Lambda layer (here from test/node_modules, in a
// starter repository with npm pack) and Lambda mounts under LayerDir. The package's own
// JavaScript, which unpacks them for Node functions, cannot run in a Go
// function, so Install does the same in Go at cold start: chromium.br to
// the executable, swiftshader.tar.br beside it, al2023.tar.br (the shared
// libraries Amazon Linux 2023 lacks) to al2023/lib and fonts.tar.br to
// fonts, with a fontconfig file of its own. Browser.Env is the environment
// Chromium needs then (LD_LIBRARY_PATH, FONTCONFIG_PATH).
//
// @sparticuz/chromium ships Chromium for x86-64 only: the browser runner
// runs on x86_64, and Install refuses an executable built for another
// architecture than the running process's.
package chromiumlayer
