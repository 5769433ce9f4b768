package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"deskwatch/accesslog"
	"deskwatch/report"
)

// The access log as the auditor's CLI writes it. It lives here, not in
// accesslog, so that the log (an adapter) needs nothing of report's.

// accessExport is what the CLI writes: the records of a period.
type accessExport struct {
	From, To time.Time
	Location *time.Location // of the CSV's times; nil: UTC
	Lang     string         // report.LangRU (default) or report.LangEN
	Records  []accesslog.Record
}

var accessCSVHeader = map[string][]string{
	report.LangRU: {"Время (%s)", "Кто (имя токена)", "Роль", "Адрес клиента", "Адрес соединения", "X-Forwarded-For",
		"Метод", "Маршрут", "Путь", "Параметры запроса", "Статус", "Байт", "Идентификатор записи"},
	report.LangEN: {"Time (%s)", "Who (token name)", "Role", "Client address", "Peer address", "X-Forwarded-For",
		"Method", "Route", "Path", "Request parameters", "Status", "Bytes", "Record id"},
}

// writeAccessCSV writes the records as the report's CSV is written, for Excel in
// ru-RU: UTF-8 with a BOM, ';' between fields, CRLF, a header row in the
// language (Russian unless English is asked for), text quoted and
// defused, numbers bare.
func writeAccessCSV(w io.Writer, e accessExport) error {
	loc := e.Location
	if loc == nil {
		loc = time.UTC
	}
	head, ok := accessCSVHeader[e.Lang]
	if !ok {
		head = accessCSVHeader[report.LangRU]
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(report.CSVBOM)
	for i, h := range head {
		if i > 0 {
			bw.WriteByte(';')
		}
		if i == 0 {
			h = fmt.Sprintf(h, loc)
		}
		report.CSVText(bw, h)
	}
	bw.WriteString("\r\n")
	for _, r := range e.Records {
		bw.WriteString(r.Time.In(loc).Format("2006-01-02 15:04:05"))
		for _, s := range []string{r.Actor, r.Role, r.Client, r.Remote, r.ForwardedFor, r.Method, r.Route, r.Path, accessParams(r.Params)} {
			bw.WriteByte(';')
			report.CSVText(bw, s)
		}
		bw.WriteString(";" + strconv.Itoa(r.Status) + ";" + strconv.FormatInt(r.Bytes, 10) + ";")
		report.CSVText(bw, r.ID)
		bw.WriteString("\r\n")
	}
	return bw.Flush()
}

// accessParams is "k=v; k=v" by key.
func accessParams(p map[string]string) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(p)) {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k + "=" + p[k])
	}
	return b.String()
}

// writeAccessJSON writes {"from", "to", "access_log": [...]}, the records
// as the API gives them.
func writeAccessJSON(w io.Writer, e accessExport) error {
	recs := e.Records
	if recs == nil {
		recs = []accesslog.Record{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	return enc.Encode(map[string]any{"from": e.From.UTC(), "to": e.To.UTC(), "access_log": recs})
}
