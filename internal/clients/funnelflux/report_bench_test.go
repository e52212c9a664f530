package funnelflux

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkDecodeReportPage decodes one full daily-stats page (ReportPageSize rows, money as
// strings, columns in another order than asked), as the pull does for every page.
func BenchmarkDecodeReportPage(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"columns":[{"name":"Date"},{"name":"Funnel"},{"name":"Traffic Source"},{"name":"Entrances"},` +
		`{"name":"Cost"},{"name":"Revenue"},{"name":"Conv."},{"name":"P/L"},{"name":"ROI"}],"rows":[`)
	for i := range ReportPageSize {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"rowId":"%d","cells":[{"raw":"2026-11-%02d"},{"raw":"F%05d"},{"raw":"TS%03d"},{"raw":%d},`+
			`{"raw":"%d.25"},{"raw":"%d.50"},{"raw":%d},{"raw":"-1.75"},{"raw":null}],"children":[]}`,
			i, 1+i%28, i, i%50, i*3, i, i*2, i%4)
	}
	fmt.Fprintf(&sb, `],"rowsReturned":%d,"rowsTotal":"%d"}`, ReportPageSize, 10*ReportPageSize)
	body := []byte(sb.String())
	loc, _ := time.LoadLocation("America/Chicago")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := decodeReport(body, dailyQuery, loc)
		if err != nil || len(p.rows) != ReportPageSize {
			b.Fatalf("%d rows, %v", len(p.rows), err)
		}
	}
	b.ReportMetric(float64(ReportPageSize)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
