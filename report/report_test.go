package report

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"deskwatch/health"
)

func TestFromAvailability(t *testing.T) {
	r := sampleReport(t)
	if got, want := r.From, at(2026, 7, 1, 0, 0, 0); !got.Equal(want) {
		t.Errorf("From = %v, want %v", got, want)
	}
	if got, want := r.DueDate().Format("02.01.2006"), "15.10.2026"; got != want {
		t.Errorf("DueDate = %s, want %s", got, want)
	}
	if len(r.Hotlines) != 2 || r.Hotlines[0].Number != "117" || r.Hotlines[1].Number != "122" {
		t.Fatalf("hotlines = %+v, want 117 then 122", r.Hotlines)
	}
	if r.Hotlines[0].N != 4 || r.Hotlines[1].N != 10 {
		t.Errorf("hotline N = %d, %d; want 4 (3 + sup-01), 10 (9 + sup-01)", r.Hotlines[0].N, r.Hotlines[1].N)
	}
	desk := map[string]DeskRow{}
	var sum float64
	for _, d := range r.Desks {
		desk[d.ID] = d
		sum += d.Di
	}
	if math.Abs(sum/float64(r.N)-r.D) > 1e-9 {
		t.Errorf("D = %v, mean of Di = %v", r.D, sum/float64(r.N))
	}
	pbx := 45*time.Minute + 29*time.Second
	for id, want := range map[string]time.Duration{
		"op122-05": 3*time.Hour + pbx,                                   // began before the quarter
		"op117-01": time.Hour + pbx,                                     // ends after it
		"op117-02": 2*time.Hour + 25*time.Minute + 30*time.Second + pbx, // entered by hand
		"op122-01": pbx,                                                 // the power cut is excluded
		"op122-09": 14*time.Minute + 35*time.Second,                     // commissioned after the PBX incident
	} {
		if got := desk[id].Unavailable; got != want {
			t.Errorf("%s unavailable = %v, want %v", id, got, want)
		}
	}
	if got := desk["op122-01"].Excluded; got != 150*time.Minute {
		t.Errorf("op122-01 excluded = %v, want 2h30m", got)
	}
	if got, want := desk["op122-09"].Provided, at(2026, 10, 1, 0, 0, 0).Sub(at(2026, 8, 15, 9, 0, 0)); got != want {
		t.Errorf("op122-09 provided = %v, want %v", got, want)
	}
	if !desk["op122-09"].InServiceFrom.Equal(at(2026, 8, 15, 9, 0, 0)) || desk["op122-09"].Name == "" {
		t.Errorf("op122-09 row lacks its workstation data: %+v", desk["op122-09"])
	}
	if r.Status != StatusSubmitted {
		t.Errorf("status %q", r.Status)
	}
	open := FromAvailability(health.Quarter{Year: 2026, Q: 3}, irkutsk, health.AvailabilityResult{
		Period:   health.Quarter{Year: 2026, Q: 3}.Range(irkutsk),
		Measured: health.Interval{Start: at(2026, 7, 1, 0, 0, 0), End: at(2026, 8, 1, 0, 0, 0)},
	}, nil)
	if open.Status != StatusOpen {
		t.Errorf("a running quarter: status %q, want open", open.Status)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := sampleReport(t)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("invalid JSON:\n%s", buf.String())
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"format": JSONFormat, "quarter": "2026Q3", "from": "2026-07-01T00:00:00+08:00",
		"to": "2026-10-01T00:00:00+08:00", "zone": "Asia/Irkutsk", "due_date": "2026-10-15",
		"due": "2026-10-16T00:00:00+08:00", "n": 13.0, "d": r.D, "status": "submitted", "version": 2.0,
	} {
		if doc[k] != want {
			t.Errorf("%s = %v, want %v", k, doc[k], want)
		}
	}
	desk0 := doc["desks"].([]any)[0].(map[string]any)
	if desk0["di"] != r.Desks[0].Di || desk0["provided_seconds"] != r.Desks[0].Provided.Seconds() ||
		desk0["unavailable_seconds"] != r.Desks[0].Unavailable.Seconds() {
		t.Errorf("desk 0 = %v, want %+v", desk0, r.Desks[0])
	}
	if desk0["in_service_from"] != nil {
		t.Errorf("unbounded service start = %v, want null", desk0["in_service_from"])
	}

	back, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.Zone.String() != r.Zone.String() {
		t.Errorf("zone %v, want %v", back.Zone, r.Zone)
	}
	back.Zone = r.Zone
	if !reflect.DeepEqual(back, r) {
		t.Errorf("JSON round trip differs:\n got %+v\nwant %+v", back, r)
	}
}

func TestJSONOngoingIsNull(t *testing.T) {
	r := sampleReport(t)
	r.Journal[5].End = time.Time{}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Journal []map[string]any `json:"journal"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if end, ok := doc.Journal[5]["end"]; !ok || end != nil {
		t.Errorf("ongoing end = %v (present %v), want null", end, ok)
	}
}

// csvTables parses WriteCSV's output into tables by heading: header row first.
func csvTables(t *testing.T, data []byte, headings ...string) map[string][][]string {
	t.Helper()
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte(csvBOM))))
	cr.Comma = ';'
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, h := range headings {
		known[h] = true
	}
	out := map[string][][]string{}
	cur := ""
	for _, rec := range recs {
		if len(rec) == 1 && known[rec[0]] {
			cur = rec[0]
			continue
		}
		if cur != "" {
			out[cur] = append(out[cur], rec)
		}
	}
	return out
}

func csvFloat(t *testing.T, s string) float64 {
	t.Helper()
	if strings.Contains(s, ".") {
		t.Errorf("%q: decimal point, want a decimal comma", s)
	}
	v, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}

func TestCSV(t *testing.T) {
	r := sampleReport(t)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if !bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf("no UTF-8 BOM: % x", data[:8])
	}
	if n, crlf := bytes.Count(data, []byte("\n")), bytes.Count(data, []byte("\r\n")); n != crlf || n == 0 {
		t.Errorf("%d line ends, %d of them CRLF", n, crlf)
	}
	lines := strings.Split(string(data), "\r\n")
	if !strings.Contains(lines[1], "десятичный разделитель — запятая") || !strings.Contains(lines[1], "точка с запятой") {
		t.Errorf("the note line does not state the format: %q", lines[1])
	}
	tabs := csvTables(t, data, ru.sheetIndicators, ru.secHotlines, ru.sheetDesks, ru.sheetExclusions,
		ru.sheetJournal, ru.sheetCoverage, ru.blindIntervals)
	kv := map[string]string{}
	for _, rec := range tabs[ru.sheetIndicators][1:] {
		kv[rec[0]] = rec[1]
	}
	if kv[ru.keyN] != "13" {
		t.Errorf("N = %q", kv[ru.keyN])
	}
	if got := csvFloat(t, kv[ru.keyD]); got != r.D {
		t.Errorf("D = %v, want %v", got, r.D)
	}
	if !strings.Contains(kv[ru.keyD], ",") {
		t.Errorf("D %q has no decimal comma", kv[ru.keyD])
	}
	if kv[ru.keyDue] != "15.10.2026" || kv[ru.keyFrom] != "2026-07-01 00:00:00" {
		t.Errorf("due %q, from %q", kv[ru.keyDue], kv[ru.keyFrom])
	}
	for i, rec := range tabs[ru.secHotlines][1:] {
		if h := r.Hotlines[i]; rec[0] != h.Number || rec[1] != strconv.Itoa(h.N) || csvFloat(t, rec[2]) != h.D {
			t.Errorf("hotline row %v, want %+v", rec, h)
		}
	}
	desks := tabs[ru.sheetDesks]
	if len(desks) != 1+len(r.Desks) || !reflect.DeepEqual(desks[0], ru.deskCols) {
		t.Fatalf("desks table: %d rows, header %v", len(desks), desks[0])
	}
	for i, rec := range desks[1:] {
		d := r.Desks[i]
		if rec[0] != d.ID || csvFloat(t, rec[5]) != d.Provided.Seconds() || csvFloat(t, rec[6]) != d.Unavailable.Seconds() ||
			csvFloat(t, rec[7]) != d.Excluded.Seconds() || csvFloat(t, rec[8]) != d.Unknown.Seconds() || csvFloat(t, rec[9]) != d.Di {
			t.Errorf("desk row %v, want %+v", rec, d)
		}
	}
	if got := desks[9][3]; got != "2026-08-15 09:00:00" {
		t.Errorf("op122-09 in service from %q", got)
	}
	excl := tabs[ru.sheetExclusions]
	if len(excl) != 1+len(r.Exclusions) || csvFloat(t, excl[1][4]) != 9000 || excl[1][6] != r.Exclusions[0].Reason ||
		excl[1][5] != "отключение электроснабжения" {
		t.Errorf("exclusions: %v", excl)
	}
	journal := tabs[ru.sheetJournal]
	if len(journal) != 1+len(r.Journal) || journal[2][3] != strings.Join(r.Journal[1].Desks, ", ") {
		t.Errorf("journal: %v", journal)
	}
	cov := tabs[ru.sheetCoverage]
	if csvFloat(t, cov[1][1]) != 2400 || len(tabs[ru.blindIntervals]) != 2 {
		t.Errorf("coverage: %v %v", cov, tabs[ru.blindIntervals])
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	r := sampleReport(t)
	r.Journal[0].Actions = "=HYPERLINK(\"http://x\")"
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"'=HYPERLINK(""http://x"")"`) {
		t.Errorf("formula not defused")
	}
}

type xlsxCell struct {
	Ref   string `xml:"r,attr"`
	Type  string `xml:"t,attr"`
	Style int    `xml:"s,attr"`
	V     string `xml:"v"`
	IS    string `xml:"is>t"`
}

type xlsxSheet struct {
	Rows []struct {
		N     int        `xml:"r,attr"`
		Cells []xlsxCell `xml:"c"`
	} `xml:"sheetData>row"`
}

// readXLSX reads a workbook back: sheet names in order, and each sheet's
// cells by reference ("B2").
func readXLSX(t *testing.T, data []byte) ([]string, map[string]map[string]xlsxCell) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		wellFormed(t, f.Name, b)
		parts[f.Name] = b
	}
	for _, p := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"} {
		if parts[p] == nil {
			t.Fatalf("no %s", p)
		}
	}
	var book struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := xml.Unmarshal(parts["xl/workbook.xml"], &book); err != nil {
		t.Fatal(err)
	}
	var names []string
	sheets := map[string]map[string]xlsxCell{}
	for i, s := range book.Sheets {
		names = append(names, s.Name)
		var sh xlsxSheet
		if err := xml.Unmarshal(parts[fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1)], &sh); err != nil {
			t.Fatal(err)
		}
		cells := map[string]xlsxCell{}
		for _, row := range sh.Rows {
			for _, c := range row.Cells {
				cells[c.Ref] = c
			}
		}
		sheets[s.Name] = cells
	}
	return names, sheets
}

func wellFormed(t *testing.T, name string, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("%s: not well-formed XML: %v", name, err)
		}
	}
}

// num is a numeric cell's value; a text cell fails the test.
func num(t *testing.T, c xlsxCell) float64 {
	t.Helper()
	if c.Type != "" {
		t.Fatalf("cell %s is %q, want a number", c.Ref, c.Type)
	}
	v, err := strconv.ParseFloat(c.V, 64)
	if err != nil {
		t.Fatalf("cell %s: %v", c.Ref, err)
	}
	return v
}

func fromSerial(v float64, loc *time.Location) time.Time {
	wall := excelEpoch.Add(time.Duration(math.Round(v*24*3600*1000)) * time.Millisecond)
	return time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), loc)
}

func TestXLSX(t *testing.T) {
	r := sampleReport(t)
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, r); err != nil {
		t.Fatal(err)
	}
	names, sheets := readXLSX(t, buf.Bytes())
	if want := []string{"Показатели", "АРМ", "Исключения", "Журнал", "Покрытие мониторинга"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("sheets %v, want %v", names, want)
	}
	ind := sheets["Показатели"]
	rowOf := func(cells map[string]xlsxCell, key string) string {
		for ref, c := range cells {
			if strings.HasPrefix(ref, "A") && c.IS == key {
				return ref[1:]
			}
		}
		t.Fatalf("no row %q", key)
		return ""
	}
	if v := num(t, ind["B"+rowOf(ind, ru.keyN)]); v != 13 {
		t.Errorf("N = %v", v)
	}
	dCell := ind["B"+rowOf(ind, ru.keyD)]
	if v := num(t, dCell); v != r.D || dCell.Style != stylePercent {
		t.Errorf("D = %v (style %d), want %v (style %d)", v, dCell.Style, r.D, stylePercent)
	}
	if c := ind["B"+rowOf(ind, ru.keyFrom)]; !fromSerial(num(t, c), irkutsk).Equal(r.From) {
		t.Errorf("period start %v", fromSerial(num(t, c), irkutsk))
	}
	hot := rowOf(ind, "117")
	if num(t, ind["C"+hot]) != r.Hotlines[0].D {
		t.Errorf("hotline 117 D = %v", ind["C"+hot].V)
	}

	desks := sheets["АРМ"]
	if desks["A1"].IS != ru.deskCols[0] || desks["A1"].Style != styleHeader {
		t.Errorf("header %+v", desks["A1"])
	}
	for i, d := range r.Desks {
		n := strconv.Itoa(i + 2)
		if desks["A"+n].IS != d.ID || num(t, desks["F"+n]) != d.Provided.Seconds() || num(t, desks["G"+n]) != d.Unavailable.Seconds() ||
			num(t, desks["H"+n]) != d.Excluded.Seconds() || num(t, desks["I"+n]) != d.Unknown.Seconds() || num(t, desks["J"+n]) != d.Di {
			t.Errorf("row %s differs from %+v", n, d)
		}
		if desks["J"+n].Style != stylePercent || desks["F"+n].Style != styleSeconds {
			t.Errorf("row %s styles: Di %d, seconds %d", n, desks["J"+n].Style, desks["F"+n].Style)
		}
	}
	if got := fromSerial(num(t, desks["D10"]), irkutsk); !got.Equal(at(2026, 8, 15, 9, 0, 0)) {
		t.Errorf("op122-09 in service from %v", got)
	}
	excl := sheets["Исключения"]
	if num(t, excl["E2"]) != 9000 || excl["G2"].IS != r.Exclusions[0].Reason {
		t.Errorf("exclusion row: %+v %+v", excl["E2"], excl["G2"])
	}
	journal := sheets["Журнал"]
	for i, j := range r.Journal {
		n := strconv.Itoa(i + 2)
		if num(t, journal["A"+n]) != float64(j.Number) || !fromSerial(num(t, journal["B"+n]), irkutsk).Equal(j.Start) {
			t.Errorf("journal row %s: %+v %+v", n, journal["A"+n], journal["B"+n])
		}
	}
	if _, ok := journal["A"+strconv.Itoa(len(r.Journal)+2)]; ok {
		t.Error("journal sheet has extra rows")
	}
	cov := sheets["Покрытие мониторинга"]
	if num(t, cov["B2"]) != 2400 {
		t.Errorf("unknown seconds %v", cov["B2"].V)
	}
}

func TestXLSXJournalSplitsAtSheetLimit(t *testing.T) {
	saved := maxSheetRows
	maxSheetRows = 4
	defer func() { maxSheetRows = saved }()
	r := sampleReport(t)
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, r); err != nil {
		t.Fatal(err)
	}
	names, sheets := readXLSX(t, buf.Bytes())
	if want := []string{"Показатели", "АРМ", "Исключения", "Журнал", "Журнал (2)", "Покрытие мониторинга"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("sheets %v, want %v", names, want)
	}
	if num(t, sheets["Журнал (2)"]["A2"]) != 5 || num(t, sheets["Журнал (2)"]["A3"]) != 6 {
		t.Error("the second journal sheet does not continue the first")
	}
}

// pdfText renders the report to a PDF under dir and returns the PDF's path and
// its text (pdftotext -raw), whitespace collapsed; pages separated by \f.
func pdfText(t *testing.T, r *Report, dir string) (string, string) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext not found in PATH: install poppler-utils (apt-get install poppler-utils)")
	}
	var buf bytes.Buffer
	if err := WritePDF(&buf, r); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "report-"+r.Quarter.String()+"-"+r.lang()+".pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-raw", "-enc", "UTF-8", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	pages := strings.Split(string(out), "\f")
	for i, p := range pages {
		pages[i] = strings.Join(strings.Fields(strings.ReplaceAll(p, "\u00a0", " ")), " ")
	}
	return path, strings.Join(pages, "\f")
}

func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// outDir is where rendered files go: $REPORT_TEST_OUT to keep them for a look,
// else a temporary directory.
func outDir(t *testing.T) string {
	if d := os.Getenv("REPORT_TEST_OUT"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func TestPDF(t *testing.T) {
	r := sampleReport(t)
	_, text := pdfText(t, r, outDir(t))
	nb := strings.Count(text, "\f") // pdftotext ends every page with \f
	want := []string{
		"ГАУ «МФЦ Иркутской области»",
		"Отчёт о непрерывности работы автоматизированных рабочих мест ЕКЦ за 3 квартал 2026 г.",
		"Количество автоматизированных рабочих мест ед. 13",
		"Обеспечение бесперебойной работы автоматизированных рабочих мест (D)* % " + ru.percent(r.D),
		"t_предоставления", "t_недоступности",
		"не учитываются сбои в работе, произошедшие не по вине учреждения (раздел 3)",
		"3. Сбои, не учтённые при расчёте: не по вине учреждения (сноска * к п.28)",
		"не позднее 15.10.2026 (п.31: представляется не позднее 15 числа месяца, следующего за отчётным кварталом)",
		"Журнал учета работы автоматизированных рабочих мест за квартал (п.29, п.30)",
		r.Exclusions[0].Reason, "отключение электроснабжения",
		"Неисправен системный блок; телефон оставался зарегистрирован",
		"Время без данных мониторинга", "0:40 ч:мм (2 400 с)", "не учтено как сбой",
		"Руководитель единого контакт-центра", "(подпись)",
		r.InputsHash, "представлен в министерство",
		"Стр. 1 из " + strconv.Itoa(nb), fmt.Sprintf("Стр. %d из %d", nb, nb),
		"117 4 " + ru.percent(r.Hotlines[0].D), "122 10 " + ru.percent(r.Hotlines[1].D),
		"01.07.2026 – 30.09.2026", "Asia/Irkutsk (UTC+08:00)",
	}
	for _, d := range r.Desks {
		want = append(want, d.ID, ru.percent(d.Di)+" ", hoursMinutes(d.Provided)+" "+ru.seconds(d.Provided),
			hoursMinutes(d.Unavailable)+" "+ru.seconds(d.Unavailable))
	}
	for _, s := range want {
		if !strings.Contains(text, strings.ReplaceAll(s, "\u00a0", " ")) {
			t.Errorf("PDF text lacks %q", s)
		}
	}
	if strings.Contains(text, "99.") {
		t.Error("a decimal point in the Russian PDF")
	}
	// The journal is on landscape pages and lists the PBX-wide incident's desks.
	if !strings.Contains(text, strings.Join(r.Journal[1].Desks, ", ")) {
		t.Error("the PBX-wide incident does not list its desks")
	}
}

func TestPDFTablesBreakAcrossPages(t *testing.T) {
	r := sampleReport(t)
	base := r.Desks[0]
	for i := range 150 {
		d := base
		d.ID = fmt.Sprintf("op122-%03d", 100+i)
		r.Desks = append(r.Desks, d)
	}
	for i := range 200 {
		j := r.Journal[1]
		j.Number = 7 + i
		r.Journal = append(r.Journal, j)
	}
	for _, d := range r.Desks {
		r.Journal[1].Desks = append(r.Journal[1].Desks, d.ID)
	}
	_, text := pdfText(t, r, t.TempDir())
	pages := strings.Split(text, "\f")
	headed := 0
	for _, p := range pages {
		if strings.Contains(p, flat(ru.pdfDeskCols[3])) {
			headed++
		}
	}
	if headed < 3 {
		t.Errorf("the desks table's header is on %d pages, want it repeated on every page of the table", headed)
	}
	journalPages := 0
	for _, p := range pages {
		if strings.Contains(p, flat(ru.pdfJournalCols[5])) {
			journalPages++
		}
	}
	if journalPages < 5 {
		t.Errorf("journal header on %d pages", journalPages)
	}
	for _, s := range []string{"op122-249", "… и ещё", fmt.Sprintf("Стр. %d из %d", len(pages)-1, len(pages)-1)} {
		if !strings.Contains(text, s) {
			t.Errorf("PDF lacks %q", s)
		}
	}
}

func TestPDFEnglish(t *testing.T) {
	r := sampleReport(t)
	r.Lang = LangEN
	_, text := pdfText(t, r, outDir(t))
	for _, s := range []string{
		"Report on the continuity of operation of the contact center's automated workstations, Q3 2026",
		"Number of automated workstations", "Page 1 of", "no later than 2026-10-15", "t_provided",
		en.percent(r.D), "Journal of the operation of the automated workstations", "power cut",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("English PDF lacks %q", s)
		}
	}
	if strings.Contains(text, "Количество") {
		t.Error("Russian heading in the English PDF")
	}
}

// Text from people (journal entries) may hold anything: control characters,
// characters beyond the font, invalid UTF-8, markup.
func TestHostileText(t *testing.T) {
	r := sampleReport(t)
	r.Journal[0].Actions = "ok 😀 <b>&amp;</b>\x00\x07 tab\tcr\r\n\xff\xfe end"
	r.Journal[0].RecordedBy = "\u2028"
	r.Desks[0].Name = "  spaced  "
	for name, write := range writers {
		var buf bytes.Buffer
		if err := write(&buf, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name == "xlsx" {
			_, sheets := readXLSX(t, buf.Bytes())
			if got := sheets["Журнал"]["K2"].IS; !strings.Contains(got, "<b>&amp;</b>") || !strings.Contains(got, "😀") {
				t.Errorf("xlsx text %q", got)
			}
			if got := sheets["АРМ"]["B2"].IS; got != "  spaced  " {
				t.Errorf("spaces lost: %q", got)
			}
		}
	}
}

var writers = map[string]func(io.Writer, *Report) error{
	"json": WriteJSON, "csv": WriteCSV, "xlsx": WriteXLSX, "pdf": WritePDF,
}

func TestEmptyReport(t *testing.T) {
	q := health.Quarter{Year: 2026, Q: 4}
	r := FromAvailability(q, irkutsk, health.Availability(q.Range(irkutsk), at(2026, 10, 1, 0, 0, 0), nil), nil)
	for name, write := range writers {
		var buf bytes.Buffer
		if err := write(&buf, r); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if r.DueDate().Format("02.01.2006") != "15.01.2027" {
		t.Errorf("Q4 due %v", r.DueDate())
	}
}

func TestBadInput(t *testing.T) {
	for name, write := range writers {
		if err := write(io.Discard, nil); err == nil {
			t.Errorf("%s: nil report accepted", name)
		}
		if err := write(io.Discard, &Report{Lang: "de"}); err == nil || !strings.Contains(err.Error(), `"de"`) {
			t.Errorf("%s: unknown language: %v", name, err)
		}
	}
	if _, err := ReadJSON(strings.NewReader(`{"format":"other"}`)); err == nil {
		t.Error("ReadJSON accepted another format")
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	r := sampleReport(t)
	for name, write := range writers {
		if err := write(&failWriter{n: 100}, r); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: write error lost: %v", name, err)
		}
	}
}

func TestPDFSummarisesALongJournal(t *testing.T) {
	saved := pdfJournalLimit
	pdfJournalLimit = 5
	defer func() { pdfJournalLimit = saved }()
	r := sampleReport(t)
	_, text := pdfText(t, r, outDir(t))
	pbx := 45*time.Minute + 29*time.Second
	// Institution: entries 1, 2, 4, 5 (entry 1 from the quarter's start only).
	inst := 3*time.Hour + pbx + 14*time.Minute + 35*time.Second + 2*time.Hour + 25*time.Minute + 30*time.Second
	for _, s := range []string{
		"Журнал за квартал содержит 6 записей — больше, чем включается в печатный отчёт (5)",
		"в файлах XLSX, CSV и JSON этого же отчёта (версия 2, хэш входных данных " + r.InputsHash + ")",
		"по вине учреждения 4 " + hoursMinutes(inst) + " " + ru.seconds(inst),
		"не по вине учреждения 1 2:30 9 000 с",
		"не установлена 1 1:00 3 600 с", // ends after the quarter: cut at its end
		"Итого 6",
		"АРМ не зарегистрирован на АТС 3",
	} {
		if !strings.Contains(text, strings.ReplaceAll(s, "\u00a0", " ")) {
			t.Errorf("summary lacks %q", s)
		}
	}
	if strings.Contains(text, "Перезагружен коммутатор доступа") {
		t.Error("the summarised journal still lists entries")
	}
}

func TestDisplayFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{ru.seconds(7948800 * time.Second), "7\u00a0948\u00a0800 с"},
		{ru.seconds(1500 * time.Millisecond), "1,5 с"},
		{ru.seconds(250*time.Millisecond + 400*time.Microsecond), "0,25 с"},
		{en.seconds(1234567 * time.Second), "1,234,567 s"},
		{ru.seconds(999 * time.Second), "999 с"},
		{hoursMinutes(2208*time.Hour + 59*time.Second), "2208:00"},
		{hoursMinutes(45*time.Minute + 29*time.Second), "0:45"},
		{hoursMinutes(-90 * time.Minute), "-1:30"},
		{ru.integer(-1234), "-1\u00a0234"},
		{ru.percent(99.99999), "100,0000"},
		{ru.percent(99.94306), "99,9431"},
		{en.percent(99.94304), "99.9430"},
		{dataFloat(99.94304123456789, ','), "99,94304123456789"},
		{zoneName(time.UTC, time.Time{}), "UTC"},
		{zoneName(irkutsk, at(2026, 7, 1, 0, 0, 0)), "Asia/Irkutsk (UTC+08:00)"},
		{string(appendCol(nil, 27)), "AB"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestOutputIsDeterministic(t *testing.T) {
	for name, write := range writers {
		var a, b bytes.Buffer
		if err := write(&a, sampleReport(t)); err != nil {
			t.Fatal(err)
		}
		if err := write(&b, sampleReport(t)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: two renderings of the same report differ", name)
		}
	}
}
