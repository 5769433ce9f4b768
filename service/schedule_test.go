package service_test

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/schedule"
	"deskwatch/service"
)

// withDaySchedule is the env's service with d1 on a 09:00-18:00 shift every
// day, in Irkutsk time.
func (e *env) withDaySchedule() *service.Service {
	day := &schedule.Schedule{Name: "day", Location: e.loc}
	for wd := range day.Weekly {
		day.Weekly[wd] = []schedule.Range{{Start: 9 * 60, End: 18 * 60}}
	}
	wss := []health.Workstation{
		{ID: "d1", Hotlines: []string{"122"}, Endpoints: []string{"PJSIP/d1"}, Schedule: "day"},
		{ID: "d2", Hotlines: []string{"122"}, Endpoints: []string{"PJSIP/d2"}},
	}
	return service.New(service.Options{Workstations: wss, Location: e.loc, Store: e.st, Journal: e.jr,
		Schedules: map[string]*schedule.Schedule{"day": day}, Now: func() time.Time { return e.now }, Logger: zerolog.Nop()})
}

// A manual outage outside the desk's shift is accepted (the supervisor
// records what happened) and costs nothing; inside the shift it counts,
// and t_provided is the shifts' time. The report agrees with the API.
func TestManualOutageOutsideTheScheduleCostsNothing(t *testing.T) {
	e := newEnv(t)
	svc := e.withDaySchedule()
	// The quarter starts at 00:00 Irkutsk: hours 20-23 of day 1 are off shift.
	night, err := svc.AddManual(ctx, service.ManualOutage{Workstation: "d1", Start: e.h(20), End: e.h(23), Cause: "не включался компьютер", By: "duty"})
	if err != nil || !night.Manual {
		t.Fatalf("manual outage off shift: %+v %v", night, err)
	}
	av, err := svc.Availability(ctx, e.p)
	if err != nil {
		t.Fatal(err)
	}
	d1 := av.Desks[0]
	if d1.ID != "d1" || d1.Provided != 92*9*time.Hour || d1.Unavailable != 0 || d1.Di != 100 {
		t.Fatalf("off shift: %+v", d1)
	}
	if _, err := svc.AddManual(ctx, service.ManualOutage{Workstation: "d1", Start: e.h(24 + 17), End: e.h(24 + 19), Cause: "сбой", By: "duty"}); err != nil {
		t.Fatal(err)
	}
	if av, err = svc.Availability(ctx, e.p); err != nil || av.Desks[0].Unavailable != time.Hour {
		t.Fatalf("in shift: %+v %v", av.Desks[0], err)
	}
	qr, err := svc.LiveReport(ctx, e.q)
	if err != nil {
		t.Fatal(err)
	}
	if r := qr.Report.Desks[0]; r.Schedule != "day" || r.Provided != d1.Provided || r.Unavailable != time.Hour {
		t.Errorf("report desk %+v", r)
	}
	if !svc.OnShift("d1", e.h(9)) || svc.OnShift("d1", e.h(18)) || !svc.OnShift("d2", e.h(3)) || svc.OnShift("nope", e.h(9)) {
		t.Error("OnShift")
	}
}
