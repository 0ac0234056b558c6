package admin

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Table is a list of resources printed as aligned columns under an
// upper-case header.
type Table struct {
	rows [][]string
}

// NewTable starts a table with the given column names.
func NewTable(header ...string) *Table { return &Table{rows: [][]string{header}} }

// Row adds one row; missing cells print as "-".
func (t *Table) Row(cells ...string) { t.rows = append(t.rows, cells) }

// WriteTo writes the table to w.
func (t *Table) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	width := len(t.rows[0])
	for _, r := range t.rows {
		cells := make([]string, width)
		for i := range cells {
			cells[i] = "-"
			if i < len(r) && r[i] != "" {
				cells[i] = cell(r[i])
			}
		}
		// A trailing tab would pad the last column with spaces.
		io.WriteString(tw, strings.Join(cells, "\t")+"\n")
	}
	if err := tw.Flush(); err != nil {
		return 0, err
	}
	return b.WriteTo(w)
}

// Fields is one resource printed as "Label:  value" lines with the values
// aligned; a field with several values continues on lines of their own.
type Fields struct {
	rows [][2]string
}

// Add adds a field; with no values it prints "-", with several one per
// line.
func (f *Fields) Add(label string, values ...string) {
	if len(values) == 0 {
		values = []string{"-"}
	}
	for i, v := range values {
		l := ""
		if i == 0 {
			l = label + ":"
		}
		if v == "" {
			v = "-"
		}
		f.rows = append(f.rows, [2]string{l, cell(v)})
	}
}

// WriteTo writes the fields to w.
func (f *Fields) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	for _, r := range f.rows {
		io.WriteString(tw, r[0]+"\t"+r[1]+"\n")
	}
	if err := tw.Flush(); err != nil {
		return 0, err
	}
	return b.WriteTo(w)
}

// cell keeps a value on one line and out of the tab stops.
func cell(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}

// Time formats a timestamp for a table: RFC 3339 in UTC, "-" when absent.
func Time(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// Bool formats an optional boolean, absent meaning false as in the APIs.
func Bool(b *bool) string { return strconv.FormatBool(b != nil && *b) }

// Seconds formats an optional duration in seconds as "3600s".
func Seconds(s *int32) string {
	if s == nil {
		return "-"
	}
	return strconv.Itoa(int(*s)) + "s"
}
