package service

import "time"

// OnShift reports whether a desk is provided at t by its schedule (a desk
// without one always is; an unknown desk never is). It does not look at the
// desk's service window.
func (s *Service) OnShift(desk string, t time.Time) bool {
	w, ok := s.byID[desk]
	if !ok {
		return false
	}
	if w.Schedule == "" {
		return true
	}
	return s.scheds[w.Schedule].Contains(t) // a nil schedule is around the clock
}
