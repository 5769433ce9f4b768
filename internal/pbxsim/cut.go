package pbxsim

// CutApp cuts one application off, as a network fault between one monitor
// and the PBX would: its socket drops abruptly and its reconnects are
// refused (503) until RestoreApp; other applications and REST go on.
func (s *Server) CutApp(app string) {
	s.mu.Lock()
	if s.cut == nil {
		s.cut = map[string]bool{}
	}
	s.cut[app] = true
	var drop []*conn
	if a := s.apps[app]; a != nil && a.conn != nil {
		drop = append(drop, a.conn)
	}
	s.mu.Unlock()
	closeAll(drop)
}

// RestoreApp accepts app's sockets again.
func (s *Server) RestoreApp(app string) {
	s.mu.Lock()
	delete(s.cut, app)
	s.mu.Unlock()
}
