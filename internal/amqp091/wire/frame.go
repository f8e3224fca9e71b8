package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// ProtocolHeader is what an AMQP 0-9-1 client sends before its first frame,
// and what the server answers with when it rejects another version.
var ProtocolHeader = [8]byte{'A', 'M', 'Q', 'P', 0, 0, 9, 1}

// Errors from FrameReader.ReadFrame. They are wrapped with details, so test
// for them with errors.Is. All of them are fatal for the connection (the
// spec's frame-error), and the reader is unusable afterwards.
var (
	ErrFrameTooLarge    = errors.New("amqp: frame larger than the negotiated frame-max")
	ErrBadFrameEnd      = errors.New("amqp: frame-end octet is not 0xCE")
	ErrUnknownFrameType = errors.New("amqp: unknown frame type")
)

const (
	frameHeaderSize = 7 // type, channel, size
	frameOverhead   = frameHeaderSize + 1

	// hardFrameCap bounds frames when no frame-max is set: 1 GiB is far
	// above any sane negotiated value but stops a 4 GiB size claim.
	hardFrameCap = 1 << 30

	// DefaultReadBufferSize is used by NewFrameReader for bufSize <= 0.
	// It holds RabbitMQ's default frame-max (128 KiB) comfortably in two.
	DefaultReadBufferSize = 64 << 10
	minReadBufferSize     = 16
)

// Frame is one AMQP frame. Payload excludes the header and frame-end.
type Frame struct {
	Type    uint8
	Channel uint16
	Payload []byte
}

// FrameReader reads frames from a stream through its own buffer, so that a
// frame's payload can be handed out without copying.
type FrameReader struct {
	rd   io.Reader
	buf  []byte // buffered data is buf[r:w]; len(buf) is the capacity in use
	r, w int
	err  error // sticky error from rd, reported once buffered data runs out
	max  uint32
	// busy is set when a read filled the whole buffer: the peer sends
	// faster than it is read, so the buffer grows to BusyReadBufferSize
	// (fewer system calls) the next time it is empty. Idle connections
	// keep their small buffer, which keeps thousands of them cheap.
	busy bool
}

// BusyReadBufferSize is the buffer a FrameReader grows to once its peer
// keeps it full.
const BusyReadBufferSize = 64 << 10

// NewFrameReader returns a reader with a buffer of bufSize bytes (at least
// 16; DefaultReadBufferSize if bufSize <= 0). Larger frames grow the buffer
// as their bytes arrive, and the grown buffer is kept for later frames.
func NewFrameReader(r io.Reader, bufSize int) *FrameReader {
	if bufSize <= 0 {
		bufSize = DefaultReadBufferSize
	}
	bufSize = max(bufSize, minReadBufferSize)
	return &FrameReader{rd: r, buf: make([]byte, bufSize)}
}

// SetMaxFrameSize sets the largest acceptable frame, counting the 7-byte
// header and the frame-end octet, as frame-max does. 0 means no negotiated
// limit. A 1 GiB sanity cap applies in every case. Before connection.tune-ok
// the spec limits frames to FrameMinSize, which is a sensible initial value.
func (fr *FrameReader) SetMaxFrameSize(n uint32) { fr.max = n }

// Buffered returns how many bytes are read but not yet returned. The
// connection layer can use it to batch work (e.g. delay a flush) while more
// frames are already waiting.
func (fr *FrameReader) Buffered() int { return fr.w - fr.r }

// FrameBuffered reports whether a whole frame is buffered, so that the
// next ReadFrame returns without reading from the stream. A peer that
// batches its writes flushes them when this is false: it is about to
// wait for the other side.
func (fr *FrameReader) FrameBuffered() bool {
	if fr.w-fr.r < frameHeaderSize {
		return false
	}
	size := binary.BigEndian.Uint32(fr.buf[fr.r+3:])
	return uint64(fr.w-fr.r) >= uint64(size)+frameOverhead
}

// ReadProtocolHeader consumes exactly 8 bytes: the protocol header a client
// sends once before any frame. It does not check them; compare with
// ProtocolHeader. Like every read it may buffer bytes beyond what it
// returns, so keep reading frames through fr.
func (fr *FrameReader) ReadProtocolHeader() ([8]byte, error) {
	var h [8]byte
	if err := fr.fill(len(h)); err != nil {
		return h, fr.eofError(err)
	}
	copy(h[:], fr.buf[fr.r:])
	fr.r += len(h)
	return h, nil
}

// ReadFrame reads the next frame. Frame.Payload aliases the reader's buffer
// and is valid only until the next call on fr; copy what must outlive it.
// A clean end of stream between frames is io.EOF, one inside a frame
// io.ErrUnexpectedEOF. The declared size is checked against the maximum
// before any memory is reserved for it.
func (fr *FrameReader) ReadFrame() (Frame, error) {
	if err := fr.fill(frameHeaderSize); err != nil {
		return Frame{}, fr.eofError(err)
	}
	h := fr.buf[fr.r : fr.r+frameHeaderSize]
	typ := h[0]
	channel := binary.BigEndian.Uint16(h[1:])
	size := binary.BigEndian.Uint32(h[3:])
	switch typ {
	case FrameMethod, FrameHeader, FrameBody, FrameHeartbeat:
	default:
		return Frame{}, fmt.Errorf("%w: %d", ErrUnknownFrameType, typ)
	}
	total := uint64(size) + frameOverhead
	limit := uint64(hardFrameCap)
	if fr.max != 0 {
		limit = min(limit, uint64(fr.max))
	}
	if total > limit {
		return Frame{}, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, total, limit)
	}
	n := int(total)
	if err := fr.fill(n); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	f := fr.buf[fr.r : fr.r+n]
	if f[n-1] != FrameEnd {
		return Frame{}, fmt.Errorf("%w: got %#x", ErrBadFrameEnd, f[n-1])
	}
	fr.r += n
	// The capacity limit stops a caller's append from overwriting the
	// frame-end and the next buffered frame.
	return Frame{Type: typ, Channel: channel, Payload: f[frameHeaderSize : n-1 : n-1]}, nil
}

// eofError turns io.EOF into io.ErrUnexpectedEOF when part of the item was
// already read.
func (fr *FrameReader) eofError(err error) error {
	if err == io.EOF && fr.w > fr.r {
		return io.ErrUnexpectedEOF
	}
	return err
}

// isTimeout reports a deadline error (net.Error's Timeout, without
// importing net here).
func isTimeout(err error) bool {
	t, ok := err.(interface{ Timeout() bool })
	return ok && t.Timeout()
}

// fill makes at least n bytes buffered. When the buffer is too small it
// grows by doubling, and only once it is full of received data, so memory
// tracks what the peer really sent rather than what it claimed it would.
func (fr *FrameReader) fill(n int) error {
	const maxEmptyReads = 100 // as bufio, to break a Reader stuck at 0, nil
	empty := 0
	if fr.r == fr.w {
		fr.r, fr.w = 0, 0 // nothing to keep: reuse the buffer from its start
	}
	for fr.w-fr.r < n {
		if fr.err != nil {
			return fr.err
		}
		if fr.r > 0 && len(fr.buf)-fr.r < n {
			fr.w = copy(fr.buf, fr.buf[fr.r:fr.w])
			fr.r = 0
		}
		if fr.busy && len(fr.buf) < BusyReadBufferSize {
			nb := make([]byte, BusyReadBufferSize)
			fr.w = copy(nb, fr.buf[fr.r:fr.w])
			fr.r = 0
			fr.buf = nb
			fr.busy = false
		}
		if fr.w == len(fr.buf) {
			nb := make([]byte, min(2*len(fr.buf), n))
			fr.w = copy(nb, fr.buf[fr.r:fr.w])
			fr.r = 0
			fr.buf = nb
		}
		m, err := fr.rd.Read(fr.buf[fr.w:])
		if m < 0 || m > len(fr.buf)-fr.w {
			return errors.New("amqp: reader returned an invalid count")
		}
		if m > 0 && m == len(fr.buf)-fr.w {
			fr.busy = true
		}
		fr.w += m
		switch {
		case isTimeout(err):
			// A read deadline is the caller's periodic wake-up, not the
			// end of the stream: report it, keep what is buffered, and
			// read on at the next call.
			return err
		case err != nil:
			fr.err = err
		case m == 0:
			if empty++; empty >= maxEmptyReads {
				return io.ErrNoProgress
			}
		default:
			empty = 0
		}
	}
	return nil
}

// AppendFrame appends a frame with the given type, channel and payload.
func AppendFrame(dst []byte, typ uint8, channel uint16, payload []byte) []byte {
	dst = append(dst, typ, byte(channel>>8), byte(channel))
	dst = appendUint32(dst, uint32(len(payload)))
	dst = append(dst, payload...)
	return append(dst, FrameEnd)
}

// AppendMethodFrame appends a method frame. The size is patched in after
// the method is encoded, so there is no intermediate buffer.
func AppendMethodFrame(dst []byte, channel uint16, m Method) []byte {
	start := len(dst)
	dst = append(dst, FrameMethod, byte(channel>>8), byte(channel), 0, 0, 0, 0)
	dst = m.Append(dst)
	binary.BigEndian.PutUint32(dst[start+3:], uint32(len(dst)-start-frameHeaderSize))
	return append(dst, FrameEnd)
}

// AppendHeaderFrame appends a content header frame. props is the encoded
// property flags and list, as from Properties.Append or DecodeContentHeader.
func AppendHeaderFrame(dst []byte, channel uint16, classID uint16, bodySize uint64, props []byte) []byte {
	dst = append(dst, FrameHeader, byte(channel>>8), byte(channel))
	dst = appendUint32(dst, uint32(contentHeaderFixed+len(props)))
	dst = appendUint16(dst, classID)
	dst = append(dst, 0, 0) // weight, always zero
	dst = appendUint64(dst, bodySize)
	dst = append(dst, props...)
	return append(dst, FrameEnd)
}

// AppendBodyFrames appends body as body frames of at most frameMax bytes
// each, frame overhead included; frameMax 0 means no limit. An empty body
// gives no frames, as the spec requires. A frameMax too small to carry any
// payload (<= 8) is treated as FrameMinSize rather than looping forever;
// negotiation never produces one.
func AppendBodyFrames(dst []byte, channel uint16, body []byte, frameMax uint32) []byte {
	if len(body) == 0 {
		return dst
	}
	maxPayload := uint64(math.MaxUint32)
	if frameMax != 0 {
		if frameMax <= frameOverhead {
			frameMax = FrameMinSize
		}
		maxPayload = uint64(frameMax - frameOverhead)
	}
	frames := (uint64(len(body)) + maxPayload - 1) / maxPayload
	dst = slices.Grow(dst, len(body)+int(frames)*frameOverhead)
	for len(body) > 0 {
		n := len(body)
		if uint64(n) > maxPayload {
			n = int(maxPayload)
		}
		dst = AppendFrame(dst, FrameBody, channel, body[:n])
		body = body[n:]
	}
	return dst
}

// AppendHeartbeat appends a heartbeat frame (always on channel 0).
func AppendHeartbeat(dst []byte) []byte {
	return append(dst, FrameHeartbeat, 0, 0, 0, 0, 0, 0, FrameEnd)
}
