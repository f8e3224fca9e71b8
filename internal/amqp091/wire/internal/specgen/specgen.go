package specgen

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"go/format"
	"strconv"
	"strings"
)

// The XML model below keeps only what the codec needs; documentation,
// chassis and assert elements are ignored on purpose, since validation of
// names and values belongs to the broker, not the wire codec.

type xmlSpec struct {
	XMLName   xml.Name      `xml:"amqp"`
	Constants []xmlConstant `xml:"constant"`
	Domains   []xmlDomain   `xml:"domain"`
	Classes   []xmlClass    `xml:"class"`
}

type xmlConstant struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
	Class string `xml:"class,attr"`
}

type xmlDomain struct {
	Name string `xml:"name,attr"`
	Type string `xml:"type,attr"`
}

type xmlClass struct {
	Name    string      `xml:"name,attr"`
	Index   string      `xml:"index,attr"`
	Methods []xmlMethod `xml:"method"`
}

type xmlMethod struct {
	Name        string     `xml:"name,attr"`
	Index       string     `xml:"index,attr"`
	Synchronous string     `xml:"synchronous,attr"`
	Content     string     `xml:"content,attr"`
	Fields      []xmlField `xml:"field"`
}

type xmlField struct {
	Name     string `xml:"name,attr"`
	Domain   string `xml:"domain,attr"`
	Type     string `xml:"type,attr"`
	Reserved string `xml:"reserved,attr"`
}

// baseType describes how one AMQP base type is represented and coded. The
// codec helper names refer to unexported functions in package wire, so the
// generated file needs no imports and stays valid for any spec revision.
type baseType struct {
	goType string
	append string // format with the field expression, returns the new dst
	decode string // method on wire's decoder
}

var baseTypes = map[string]baseType{
	"octet":     {"uint8", "append(dst, %s)", "octet"},
	"short":     {"uint16", "appendUint16(dst, %s)", "uint16"},
	"long":      {"uint32", "appendUint32(dst, %s)", "uint32"},
	"longlong":  {"uint64", "appendUint64(dst, %s)", "uint64"},
	"timestamp": {"uint64", "appendUint64(dst, %s)", "uint64"},
	"shortstr":  {"string", "appendShortstr(dst, %s)", "shortstr"},
	"longstr":   {"string", "appendLongstr(dst, %s)", "longstr"},
	"table":     {"Table", "AppendTable(dst, %s)", "table"},
	"bit":       {"bool", "", ""}, // packed specially
}

// methodNames are the Method interface's methods. A field with one of these
// Go names would not compile, so such fields are renamed (see fieldRenames).
var methodNames = map[string]bool{
	"ClassID": true, "MethodID": true, "Name": true, "HasContent": true,
	"Synchronous": true, "Append": true,
}

// fieldRenames resolves collisions with methodNames. connection.close and
// channel.close carry the ids of the method that caused the close; the
// "Failing" prefix says exactly that and keeps m.ClassID() unambiguous.
var fieldRenames = map[string]string{
	"ClassID":  "FailingClassID",
	"MethodID": "FailingMethodID",
}

type field struct {
	xmlName  string
	goName   string
	base     string
	reserved bool
	renamed  bool
}

type method struct {
	class       *class
	xmlName     string
	goName      string
	index       uint16
	synchronous bool
	content     bool
	fields      []field
}

type class struct {
	xmlName string
	goName  string
	index   uint16
	methods []*method
}

type constant struct {
	xmlName string
	goName  string
	value   int64
	class   string
}

// Generate parses the spec XML and returns the gofmt'ed source of
// methods_gen.go for package wire.
func Generate(xmlData []byte) ([]byte, error) {
	var s xmlSpec
	if err := xml.Unmarshal(xmlData, &s); err != nil {
		return nil, fmt.Errorf("parse spec: %w", err)
	}
	consts, classes, err := resolve(&s)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	emit(&buf, consts, classes)
	out, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format generated code: %w\n%s", err, buf.Bytes())
	}
	return out, nil
}

func resolve(s *xmlSpec) ([]constant, []*class, error) {
	var consts []constant
	for _, c := range s.Constants {
		v, err := strconv.ParseInt(c.Value, 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("constant %q: %w", c.Name, err)
		}
		consts = append(consts, constant{xmlName: c.Name, goName: camel(c.Name), value: v, class: c.Class})
	}

	domains := make(map[string]string, len(s.Domains))
	for _, d := range s.Domains {
		domains[d.Name] = d.Type
	}

	var classes []*class
	seen := map[string]bool{}
	for _, xc := range s.Classes {
		idx, err := parseIndex(xc.Index)
		if err != nil {
			return nil, nil, fmt.Errorf("class %q: %w", xc.Name, err)
		}
		c := &class{xmlName: xc.Name, goName: camel(xc.Name), index: idx}
		for _, xm := range xc.Methods {
			midx, err := parseIndex(xm.Index)
			if err != nil {
				return nil, nil, fmt.Errorf("method %s.%s: %w", xc.Name, xm.Name, err)
			}
			m := &method{
				class:       c,
				xmlName:     xm.Name,
				goName:      c.goName + camel(xm.Name),
				index:       midx,
				synchronous: xm.Synchronous == "1",
				content:     xm.Content == "1",
			}
			if seen[m.goName] {
				return nil, nil, fmt.Errorf("duplicate method type %s", m.goName)
			}
			seen[m.goName] = true
			names := map[string]bool{}
			for _, xf := range xm.Fields {
				base, err := baseOf(xf, domains)
				if err != nil {
					return nil, nil, fmt.Errorf("field %s.%s.%s: %w", xc.Name, xm.Name, xf.Name, err)
				}
				f := field{xmlName: xf.Name, goName: camel(xf.Name), base: base, reserved: xf.Reserved == "1"}
				if methodNames[f.goName] {
					alt, ok := fieldRenames[f.goName]
					if !ok {
						return nil, nil, fmt.Errorf("field %s.%s.%s collides with Method.%s", xc.Name, xm.Name, xf.Name, f.goName)
					}
					f.goName, f.renamed = alt, true
				}
				if names[f.goName] {
					return nil, nil, fmt.Errorf("duplicate field %s in %s", f.goName, m.goName)
				}
				names[f.goName] = true
				m.fields = append(m.fields, f)
			}
			c.methods = append(c.methods, m)
		}
		classes = append(classes, c)
	}
	return consts, classes, nil
}

// baseOf follows the domain chain of a field down to an AMQP base type. The
// hop limit guards against a cyclic domain definition in a bad spec.
func baseOf(f xmlField, domains map[string]string) (string, error) {
	t := f.Type
	if t == "" {
		t = f.Domain
	}
	for range 16 {
		if _, ok := baseTypes[t]; ok {
			return t, nil
		}
		next, ok := domains[t]
		if !ok {
			return "", fmt.Errorf("unknown domain or type %q", t)
		}
		if next == t {
			return "", fmt.Errorf("domain %q has no base type", t)
		}
		t = next
	}
	return "", fmt.Errorf("domain chain too deep at %q", t)
}

func parseIndex(s string) (uint16, error) {
	v, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("bad index %q: %w", s, err)
	}
	return uint16(v), nil
}

// camel converts a dashed spec name to a Go identifier: "reply-code" becomes
// ReplyCode and "id" becomes ID, matching Go's initialism convention.
func camel(name string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(name, "-") {
		if part == "" {
			continue
		}
		if part == "id" {
			b.WriteString("ID")
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]))
		b.WriteString(part[1:])
	}
	return b.String()
}
