package report

import (
	"fmt"
	"testing"
	"time"

	"deskwatch/health"
)

var irkutsk = mustZone("Asia/Irkutsk")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// No tzdata on the machine: Irkutsk is UTC+8 without DST.
		return time.FixedZone(name, 8*3600)
	}
	return loc
}

// at is a local Irkutsk time.
func at(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, irkutsk).UTC()
}

// sampleReport is the third quarter of 2026 as it could really happen:
//   - a PBX-wide incident on 14 Jul takes down every desk then in service;
//   - op122-09 is commissioned on 15 Aug, op117-03 retired on 1 Sep;
//   - a city power cut on 3 Aug takes down the four desks of room 1, excluded
//     (not the institution's fault);
//   - a supervisor enters a broken computer by hand (the phone stayed up);
//   - an outage of op122-05 began before the quarter, one of op117-01 ends
//     after it;
//   - the monitor was blind for 40 minutes on 20 Aug.
func sampleReport(t testing.TB) *Report {
	q := health.Quarter{Year: 2026, Q: 3}
	period := q.Range(irkutsk)
	var ws []health.Workstation
	for i := 1; i <= 9; i++ {
		ws = append(ws, health.Workstation{ID: fmt.Sprintf("op122-%02d", i), Name: fmt.Sprintf("Оператор 122, место %d", i),
			Hotlines: []string{"122"}})
	}
	ws[8].InServiceFrom = at(2026, 8, 15, 9, 0, 0)
	for i := 1; i <= 3; i++ {
		ws = append(ws, health.Workstation{ID: fmt.Sprintf("op117-%02d", i), Name: fmt.Sprintf("Оператор 117, место %d", i),
			Hotlines: []string{"117"}})
	}
	ws[11].InServiceUntil = at(2026, 9, 1, 0, 0, 0)
	ws = append(ws, health.Workstation{ID: "sup-01", Name: "Старший смены", Hotlines: []string{"122", "117"}})

	spans := map[string][]health.Span{}
	add := func(s health.Span) { spans[s.Workstation] = append(spans[s.Workstation], s) }
	pbxStart, pbxEnd := at(2026, 7, 14, 10, 2, 11), at(2026, 7, 14, 10, 47, 40)
	var pbxDesks []string
	for _, w := range ws {
		if w.InServiceFrom.IsZero() || w.InServiceFrom.Before(pbxStart) {
			pbxDesks = append(pbxDesks, w.ID)
			add(health.Span{ID: "pbx-" + w.ID, Workstation: w.ID, Start: pbxStart, End: pbxEnd, Cause: health.CausePBX,
				Sources: []health.Source{health.SourceARI, health.SourceSIP}})
		}
	}
	power := &health.Exclusion{Category: "power", Reason: "Отключение электроснабжения здания (письмо ОАО «ИЭСК» № 12/345 от 04.08.2026)",
		By: "Петрова А.С.", At: at(2026, 8, 4, 11, 20, 0)}
	powerStart, powerEnd := at(2026, 8, 3, 14, 0, 0), at(2026, 8, 3, 16, 30, 0)
	var exclusions []ExclusionRow
	for i := 1; i <= 4; i++ {
		id := fmt.Sprintf("op122-%02d", i)
		add(health.Span{ID: "pwr-" + id, Workstation: id, Start: powerStart, End: powerEnd, Cause: health.CauseUnregistered,
			Sources: []health.Source{health.SourceARI}, Exclusion: power})
		exclusions = append(exclusions, ExclusionRow{SpanID: "pwr-" + id, Workstation: id, Start: powerStart, End: powerEnd,
			Counted: powerEnd.Sub(powerStart), Category: power.Category, Reason: power.Reason, By: power.By, At: power.At})
	}
	manStart, manEnd := at(2026, 9, 10, 9, 15, 0), at(2026, 9, 10, 11, 40, 30)
	add(health.Span{ID: "man-1", Workstation: "op117-02", Start: manStart, End: manEnd, Cause: health.CauseManual,
		Sources: []health.Source{health.SourceManual}, Manual: true, Note: "Неисправен системный блок"})
	edgeStart, edgeEnd := at(2026, 6, 30, 22, 0, 0), at(2026, 7, 1, 3, 0, 0)
	add(health.Span{ID: "edge-1", Workstation: "op122-05", Start: edgeStart, End: edgeEnd, Cause: health.CauseUnreachable,
		Sources: []health.Source{health.SourceARI}})
	lateStart, lateEnd := at(2026, 9, 30, 23, 0, 0), at(2026, 10, 1, 1, 30, 0)
	add(health.Span{ID: "edge-2", Workstation: "op117-01", Start: lateStart, End: lateEnd, Cause: health.CauseUnregistered,
		Sources: []health.Source{health.SourceARI}})
	regStart, regEnd := at(2026, 8, 21, 8, 5, 12), at(2026, 8, 21, 8, 19, 47)
	add(health.Span{ID: "reg-1", Workstation: "op122-09", Start: regStart, End: regEnd, Cause: health.CauseUnregistered,
		Sources: []health.Source{health.SourceARI, health.SourceSIP}})
	blind := []health.Interval{{Start: at(2026, 8, 20, 2, 0, 0), End: at(2026, 8, 20, 2, 40, 0)}}

	inputs := make([]health.DeskInput, len(ws))
	for i, w := range ws {
		inputs[i] = health.DeskInput{ID: w.ID, Hotlines: w.Hotlines,
			Service: health.Interval{Start: w.InServiceFrom, End: w.InServiceUntil}, Spans: spans[w.ID], Unknown: blind}
	}
	res := health.Availability(period, at(2026, 10, 5, 9, 0, 0), inputs)
	r := FromAvailability(q, irkutsk, res, ws)
	r.GeneratedAt = at(2026, 10, 5, 9, 0, 0)
	r.Version = 2
	r.Status = StatusSubmitted
	r.InputsHash = "sha256:9f2c4e1ab07d53c8e6f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7"
	r.Exclusions = exclusions
	r.Coverage.Intervals = blind
	r.Coverage.Unknown = blind[0].End.Sub(blind[0].Start)
	r.Journal = []JournalRow{
		{Number: 1, Start: edgeStart, End: edgeEnd, Desks: []string{"op122-05"}, Hotlines: []string{"122"},
			Cause: string(health.CauseUnreachable), Detection: []string{"ari"}, Fault: FaultInstitution,
			Actions: "Перезагружен коммутатор доступа", RecordedBy: "Сидоров В.П."},
		{Number: 2, Start: pbxStart, End: pbxEnd, Desks: pbxDesks, Hotlines: []string{"117", "122"},
			Cause: string(health.CausePBX), Detection: []string{"ari", "sip"}, Fault: FaultInstitution,
			Actions: "Перезапуск Asterisk после обновления; обновления только в окно обслуживания", RecordedBy: "Сидоров В.П."},
		{Number: 3, Start: powerStart, End: powerEnd, Desks: []string{"op122-01", "op122-02", "op122-03", "op122-04"},
			Hotlines: []string{"122"}, Cause: string(health.CauseUnregistered), Detection: []string{"ari"}, Fault: FaultExternal,
			ExclusionCategory: "power", Reason: power.Reason, Actions: "Вызовы переведены на места зала 2", RecordedBy: "Петрова А.С."},
		{Number: 4, Start: regStart, End: regEnd, Desks: []string{"op122-09"}, Hotlines: []string{"122"},
			Cause: string(health.CauseUnregistered), Detection: []string{"ari", "sip"}, Fault: FaultInstitution,
			Actions: "Переподключён кабель", RecordedBy: "Сидоров В.П."},
		{Number: 5, Start: manStart, End: manEnd, Desks: []string{"op117-02"}, Hotlines: []string{"117"},
			Cause: string(health.CauseManual), Detection: []string{"manual"}, Fault: FaultInstitution,
			Reason:  "Неисправен системный блок; телефон оставался зарегистрирован",
			Actions: "Системный блок заменён из резерва", RecordedBy: "Петрова А.С."},
		{Number: 6, Start: lateStart, End: lateEnd, Desks: []string{"op117-01"}, Hotlines: []string{"117"},
			Cause: string(health.CauseUnregistered), Detection: []string{"ari"}, Fault: FaultUnknown,
			RecordedBy: "deskwatch"},
	}
	if r.N != 13 {
		t.Fatalf("fixture: N = %d, want 13", r.N)
	}
	return r
}
