package redistest

import "syscall"

// setParentDeathSignal makes the kernel kill the child when the thread that started it
// exits, so that a test binary that dies (panic, os.Exit, timeout) leaves no server behind.
func setParentDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGKILL
}
