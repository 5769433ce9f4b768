package report

import "fmt"

// labels is every piece of text a renderer shows, in one language.
type labels struct {
	dec, thousands string // decimal and grouping separators for display
	dateTime       string // Go layout for times in the PDF and CSV
	dateOnly       string // Go layout for dates
	xlsxDateTime   string // Excel number format for times
	hm, sec        string // units: hours:minutes, seconds
	ongoing        string // an interval that has not ended
	none           string // an empty cell in the PDF

	institution, center, addressee, standard string
	title                                    func(q, year int) string

	period, zone, measuredTo, due, generated, version, status, inputsHash string
	journalHead                                                           string
	dueText                                                               func(date string) string
	openNote                                                              func(at string) string
	statuses                                                              map[string]string

	// Sheet names, also the CSV table headings and the PDF section titles' stems.
	sheetIndicators, sheetDesks, sheetExclusions, sheetJournal, sheetCoverage string

	// The п.28 indicator table.
	secIndicators                                     string
	colNo, colIndicator, colUnit, colValue            string
	indN, indD, unitPieces, unitPercent               string
	formula, footnote                                 string
	secHotlines, colHotline, colHotlineN, colHotlineD string

	// Data table headers (CSV, XLSX).
	key, value                                          string
	deskCols, exclusionCols, journalCols, intervalCols  []string
	keyUnknownSeconds, keyTreatment, keyN, keyD, keyDue string
	keyFrom, keyTo, keyQuarter                          string

	// PDF tables.
	secDesks, secExclusions, secJournal, secCoverage string
	pdfDeskCols, pdfExclusionCols, pdfJournalCols    []string
	pdfIntervalCols                                  []string
	inServiceFrom, inServiceUntil, inServiceAlways   string
	scheduleLabel, aroundTheClock                    string
	noExclusions, noJournal, noBlind, blindIntervals string
	coverageText                                     func(total string) string
	treatments                                       map[string]string
	moreDesks                                        func(more, total int) string
	journalNote                                      string
	journalTooLong                                   func(n, limit string, version int, hash string) string
	colFault, colCause, colEntries, colEntriesTime   string
	total                                            string

	signature, signHint, nameHint, dateLine string
	page                                    func(n int) string // "{nb}" stands for the total

	categories, faults, causes, detections map[string]string
}

var ru = labels{
	dec: ",", thousands: "\u00a0",
	dateTime: "02.01.2006 15:04:05", dateOnly: "02.01.2006",
	xlsxDateTime: "dd.mm.yyyy hh:mm:ss",
	hm:           "ч:мм", sec: "с", ongoing: "продолжается", none: "—",

	institution: "ГАУ «МФЦ Иркутской области»",
	center:      "Единый контакт-центр Правительства Иркутской области (ЕКЦ), линии 122 и 117",
	addressee:   "В министерство цифрового развития и связи Иркутской области",
	standard: "Стандарт качества выполнения работы «Техническое обслуживание и обеспечение " +
		"функционирования единого контакт-центра Правительства Иркутской области», утверждённый " +
		"приказом министерства цифрового развития и связи Иркутской области от 16 ноября 2023 г. (п.28–31)",
	title: func(q, year int) string {
		return fmt.Sprintf("Отчёт о непрерывности работы автоматизированных рабочих мест ЕКЦ за %d квартал %d г.", q, year)
	},

	period: "Отчётный период", zone: "Часовой пояс", measuredTo: "Данные по состоянию на",
	due: "Срок представления", generated: "Сформирован", version: "Версия отчёта",
	status: "Статус", inputsHash: "Хэш входных данных",
	journalHead: "Заголовок цепочки журнала учета работы АРМ (для deskwatch journal verify -anchor)",
	dueText: func(d string) string {
		return "не позднее " + d + " (п.31: представляется не позднее 15 числа месяца, следующего за отчётным кварталом)"
	},
	openNote: func(at string) string {
		return "Квартал не завершён: показатели рассчитаны по состоянию на " + at + " и предварительные."
	},
	statuses: map[string]string{
		StatusOpen:      "квартал не завершён (предварительные данные)",
		StatusReady:     "сформирован, не представлен",
		StatusSubmitted: "представлен в министерство",
		StatusOverdue:   "не представлен в срок",
	},

	sheetIndicators: "Показатели", sheetDesks: "АРМ", sheetExclusions: "Исключения",
	sheetJournal: "Журнал", sheetCoverage: "Покрытие мониторинга",

	secIndicators: "1. Показатели объёма и качества работы (п.28)",
	colNo:         "№ п/п", colIndicator: "Показатель (индикатор)", colUnit: "Ед. изм.", colValue: "Значение",
	indN:       "Количество автоматизированных рабочих мест",
	indD:       "Обеспечение бесперебойной работы автоматизированных рабочих мест (D)*",
	unitPieces: "ед.", unitPercent: "%",
	formula: "D = ΣDi / N;  Di = (t_предоставления − t_недоступности) / t_предоставления × 100 %, где " +
		"t_предоставления — общее время функционирования АРМ в отчётном периоде (с учётом ввода в работу, " +
		"вывода из работы и графика работы АРМ), t_недоступности — общее время, в течение которого зафиксирован сбой в работе АРМ.",
	footnote:    "* При расчёте не учитываются сбои в работе, произошедшие не по вине учреждения (раздел 3).",
	secHotlines: "По линиям", colHotline: "Линия", colHotlineN: "Количество АРМ (N)", colHotlineD: "D, %",

	key: "Показатель", value: "Значение",
	deskCols: []string{"АРМ", "Наименование", "Линии", "В работе с", "В работе по",
		"t_предоставления, с", "t_недоступности, с", "Исключено*, с", "Нет данных мониторинга, с", "Di, %", "График"},
	exclusionCols: []string{"ID сбоя", "АРМ", "Начало", "Окончание", "В отчётном периоде, с",
		"Категория", "Основание", "Исключил", "Дата исключения"},
	journalCols: []string{"№", "Начало", "Окончание", "АРМ", "Линии", "Причина", "Обнаружение",
		"Вина", "Категория исключения", "Основание", "Принятые меры", "Записал"},
	intervalCols:      []string{"Начало", "Окончание", "Длительность, с"},
	keyUnknownSeconds: "Время без мониторинга, с", keyTreatment: "Учёт при расчёте",
	keyN: "Количество автоматизированных рабочих мест (N)", keyD: "Обеспечение бесперебойной работы АРМ (D), %",
	keyDue: "Срок представления (п.31)", keyFrom: "Начало периода", keyTo: "Конец периода (не включая)",
	keyQuarter: "Квартал",

	secDesks:      "2. Непрерывность работы каждого АРМ (Di)",
	secExclusions: "3. Сбои, не учтённые при расчёте: не по вине учреждения (сноска * к п.28)",
	secJournal:    "4. Журнал учета работы автоматизированных рабочих мест за квартал (п.29, п.30)",
	secCoverage:   "5. Покрытие мониторинга",
	pdfDeskCols: []string{"АРМ", "Линии", "Период работы", "t_предоставления\nч:мм / с",
		"t_недоступности\nч:мм / с", "Исключено*\nч:мм / с", "Нет данных\nч:мм / с", "Di, %"},
	pdfExclusionCols: []string{"АРМ / ID сбоя", "Начало", "Окончание", "В периоде\nч:мм / с",
		"Категория", "Основание", "Исключил"},
	pdfIntervalCols: []string{"Начало", "Окончание", "Длительность, ч:мм / с"},
	pdfJournalCols: []string{"№", "Начало", "Окончание", "АРМ", "Линии", "Причина / обнаружение",
		"Вина", "Исключение: категория, основание", "Принятые меры", "Записал"},
	inServiceFrom: "с ", inServiceUntil: "по ", inServiceAlways: "весь период",
	scheduleLabel: "график: ", aroundTheClock: "круглосуточно",
	noExclusions: "Исключённых сбоев нет.", noJournal: "Записей в журнале за квартал нет.",
	noBlind: "Перерывов мониторинга не было.", blindIntervals: "Интервалы без мониторинга",
	coverageText: func(total string) string {
		return "Время без данных мониторинга (монитор не работал или не видел АТС): " + total + "."
	},
	treatments: map[string]string{
		TreatmentNotCounted: "Это время входит в t_предоставления, но не учтено как сбой (не входит в t_недоступности); " +
			"оно указано отдельно, так как работа АРМ в это время мониторингом не подтверждена.",
	},
	moreDesks: func(more, total int) string {
		return fmt.Sprintf("… и ещё %d (всего %d; полный список — в XLSX, CSV, JSON)", more, total)
	},
	journalNote: "Сбои по вине учреждения входят в t_недоступности; сбои не по вине учреждения — в разделе 3.",
	journalTooLong: func(n, limit string, version int, hash string) string {
		return fmt.Sprintf("Журнал за квартал содержит %s записей — больше, чем включается в печатный отчёт (%s). "+
			"Полностью, запись за записью, он приведён в файлах XLSX, CSV и JSON этого же отчёта "+
			"(версия %d, хэш входных данных %s). Ниже — сводка журнала.", n, limit, version, hash)
	},
	colFault: "Вина", colCause: "Причина", colEntries: "Записей",
	colEntriesTime: "Длительность в периоде\nч:мм / с", total: "Итого",

	signature: "Руководитель единого контакт-центра", signHint: "(подпись)", nameHint: "(расшифровка подписи)",
	dateLine: "«____» ______________ 20____ г.",
	page:     func(n int) string { return fmt.Sprintf("Стр. %d из {nb}", n) },

	categories: map[string]string{
		"power":         "отключение электроснабжения",
		"carrier":       "сбой оператора связи",
		"force_majeure": "обстоятельства непреодолимой силы",
		"other":         "иное",
	},
	faults: map[string]string{
		FaultInstitution: "по вине учреждения",
		FaultExternal:    "не по вине учреждения",
		FaultUnknown:     "не установлена",
	},
	causes: map[string]string{
		"unregistered": "АРМ не зарегистрирован на АТС",
		"unreachable":  "АРМ не отвечает (контакт недоступен)",
		"offline":      "АТС: АРМ не в сети",
		"missing":      "АРМ не настроен на АТС",
		"pbx":          "АТС недоступна",
		"manual":       "внесено вручную",
		"computer":     "компьютер оператора не отвечает",
	},
	detections: map[string]string{"ari": "АТС (ARI)", "sip": "SIP-проверка", "manual": "вручную", "computer": "проверка компьютера"},
}

var en = labels{
	dec: ".", thousands: ",",
	dateTime: "2006-01-02 15:04:05", dateOnly: "2006-01-02",
	xlsxDateTime: "yyyy-mm-dd hh:mm:ss",
	hm:           "h:mm", sec: "s", ongoing: "ongoing", none: "—",

	institution: "GAU «MFC of the Irkutsk Region» (ГАУ «МФЦ Иркутской области»)",
	center:      "Unified contact center of the Government of the Irkutsk Region (ЕКЦ), hotlines 122 and 117",
	addressee:   "To the Ministry of Digital Development and Communications of the Irkutsk Region",
	standard: "Quality standard of the state work \"Technical maintenance and operation of the unified " +
		"contact center of the Government of the Irkutsk Region\", approved by the order of the Ministry of " +
		"Digital Development and Communications of the Irkutsk Region of 16 November 2023 (clauses 28–31)",
	title: func(q, year int) string {
		return fmt.Sprintf("Report on the continuity of operation of the contact center's automated workstations, Q%d %d", q, year)
	},

	period: "Reporting period", zone: "Time zone", measuredTo: "Data as of",
	due: "Due", generated: "Generated", version: "Report version",
	status: "Status", inputsHash: "Inputs hash",
	journalHead: "Workstation journal chain head (for deskwatch journal verify -anchor)",
	dueText: func(d string) string {
		return "no later than " + d + " (clause 31: submitted no later than the 15th of the month after the quarter)"
	},
	openNote: func(at string) string {
		return "The quarter is not over: the figures count time up to " + at + " and are provisional."
	},
	statuses: map[string]string{
		StatusOpen:      "quarter in progress (provisional)",
		StatusReady:     "ready, not submitted",
		StatusSubmitted: "submitted to the ministry",
		StatusOverdue:   "overdue",
	},

	sheetIndicators: "Indicators", sheetDesks: "Workstations", sheetExclusions: "Exclusions",
	sheetJournal: "Journal", sheetCoverage: "Monitoring coverage",

	secIndicators: "1. Indicators of the volume and quality of the work (clause 28)",
	colNo:         "No.", colIndicator: "Indicator", colUnit: "Unit", colValue: "Value",
	indN:       "Number of automated workstations",
	indD:       "Uninterrupted operation of the automated workstations (D)*",
	unitPieces: "pcs", unitPercent: "%",
	formula: "D = ΣDi / N;  Di = (t_provided − t_unavailable) / t_provided × 100 %, where t_provided " +
		"(t_предоставления) is the time the workstation was in service in the period (within its schedule) and t_unavailable " +
		"(t_недоступности) the time during which a failure of it was recorded.",
	footnote:    "* Failures that happened through no fault of the institution are not counted (section 3).",
	secHotlines: "By hotline", colHotline: "Hotline", colHotlineN: "Workstations (N)", colHotlineD: "D, %",

	key: "Item", value: "Value",
	deskCols: []string{"Workstation", "Name", "Hotlines", "In service from", "In service until",
		"t_provided, s", "t_unavailable, s", "Excluded*, s", "Not monitored, s", "Di, %", "Schedule"},
	exclusionCols: []string{"Failure ID", "Workstation", "Start", "End", "Within the period, s",
		"Category", "Reason", "Excluded by", "Excluded at"},
	journalCols: []string{"No.", "Start", "End", "Workstations", "Hotlines", "Cause", "Detected by",
		"Fault", "Exclusion category", "Reason", "Actions taken", "Recorded by"},
	intervalCols:      []string{"Start", "End", "Duration, s"},
	keyUnknownSeconds: "Time not monitored, s", keyTreatment: "Treatment",
	keyN: "Number of automated workstations (N)", keyD: "Uninterrupted operation (D), %",
	keyDue: "Due (clause 31)", keyFrom: "Period start", keyTo: "Period end (exclusive)",
	keyQuarter: "Quarter",

	secDesks:      "2. Operation of each workstation (Di)",
	secExclusions: "3. Failures not counted: not the institution's fault (footnote * of clause 28)",
	secJournal:    "4. Journal of the operation of the automated workstations for the quarter (clauses 29, 30)",
	secCoverage:   "5. Monitoring coverage",
	pdfDeskCols: []string{"Workstation", "Hotlines", "In service", "t_provided\nh:mm / s",
		"t_unavailable\nh:mm / s", "Excluded*\nh:mm / s", "Not monitored\nh:mm / s", "Di, %"},
	pdfExclusionCols: []string{"Workstation / failure ID", "Start", "End", "Within the period\nh:mm / s",
		"Category", "Reason", "Excluded by"},
	pdfIntervalCols: []string{"Start", "End", "Duration, h:mm / s"},
	pdfJournalCols: []string{"No.", "Start", "End", "Workstations", "Hotlines", "Cause / detected by",
		"Fault", "Exclusion: category, reason", "Actions taken", "Recorded by"},
	inServiceFrom: "from ", inServiceUntil: "until ", inServiceAlways: "whole period",
	scheduleLabel: "schedule: ", aroundTheClock: "around the clock",
	noExclusions: "No failures were excluded.", noJournal: "The journal has no entries for the quarter.",
	noBlind: "Monitoring had no gaps.", blindIntervals: "Intervals without monitoring",
	coverageText: func(total string) string {
		return "Time without monitoring data (the monitor was down or could not see the PBX): " + total + "."
	},
	treatments: map[string]string{
		TreatmentNotCounted: "This time is part of t_provided but not counted as a failure (not in t_unavailable); " +
			"it is reported apart because monitoring did not confirm that the workstations worked.",
	},
	moreDesks: func(more, total int) string {
		return fmt.Sprintf("… and %d more (%d in all; the full list is in the XLSX, CSV and JSON)", more, total)
	},
	journalNote: "Failures by the institution's fault are in t_unavailable; the others are in section 3.",
	journalTooLong: func(n, limit string, version int, hash string) string {
		return fmt.Sprintf("The journal of the quarter has %s entries, more than the printed report lists (%s). "+
			"The XLSX, CSV and JSON files of the same report list every entry "+
			"(version %d, inputs hash %s). A summary of the journal follows.", n, limit, version, hash)
	},
	colFault: "Fault", colCause: "Cause", colEntries: "Entries",
	colEntriesTime: "Time within the period\nh:mm / s", total: "Total",

	signature: "Head of the contact center", signHint: "(signature)", nameHint: "(name)",
	dateLine: "Date: ____ ______________ 20____",
	page:     func(n int) string { return fmt.Sprintf("Page %d of {nb}", n) },

	categories: map[string]string{
		"power":         "power cut",
		"carrier":       "telecom carrier outage",
		"force_majeure": "force majeure",
		"other":         "other",
	},
	faults: map[string]string{
		FaultInstitution: "the institution's",
		FaultExternal:    "not the institution's",
		FaultUnknown:     "not established",
	},
	causes: map[string]string{
		"unregistered": "not registered on the PBX",
		"unreachable":  "not answering (contact unreachable)",
		"offline":      "PBX: endpoint offline",
		"missing":      "not configured on the PBX",
		"pbx":          "PBX down",
		"manual":       "entered by hand",
		"computer":     "the operator's computer not answering",
	},
	detections: map[string]string{"ari": "PBX (ARI)", "sip": "SIP probe", "manual": "by hand", "computer": "computer probe"},
}

// word returns the label of a code, or the code itself when it has none.
func word(m map[string]string, code string) string {
	if s, ok := m[code]; ok {
		return s
	}
	return code
}

// scheduleName is a desk's schedule as the report prints it.
func scheduleName(l *labels, name string) string {
	if name == "" {
		return l.aroundTheClock
	}
	return name
}
