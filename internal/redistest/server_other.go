//go:build !unix

package redistest

import "errors"

// Server is not available on this platform.
type Server struct{ socket string }

func startServer(int) (*Server, error) {
	return nil, errors.New("starting a throwaway Redis is only supported on unix")
}

func (*Server) start() error          { return errors.New("not supported") }
func (*Server) kill() error           { return errors.New("not supported") }
func (*Server) signalStop(bool) error { return errors.New("not supported") }
func (*Server) remove() error         { return nil }
