package health

// Reconfigure replaces the configured workstations while the tracker runs
// (a configuration reload) and returns the ids of the desks it did not
// know. A desk that stays keeps its decided state and since, so its open
// span goes on; an endpoint that stays keeps its evidence, on whichever
// desk it now is. New desks start unknown, new endpoints without evidence.
// It decides nothing: a desk whose endpoints changed is decided by its
// next observation (the ARI client snapshots such endpoints at once), and
// a removed desk simply stops being watched.
func (t *Tracker) Reconfigure(ws []Workstation) (added []string) {
	desks := make(map[string]*desk, len(ws))
	endpoints := make(map[string]*endpoint)
	order := make([]*desk, 0, len(ws))
	for _, w := range ws {
		d, ok := t.desks[w.ID]
		if !ok {
			d = &desk{state: StateUnknown, pbx: t.pbx}
			added = append(added, w.ID)
		}
		d.ws, d.eps = w, nil
		for _, id := range w.Endpoints {
			if _, dup := endpoints[id]; dup {
				continue // the config's error; the first desk wins, as in NewTracker
			}
			ep, ok := t.endpoints[id]
			if !ok {
				ep = &endpoint{id: id, level: StateUnknown}
			}
			ep.desk = d
			endpoints[id] = ep
			d.eps = append(d.eps, ep)
		}
		desks[w.ID] = d
		order = append(order, d)
	}
	t.desks, t.endpoints, t.order = desks, endpoints, order
	return added
}
