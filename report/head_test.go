package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// Every format prints the journal's chain head, the anchor an auditor gives
// `deskwatch journal verify -anchor`.
func TestJournalHeadInEveryFormat(t *testing.T) {
	r := sampleReport(t)
	r.JournalHead = JournalHead{Seq: 1234, Hash: strings.Repeat("0a1b2c3d", 8)}
	anchor := "1234:" + r.JournalHead.Hash

	var js bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Head *struct {
			Seq  int64
			Hash string
		} `json:"journal_head"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil || doc.Head == nil || doc.Head.Seq != 1234 || doc.Head.Hash != r.JournalHead.Hash {
		t.Errorf("JSON journal_head %+v %v", doc.Head, err)
	}
	back, err := ReadJSON(&js)
	if err != nil || back.JournalHead != r.JournalHead {
		t.Errorf("read back %+v %v", back.JournalHead, err)
	}

	var csv bytes.Buffer
	if err := WriteCSV(&csv, r); err != nil {
		t.Fatal(err)
	}
	kv := map[string]string{}
	for _, rec := range csvTables(t, csv.Bytes(), ru.sheetIndicators, ru.secHotlines)[ru.sheetIndicators][1:] {
		kv[rec[0]] = rec[1]
	}
	if kv[ru.journalHead] != anchor {
		t.Errorf("CSV: %q = %q, want %q", ru.journalHead, kv[ru.journalHead], anchor)
	}

	var xl bytes.Buffer
	if err := WriteXLSX(&xl, r); err != nil {
		t.Fatal(err)
	}
	_, sheets := readXLSX(t, xl.Bytes())
	found := false
	for ref, c := range sheets[ru.sheetIndicators] {
		if c.IS == ru.journalHead {
			found = sheets[ru.sheetIndicators]["B"+ref[1:]].IS == anchor
		}
	}
	if !found {
		t.Error("XLSX: no chain head on the indicators sheet")
	}

	r.Lang = LangEN
	_, text := pdfText(t, r, outDir(t))
	if !strings.Contains(text, en.journalHead) || !strings.Contains(strings.ReplaceAll(text, " ", ""), anchor) {
		t.Errorf("PDF: no chain head in\n%s", text[:min(len(text), 2000)])
	}

	// Without a journal: JSON null, the others empty or a dash.
	r.JournalHead = JournalHead{}
	js.Reset()
	if err := WriteJSON(&js, r); err != nil || !strings.Contains(js.String(), `"journal_head":null`) {
		t.Errorf("no journal: %v", err)
	}
}
