package journal

import (
	"slices"

	"deskwatch/health"
)

// SetWorkstations replaces the desks whose hotlines are copied into the
// entries (Options.Workstations), e.g. on a configuration reload. Entries
// already recorded keep the hotlines they were given.
func (j *Journal) SetWorkstations(ws []health.Workstation) {
	m := make(map[string][]string, len(ws))
	for _, w := range ws {
		lines := slices.Clone(w.Hotlines)
		slices.Sort(lines)
		m[w.ID] = slices.Compact(lines)
	}
	j.hotlines.Store(&m)
}
