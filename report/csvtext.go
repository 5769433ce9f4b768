package report

import "bufio"

// CSVBOM starts a CSV file for Excel in ru-RU, as the report's CSV does.
const CSVBOM = csvBOM

// CSVText writes s as the report's CSV writes text: quoted, and defused
// against spreadsheet formulas. Other CSV exports (the access log) use it
// so that every CSV of deskwatch reads alike.
func CSVText(w *bufio.Writer, s string) { writeQuoted(w, defuse(s)) }
