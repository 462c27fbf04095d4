//go:build unix && !linux

package redistest

import "syscall"

// setParentDeathSignal does nothing here: only Linux has a parent-death signal. A test
// binary that dies without returning from Main leaves its server running.
func setParentDeathSignal(*syscall.SysProcAttr) {}
