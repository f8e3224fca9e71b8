package ctl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strings"
)

// lookup reads a dotted field path ("message_stats.publish_details.rate")
// from a decoded JSON object. A key that itself contains dots is found
// too: the longest matching key wins at every level.
func lookup(obj map[string]any, path string) (any, bool) {
	if v, ok := obj[path]; ok {
		return v, true
	}
	for i := len(path) - 1; i > 0; i-- {
		if path[i] != '.' {
			continue
		}
		v, ok := obj[path[:i]]
		if !ok {
			continue
		}
		sub, isObj := v.(map[string]any)
		if !isObj {
			return nil, false
		}
		return lookup(sub, path[i+1:])
	}
	return nil, false
}

// cell renders one value for the table: strings as they are (tabs and
// newlines escaped so a row stays one line), numbers as
// the API sent them, null and missing fields empty, objects and lists as
// compact JSON.
func cell(v any, present bool) string {
	if !present || v == nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return escapeCell(x)
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "?"
	}
	return escapeCell(strings.TrimSuffix(buf.String(), "\n"))
}

var cellEscaper = strings.NewReplacer("\t", `\t`, "\n", `\n`, "\r", `\r`)

func escapeCell(s string) string {
	if !strings.ContainsAny(s, "\t\n\r") {
		return s
	}
	return cellEscaper.Replace(s)
}

// writeTable prints a header line and one tab-separated line per row, as
// rabbitmqctl does.
func writeTable(w io.Writer, cols []string, rows []map[string]any) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(strings.Join(cols, "\t"))
	bw.WriteByte('\n')
	for _, r := range rows {
		for i, c := range cols {
			if i > 0 {
				bw.WriteByte('\t')
			}
			v, ok := lookup(r, c)
			bw.WriteString(cell(v, ok))
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// writeKV prints "key: value" lines with the values aligned.
func writeKV(w io.Writer, indent string, kv [][2]string) {
	width := 0
	for _, p := range kv {
		width = max(width, len(p[0]))
	}
	for _, p := range kv {
		io.WriteString(w, indent+p[0]+":"+strings.Repeat(" ", width-len(p[0])+1)+p[1]+"\n")
	}
}

// writeJSONOut prints the API's JSON indented (content unchanged).
func writeJSONOut(w io.Writer, data []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(data), "", "  "); err != nil {
		buf.Reset()
		buf.Write(bytes.TrimSpace(data))
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// marshalOut encodes a value for JSON output, indented, HTML unescaped.
func marshalOut(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	return buf.Bytes()
}
