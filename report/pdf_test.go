package report

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

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
	if headed := pagesWith(pages, flat(ru.pdfDeskCols[3])); headed < 3 {
		t.Errorf("the desks table's header is on %d pages, want it repeated on every page of the table", headed)
	}
	if journalPages := pagesWith(pages, flat(ru.pdfJournalCols[5])); journalPages < 5 {
		t.Errorf("journal header on %d pages", journalPages)
	}
	for _, s := range []string{"op122-249", "… и ещё", fmt.Sprintf("Стр. %d из %d", len(pages)-1, len(pages)-1)} {
		if !strings.Contains(text, s) {
			t.Errorf("PDF lacks %q", s)
		}
	}
}

// pagesWith counts the pages that contain s.
func pagesWith(pages []string, s string) int {
	n := 0
	for _, p := range pages {
		if strings.Contains(p, s) {
			n++
		}
	}
	return n
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
