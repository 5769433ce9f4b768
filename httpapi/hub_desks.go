package httpapi

// PublishDesks tells every client that these workstations changed without
// a transition (a shift began or ended, a maintenance window opened).
func (h *Hub) PublishDesks(ids []string) {
	if h != nil && len(ids) > 0 {
		h.send(ids)
	}
}
