package specgen

import (
	"strings"
	"testing"
)

func TestCamel(t *testing.T) {
	for in, want := range map[string]string{
		"reply-code":        "ReplyCode",
		"no-wait":           "NoWait",
		"delivery-tag":      "DeliveryTag",
		"reserved-1":        "Reserved1",
		"mechanisms":        "Mechanisms",
		"server-properties": "ServerProperties",
		"version-major":     "VersionMajor",
		"if-unused":         "IfUnused",
		"class-id":          "ClassID",
		"frame-min-size":    "FrameMinSize",
		"recover-async":     "RecoverAsync",
	} {
		if got := camel(in); got != want {
			t.Errorf("camel(%q) = %q, want %q", in, got, want)
		}
	}
}

const miniSpec = `<amqp>
  <constant name="frame-end" value="206"/>
  <constant name="oops" value="7" class="hard-error"/>
  <domain name="flag" type="bit"/>
  <domain name="alias" type="flag"/>
  <class name="demo" index="200">
    <method name="many-bits" index="1" synchronous="1">
      <field name="b1" domain="alias"/><field name="b2" domain="flag"/>
      <field name="b3" domain="flag"/><field name="b4" domain="flag"/>
      <field name="b5" domain="flag"/><field name="b6" domain="flag"/>
      <field name="b7" domain="flag"/><field name="b8" domain="flag"/>
      <field name="b9" domain="flag"/>
      <field name="n" type="octet"/>
      <field name="b10" type="bit"/>
    </method>
  </class>
</amqp>`

func TestGenerateBitRuns(t *testing.T) {
	src, err := Generate([]byte(miniSpec))
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	for _, want := range []string{
		// Eight bits fill an octet; the ninth starts a new one, and a
		// non-bit field ends a run.
		"bit(m.B1)|bit(m.B2)<<1|bit(m.B3)<<2|bit(m.B4)<<3|bit(m.B5)<<4|bit(m.B6)<<5|bit(m.B7)<<6|bit(m.B8)<<7)",
		"dst = append(dst, bit(m.B9))\n\tdst = append(dst, m.N)\n\tdst = append(dst, bit(m.B10))",
		"m.B8 = bits0&0x80 != 0",
		"m.B9 = bits1&0x01 != 0",
		"m.B10 = bits2&0x01 != 0",
		"case Oops:",
		"func (*DemoManyBits) Synchronous() bool { return true }",
		"append(dst, 0, 200, 0, 1)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("generated code lacks %q", want)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	for name, spec := range map[string]string{
		"bad xml":        `<amqp><class`,
		"unknown domain": `<amqp><class name="c" index="1"><method name="m" index="1"><field name="f" domain="nope"/></method></class></amqp>`,
		"domain cycle":   `<amqp><domain name="a" type="b"/><domain name="b" type="a"/><class name="c" index="1"><method name="m" index="1"><field name="f" domain="a"/></method></class></amqp>`,
		"bad index":      `<amqp><class name="c" index="70000"/></amqp>`,
		"name collision": `<amqp><class name="c" index="1"><method name="m" index="1"><field name="name" type="octet"/></method></class></amqp>`,
		"bad constant":   `<amqp><constant name="x" value="y"/></amqp>`,
	} {
		if _, err := Generate([]byte(spec)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
