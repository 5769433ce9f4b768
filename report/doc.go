// Package report renders deskwatch's quarterly report to the ministry: the
// indicator "Обеспечение бесперебойной работы автоматизированных рабочих
// мест" of п.28 of the regional quality standard for the unified contact
// center (ЕКЦ, hotlines 122 and 117), run by ГАУ «МФЦ Иркутской области»:
//
//	D = ΣDi / N,  Di = (t_предоставления − t_недоступности) / t_предоставления
//
// together with the excluded failures (footnote * of п.28), the журнал учета
// работы автоматизированных рабочих мест of the quarter (п.29, п.30) and the
// monitoring coverage. The report is due no later than the 15th of the month
// after the quarter (п.31).
//
// # Model
//
// Report is plain data with every figure already computed: the renderers
// compute nothing, so the four formats always show the same figures.
// Build makes one from Inputs the caller loaded (it does no I/O):
// FromAvailability fills N, D, the hotlines and the desks from
// health.Availability's result, and Build adds the journal, the
// exclusions, the coverage and the hash of the inputs; the caller (package
// service) sets the version and the status. Every format prints the
// journal's chain head as of the build (JournalHead, "SEQ:HASH"; in JSON
// journal_head {seq, hash}): the anchor with which `deskwatch journal verify
// -anchor` later tells a journal rewritten in Redis. Times in the model are UTC instants; Zone (Asia/Irkutsk
// in production) is the zone they are shown in. Report.Due is the deadline
// instant as health.Quarter.Due returns it (the start of the 16th); the date
// shown is the day before (DueDate), e.g. 15.10.2026 for 2026Q3.
//
// # Formats
//
// All four take (io.Writer, *Report). Rounding is for display only.
//
//   - WriteJSON: for machines and for the archive. Field names are English
//     snake_case and do not depend on Lang; times are RFC 3339 in the zone
//     (null for "ongoing" or "unbounded"); durations are seconds (float);
//     d and di are unrounded percentages. Desks, exclusions and journal are
//     streamed row by row. ReadJSON reads it back (e.g. to render a
//     submitted version again); the figures survive the round trip exactly.
//   - WriteCSV: for Excel in ru-RU: UTF-8 with a BOM, ';' between fields,
//     CRLF line ends, a decimal comma (said so on the second line), times
//     "YYYY-MM-DD hh:mm:ss" in the zone, durations in seconds, percentages
//     unrounded. The tables follow one another, each under a heading row
//     with its name and a header row, with an empty row between tables.
//     Free text starting with = + - @ gets a leading apostrophe so Excel
//     does not run it as a formula. Streamed row by row.
//   - WriteXLSX: one sheet per table (Показатели, АРМ, Исключения, Журнал,
//     Покрытие мониторинга); numbers are numeric cells, percentages show 4
//     decimals through a number format (the value is unrounded), durations
//     are seconds, times are Excel dates in the zone. A journal longer than
//     Excel's 1,048,576 rows continues on "Журнал (2)", and so on.
//   - WritePDF: A4 for signing: the п.28 table, per hotline, Di with
//     t_предоставления and t_недоступности (h:mm and seconds) of each desk,
//     the excluded failures with their reasons, the journal (on landscape
//     pages), the coverage, the due date, version, status and inputs hash,
//     page numbers and the signature line of the head of the contact
//     center. Tables break between rows and repeat their header. Text is
//     Russian; Lang "en" gives English headings (the standard's terms stay
//     beside them). A journal row lists at most 20 desks, then "… and N
//     more"; a journal of more than 10,000 entries (some 550 pages) is
//     summarised (entries and their time by fault and by cause) with a
//     pointer to the data formats, which carry everything.
//
// # Why XLSX is written by hand
//
// excelize v2.11.1 would bring nine modules (among them golang.org/x/crypto,
// x/net, x/text and x/image, for encryption, charts and pictures this report
// does not use, raising versions other packages share), and its StreamWriter
// still buffers each sheet, spilling to a temporary file, until the workbook
// is saved. The
// report needs a fixed, small part of SpreadsheetML: one workbook, a style
// sheet with four number formats, worksheets of inline strings and numbers.
// Written straight into archive/zip with a fast deflate level it takes ~250
// lines, streams with memory independent of the rows, and writes 1,000,000
// journal rows in about 6 s on the 2-core machine. The tests read the
// package back with archive/zip and encoding/xml.
//
// # PDF and fonts
//
// codeberg.org/go-pdf/fpdf with DejaVu Sans (regular and bold) embedded from
// fonts/ through go:embed, subset in the output; the fonts' licence is
// fonts/LICENSE. fpdf's UTF-8 fonts cover the Basic Multilingual Plane only:
// characters beyond it (emoji) print as '?', control characters as spaces.
// The PDF is deterministic for the same report (creation date =
// GeneratedAt). fpdf builds the whole document in memory before writing it:
// printing a journal of 1,000,000 entries in full took about 110 s and 7 GB
// (some 56,000 pages), hence the summary past 10,000.
package report
