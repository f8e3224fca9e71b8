package perf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strings"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/internal/amqp091/wire"
)

// --body FILE,... (-B) sends the files' contents as message bodies, in
// turn (message n of a producer carries file n mod count), untouched: as
// PerfTest does with body files, the send time then travels in a
// "timestamp" message header instead of the body's first bytes, and the
// consumers read it from there.

// timestampHeader is the header carrying the intended send time (Unix
// ns, int64) of a --body message.
const timestampHeader = "timestamp"

// readBodyFiles reads --body's files once, at parse time, so a missing
// one is a usage error rather than a failure mid-run.
func readBodyFiles(list string) (names []string, bodies [][]byte, err error) {
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, nil, fmt.Errorf("%s is not a readable body file: %v", name, err)
		}
		names, bodies = append(names, name), append(bodies, b)
	}
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("no file given")
	}
	return names, bodies, nil
}

// fileBodies hands out a producer's --body messages. The properties are
// encoded once with a placeholder timestamp, whose 8 bytes each message
// overwrites: no encoding per message.
type fileBodies struct {
	bodies  [][]byte
	props   []byte
	stampAt int
}

// stampPlaceholder marks the timestamp's place in the encoded properties;
// eight bytes no real header value is likely to contain.
const stampPlaceholder = int64(0x57_41_52_52_45_4E_54_53) // "WARRENTS"

func newFileBodies(bodies [][]byte, msg amqp.Publishing) (*fileBodies, error) {
	h := amqp.Table{}
	for k, v := range msg.Headers {
		h[k] = v
	}
	h[timestampHeader] = stampPlaceholder
	msg.Headers = h
	props := wireProperties(msg)
	var mark [8]byte
	binary.BigEndian.PutUint64(mark[:], uint64(stampPlaceholder))
	at := bytes.Index(props, mark[:])
	if at < 0 || bytes.LastIndex(props, mark[:]) != at {
		return nil, fmt.Errorf("--body: cannot place the timestamp header among the message properties")
	}
	return &fileBodies{bodies: bodies, props: props, stampAt: at}, nil
}

// next returns the properties and body of message seq (from 1), sent at
// sentNanos. The properties are valid until the next call.
func (f *fileBodies) next(seq uint64, sentNanos int64) (props, body []byte) {
	binary.BigEndian.PutUint64(f.props[f.stampAt:], uint64(sentNanos))
	return f.props, f.bodies[(seq-1)%uint64(len(f.bodies))]
}

// headerTimestamp reads the send time of a --body message from its
// encoded properties.
func headerTimestamp(props []byte) (int64, bool) {
	pp, err := wire.PeekProperties(props)
	if err != nil || pp.Headers == nil {
		return 0, false
	}
	t, _, err := wire.DecodeTable(pp.Headers)
	if err != nil {
		return 0, false
	}
	v, ok := t[timestampHeader].(int64)
	return v, ok
}
