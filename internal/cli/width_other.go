//go:build !unix

package cli

import "os"

// terminalColumns cannot ask the terminal here: 0 (use the default).
func terminalColumns(*os.File) int { return 0 }
