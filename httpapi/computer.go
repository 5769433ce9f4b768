package httpapi

import "deskwatch/health"

// computerDTO is the operator's computer as deskwatch's probes see it: the
// verdict after the misses/answers hysteresis, and the last probe.
type computerDTO struct {
	Host   string    `json:"host"`
	State  string    `json:"state"` // up | down | unknown (no verdict yet)
	Since  *string   `json:"since"` // the verdict's time
	Detail string    `json:"detail,omitempty"`
	Probe  *probeDTO `json:"probe,omitempty"`
}

func (s *Server) computerDTO(v health.DeskView) *computerDTO {
	c := v.Computer
	if c == nil {
		return nil
	}
	d := &computerDTO{Host: c.Host, State: string(c.State), Since: rfc(c.At), Detail: c.Detail}
	if s.opt.Computer != nil {
		if last, ok := s.opt.Computer(v.ID); ok {
			d.Probe = &probeDTO{Alive: last.Alive, RTTms: ms(last.RTT), Misses: last.Misses, At: rfc(last.At)}
		}
	}
	return d
}
