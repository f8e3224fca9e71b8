package wire

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"runtime"
	"testing"
	"testing/iotest"
)

// testStream returns an encoded stream of assorted frames, one larger than
// a small reader buffer, and the frames it holds.
func testStream() ([]byte, []Frame) {
	var b []byte
	b = AppendMethodFrame(b, 1, &BasicPublish{Exchange: "x", RoutingKey: "rk"})
	props := (&Properties{Flags: FlagDeliveryMode, DeliveryMode: 2}).Append(nil)
	b = AppendHeaderFrame(b, 1, ClassBasic, 300, props)
	body := bytes.Repeat([]byte("0123456789"), 30)
	b = AppendBodyFrames(b, 1, body, 0)
	b = AppendHeartbeat(b)
	b = AppendFrame(b, FrameBody, 65535, nil)

	var frames []Frame
	fr := NewFrameReader(bytes.NewReader(b), 0)
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			break
		}
		f.Payload = bytes.Clone(f.Payload)
		frames = append(frames, f)
	}
	return b, frames
}

func readAll(t *testing.T, fr *FrameReader) ([]Frame, error) {
	t.Helper()
	var frames []Frame
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return frames, err
		}
		f.Payload = bytes.Clone(f.Payload)
		frames = append(frames, f)
	}
}

func TestFrameReaderStream(t *testing.T) {
	stream, want := testStream()
	if len(want) != 5 || want[2].Type != FrameBody || len(want[2].Payload) != 300 {
		t.Fatalf("unexpected test stream: %d frames", len(want))
	}
	if want[3].Type != FrameHeartbeat || want[3].Channel != 0 || len(want[3].Payload) != 0 {
		t.Fatalf("heartbeat frame: %#v", want[3])
	}
	readers := map[string]func() io.Reader{
		"whole":      func() io.Reader { return bytes.NewReader(stream) },
		"one-byte":   func() io.Reader { return iotest.OneByteReader(bytes.NewReader(stream)) },
		"half":       func() io.Reader { return iotest.HalfReader(bytes.NewReader(stream)) },
		"data-err":   func() io.Reader { return iotest.DataErrReader(bytes.NewReader(stream)) },
		"zero-reads": func() io.Reader { return &stutterReader{r: bytes.NewReader(stream)} },
	}
	for name, mk := range readers {
		for _, size := range []int{16, 64, 4096} {
			fr := NewFrameReader(mk(), size)
			got, err := readAll(t, fr)
			if err != io.EOF {
				t.Fatalf("%s/%d: final error %v, want io.EOF", name, size, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s/%d: frames differ", name, size)
			}
		}
	}
}

// stutterReader returns 0, nil before every real read, which a reader must
// tolerate.
type stutterReader struct {
	r    io.Reader
	flip bool
}

func (s *stutterReader) Read(p []byte) (int, error) {
	s.flip = !s.flip
	if s.flip {
		return 0, nil
	}
	return s.r.Read(p)
}

// TestFrameReaderEverySplit delivers the stream in two reads split at
// every byte offset, so each header and payload boundary is crossed.
func TestFrameReaderEverySplit(t *testing.T) {
	stream, want := testStream()
	for k := range len(stream) + 1 {
		r := io.MultiReader(bytes.NewReader(stream[:k]), bytes.NewReader(stream[k:]))
		got, err := readAll(t, NewFrameReader(r, 16))
		if err != io.EOF || !reflect.DeepEqual(got, want) {
			t.Fatalf("split at %d: %d frames, err %v", k, len(got), err)
		}
	}
}

func TestFrameReaderTruncated(t *testing.T) {
	stream, want := testStream()
	// Offsets where a frame ends: cutting there is a clean EOF.
	ends := map[int]int{0: 0}
	off := 0
	for i, f := range want {
		off += frameOverhead + len(f.Payload)
		ends[off] = i + 1
	}
	for k := range len(stream) {
		got, err := readAll(t, NewFrameReader(bytes.NewReader(stream[:k]), 32))
		if n, clean := ends[k]; clean {
			if err != io.EOF || len(got) != n {
				t.Fatalf("cut at frame end %d: %d frames, err %v", k, len(got), err)
			}
		} else if err != io.ErrUnexpectedEOF {
			t.Fatalf("cut at %d: err %v, want io.ErrUnexpectedEOF", k, err)
		}
	}
}

func TestFrameReaderErrors(t *testing.T) {
	good := AppendHeartbeat(nil)
	badEnd := bytes.Clone(good)
	badEnd[7] = 0
	_, err := NewFrameReader(bytes.NewReader(badEnd), 0).ReadFrame()
	if !errors.Is(err, ErrBadFrameEnd) {
		t.Errorf("bad frame end: %v", err)
	}
	for _, typ := range []byte{0, 4, 7, 9, 65, 255} {
		b := AppendFrame(nil, typ, 0, []byte{1})
		_, err := NewFrameReader(bytes.NewReader(b), 0).ReadFrame()
		if !errors.Is(err, ErrUnknownFrameType) {
			t.Errorf("type %d: %v", typ, err)
		}
	}
	// Reader errors other than EOF come through unchanged.
	_, err = NewFrameReader(iotest.TimeoutReader(iotest.OneByteReader(bytes.NewReader(good))), 0).ReadFrame()
	if !errors.Is(err, iotest.ErrTimeout) {
		t.Errorf("timeout: %v", err)
	}
	_, err = NewFrameReader(bytes.NewReader(nil), 0).ReadFrame()
	if err != io.EOF {
		t.Errorf("empty reader: %v", err)
	}
	_, err = NewFrameReader(zeroReader{}, 0).ReadFrame()
	if !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("reader stuck at 0, nil: %v", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestFrameReaderMaxSize(t *testing.T) {
	payload := make([]byte, 100)
	b := AppendFrame(nil, FrameBody, 1, payload)
	fr := NewFrameReader(bytes.NewReader(b), 0)
	fr.SetMaxFrameSize(uint32(len(b))) // exactly the frame: accepted
	if _, err := fr.ReadFrame(); err != nil {
		t.Fatal(err)
	}
	fr = NewFrameReader(bytes.NewReader(b), 0)
	fr.SetMaxFrameSize(uint32(len(b) - 1))
	if _, err := fr.ReadFrame(); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("one byte over: %v", err)
	}
}

// TestFrameReaderHugeDeclaredSize checks that a size claim is rejected, or
// at least not believed, before memory is committed to it.
func TestFrameReaderHugeDeclaredSize(t *testing.T) {
	hdr := func(size uint32) []byte {
		return []byte{FrameBody, 0, 1, byte(size >> 24), byte(size >> 16), byte(size >> 8), byte(size), 'x', 'y'}
	}
	for _, max := range []uint32{0, 131072, 0xffffffff} {
		fr := NewFrameReader(bytes.NewReader(hdr(0xffffffff)), 0)
		fr.SetMaxFrameSize(max)
		if _, err := fr.ReadFrame(); !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("max %d: %v", max, err)
		}
	}
	// Within the 1 GiB cap the claim passes the check, but the buffer
	// grows only with bytes that actually arrive.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fr := NewFrameReader(bytes.NewReader(hdr(512<<20)), 64)
	if _, err := fr.ReadFrame(); err != io.ErrUnexpectedEOF {
		t.Fatalf("truncated huge frame: %v", err)
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Fatalf("allocated %d bytes for a 9-byte input", d)
	}
}

func TestFrameReaderGrowsAndReuses(t *testing.T) {
	big := bytes.Repeat([]byte{7}, 10000)
	var stream []byte
	for range 3 {
		stream = AppendFrame(stream, FrameBody, 1, big)
		stream = AppendHeartbeat(stream)
	}
	fr := NewFrameReader(iotest.HalfReader(bytes.NewReader(stream)), 16)
	for i := range 6 {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 && !bytes.Equal(f.Payload, big) {
			t.Fatalf("frame %d payload differs", i)
		}
		if cap(f.Payload) != len(f.Payload) {
			t.Fatal("payload capacity reaches past the frame")
		}
	}
	// Frames grow the buffer to fit; a peer that keeps it full may take
	// it to BusyReadBufferSize, and nothing grows it further.
	if len(fr.buf) > max(2*len(big), BusyReadBufferSize) {
		t.Fatalf("buffer grew to %d for %d-byte frames", len(fr.buf), len(big))
	}
}

func TestReadProtocolHeader(t *testing.T) {
	in := append(ProtocolHeader[:], AppendHeartbeat(nil)...)
	fr := NewFrameReader(iotest.OneByteReader(bytes.NewReader(in)), 0)
	h, err := fr.ReadProtocolHeader()
	if err != nil || h != ProtocolHeader {
		t.Fatalf("header %q %v", h[:], err)
	}
	if f, err := fr.ReadFrame(); err != nil || f.Type != FrameHeartbeat {
		t.Fatalf("frame after header: %#v %v", f, err)
	}
	if _, err := NewFrameReader(bytes.NewReader([]byte("AMQP")), 0).ReadProtocolHeader(); err != io.ErrUnexpectedEOF {
		t.Fatalf("short header: %v", err)
	}
	if _, err := NewFrameReader(bytes.NewReader(nil), 0).ReadProtocolHeader(); err != io.EOF {
		t.Fatalf("no header: %v", err)
	}
}

func TestAppendBodyFrames(t *testing.T) {
	body := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}
	tests := []struct {
		name     string
		bodyLen  int
		frameMax uint32
		sizes    []int
	}{
		{"empty", 0, 4096, nil},
		{"empty unlimited", 0, 0, nil},
		{"exact multiple", 16, 16, []int{8, 8}},
		{"one over", 17, 16, []int{8, 8, 1}},
		{"one under", 15, 16, []int{8, 7}},
		{"fits", 4088, 4096, []int{4088}},
		{"fits plus one", 4089, 4096, []int{4088, 1}},
		{"unlimited", 100000, 0, []int{100000}},
		{"too small frameMax uses FrameMinSize", 5000, 8, []int{4088, 912}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := body(tt.bodyLen)
			out := AppendBodyFrames([]byte("keep"), 9, in, tt.frameMax)
			if string(out[:4]) != "keep" {
				t.Fatal("dst prefix lost")
			}
			frames, err := readAll(t, NewFrameReader(bytes.NewReader(out[4:]), 0))
			if err != io.EOF {
				t.Fatal(err)
			}
			var sizes []int
			var joined []byte
			for _, f := range frames {
				if f.Type != FrameBody || f.Channel != 9 {
					t.Fatalf("frame %#v", f)
				}
				if tt.frameMax > frameOverhead && len(f.Payload)+frameOverhead > int(tt.frameMax) {
					t.Fatalf("frame of %d bytes over frameMax %d", len(f.Payload)+8, tt.frameMax)
				}
				sizes = append(sizes, len(f.Payload))
				joined = append(joined, f.Payload...)
			}
			if !reflect.DeepEqual(sizes, tt.sizes) || !bytes.Equal(joined, in) {
				t.Fatalf("sizes %v, want %v", sizes, tt.sizes)
			}
		})
	}
}

func TestAppendMethodFrameAppends(t *testing.T) {
	dst := []byte{0xAA}
	dst = AppendMethodFrame(dst, 0x0102, &BasicAck{DeliveryTag: 1})
	want := []byte{0xAA, 1, 1, 2, 0, 0, 0, 13, 0, 60, 0, 80, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0xce}
	if !bytes.Equal(dst, want) {
		t.Fatalf("got % x\nwant % x", dst, want)
	}
	if AppendHeartbeat(nil)[7] != FrameEnd {
		t.Fatal("heartbeat")
	}
}

// An idle peer keeps the small buffer; one that keeps it full gets the
// busy-size buffer once the buffered data is consumed.
func TestFrameReaderGrowsWhenBusy(t *testing.T) {
	var stream []byte
	for range 200 {
		stream = AppendFrame(stream, FrameBody, 1, bytes.Repeat([]byte{1}, 100))
	}
	fr := NewFrameReader(bytes.NewReader(stream), 4096)
	for range 200 {
		if _, err := fr.ReadFrame(); err != nil {
			t.Fatal(err)
		}
	}
	if len(fr.buf) != BusyReadBufferSize {
		t.Fatalf("busy reader buffer %d, want %d", len(fr.buf), BusyReadBufferSize)
	}
	idle := NewFrameReader(bytes.NewReader(AppendHeartbeat(nil)), 4096)
	if _, err := idle.ReadFrame(); err != nil {
		t.Fatal(err)
	}
	if len(idle.buf) != 4096 {
		t.Fatalf("idle reader buffer %d", len(idle.buf))
	}
}

// FrameBuffered is true exactly when the next ReadFrame needs no read from
// the stream: the stream is fed one byte at a time and the reader's answer
// checked against whether a whole frame has arrived.
func TestFrameBuffered(t *testing.T) {
	stream, frames := testStream()
	pr, pw := io.Pipe()
	fr := NewFrameReader(pr, 1024)
	go func() {
		for i := range stream {
			pw.Write(stream[i : i+1])
		}
		pw.Close()
	}()
	if fr.FrameBuffered() {
		t.Fatal("FrameBuffered before any byte")
	}
	for i := range frames {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(f.Payload, frames[i].Payload) {
			t.Fatalf("frame %d differs", i)
		}
		// Through the byte-by-byte pipe the reader stops reading as soon
		// as it has the frame: nothing of the next one is buffered yet.
		if fr.FrameBuffered() {
			t.Fatalf("frame %d: FrameBuffered with %d bytes buffered", i, fr.Buffered())
		}
	}
	// A reader over the whole stream at once holds every frame.
	fr = NewFrameReader(bytes.NewReader(stream), 0)
	if _, err := fr.ReadFrame(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(frames); i++ {
		if !fr.FrameBuffered() {
			t.Fatalf("frame %d: whole stream buffered but FrameBuffered is false", i)
		}
		if _, err := fr.ReadFrame(); err != nil {
			t.Fatal(err)
		}
	}
	if fr.FrameBuffered() {
		t.Fatal("FrameBuffered at the end of the stream")
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string { return "i/o timeout" }
func (timeoutErr) Timeout() bool { return true }

// chunkReader returns its chunks one per Read, a timeout for a nil chunk.
type chunkReader struct{ chunks [][]byte }

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	c := r.chunks[0]
	if c == nil {
		r.chunks = r.chunks[1:]
		return 0, timeoutErr{}
	}
	n := copy(p, c)
	if n == len(c) {
		r.chunks = r.chunks[1:]
	} else {
		r.chunks[0] = c[n:]
	}
	return n, nil
}

// A read deadline firing (a timeout) is reported but not sticky: the
// connection uses it as a periodic wake-up, and the frames that arrive
// afterwards, including one split around the timeout, are still read.
func TestFrameReaderTimeoutNotSticky(t *testing.T) {
	stream, frames := testStream()
	first := AppendHeartbeat(nil)
	all := append(append([]byte{}, first...), stream...)
	cut := len(first) + 5 // inside the second frame's header
	r := &chunkReader{chunks: [][]byte{nil, all[:cut], nil, nil, all[cut:]}}
	fr := NewFrameReader(r, 64)
	var got []Frame
	timeouts := 0
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			if isTimeout(err) {
				if timeouts++; timeouts > 10 {
					t.Fatal("the timeout is sticky: every read fails")
				}
				continue
			}
			if err != io.EOF {
				t.Fatalf("after %d frames: %v", len(got), err)
			}
			break
		}
		f.Payload = bytes.Clone(f.Payload)
		got = append(got, f)
	}
	if timeouts != 3 {
		t.Errorf("%d timeouts reported, want 3", timeouts)
	}
	want := append([]Frame{{Type: FrameHeartbeat, Payload: []byte{}}}, frames...)
	if len(got) != len(want) {
		t.Fatalf("%d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Type != want[i].Type || got[i].Channel != want[i].Channel || !bytes.Equal(got[i].Payload, want[i].Payload) {
			t.Fatalf("frame %d differs", i)
		}
	}
}
