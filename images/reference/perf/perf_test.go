package main

import (
	"encoding/binary"
	"reflect"
	"strconv"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// record builds one perf record: header {type u32, misc u16, size u16} then u64 words.
func record(typ uint32, words ...uint64) []byte {
	b := binary.LittleEndian.AppendUint32(nil, typ)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(8+8*len(words)))
	for _, w := range words {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return b
}

func pidTid(pid, tid uint32) uint64 { return uint64(tid)<<32 | uint64(pid) }

const markUser = ^uint64(0) - 511 // (u64)PERF_CONTEXT_USER

// fakeRing lays out a metadata page and one data page in ordinary memory, with data already
// written by "the kernel" from position tail onwards (wrapping at the end).
func fakeRing(tail uint64, data []byte) *ring {
	const page = 4096
	mem := make([]byte, 2*page)
	meta := (*unix.PerfEventMmapPage)(unsafe.Pointer(&mem[0]))
	meta.Data_offset, meta.Data_size = page, page
	for i, b := range data {
		mem[page+int((tail+uint64(i))%page)] = b
	}
	meta.Data_tail, meta.Data_head = tail, tail+uint64(len(data))
	return newRing(mem, page)
}

func TestRingDrainAndParse(t *testing.T) {
	profile := layout{sampleType: sampleIP | sampleTID | sampleTime | sampleCallchain}
	var stream []byte
	stream = append(stream, record(unix.PERF_RECORD_SAMPLE, 0x401000, pidTid(7, 9), 123456, 4, markUser, 0x401000, 0x402010, 0x403020)...)
	stream = append(stream, record(unix.PERF_RECORD_LOST, 1, 17)...)
	stream = append(stream, record(14 /* PERF_RECORD_THROTTLE */, 1, 2, 3)...)
	stream = append(stream, record(unix.PERF_RECORD_SAMPLE, 0x404000, pidTid(7, 8), 123999, 2, markUser, 0x404000)...)

	// Start 40 bytes before the end of the data page so that the first record wraps.
	r := fakeRing(3*4096-40, stream)
	buf := r.drain(nil)
	if !reflect.DeepEqual(buf, stream) {
		t.Fatalf("drain returned %d bytes, not the %d written", len(buf), len(stream))
	}
	if r.meta.Data_tail != r.meta.Data_head {
		t.Fatalf("tail %d not advanced to head %d", r.meta.Data_tail, r.meta.Data_head)
	}
	if again := r.drain(buf); len(again) != 0 {
		t.Fatalf("second drain returned %d bytes", len(again))
	}

	var samples []*sample
	var lost uint64
	err := parseRecords(buf, profile, func(s *sample) { samples = append(samples, s) }, func(n uint64) { lost += n })
	if err != nil {
		t.Fatal(err)
	}
	want := []*sample{
		{IP: 0x401000, Pid: 7, Tid: 9, Time: 123456, Callchain: []uint64{markUser, 0x401000, 0x402010, 0x403020}},
		{IP: 0x404000, Pid: 7, Tid: 8, Time: 123999, Callchain: []uint64{markUser, 0x404000}},
	}
	if !reflect.DeepEqual(samples, want) {
		t.Errorf("samples = %+v", samples)
	}
	if lost != 17 {
		t.Errorf("lost = %d, want 17", lost)
	}
	if markUser < contextMax {
		t.Error("PERF_CONTEXT_USER not recognised as a marker")
	}
}

func TestParseUprobeSamples(t *testing.T) {
	l := layout{sampleType: sampleTID | sampleTime | sampleRegsUser, nregs: 1}
	buf := append(record(unix.PERF_RECORD_SAMPLE, pidTid(5, 6), 1000, 2 /* ABI_64 */, 0xc000001234),
		record(unix.PERF_RECORD_SAMPLE, pidTid(5, 6), 2000, 0 /* ABI_NONE: no registers */)...)
	var got []*sample
	if err := parseRecords(buf, l, func(s *sample) { got = append(got, s) }, func(uint64) {}); err != nil {
		t.Fatal(err)
	}
	want := []*sample{
		{Pid: 5, Tid: 6, Time: 1000, Regs: []uint64{0xc000001234}},
		{Pid: 5, Tid: 6, Time: 2000},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
	if callKey(got[0]) != 0xc000001234 || callKey(got[1]) != 1<<63|6 {
		t.Errorf("call keys %#x %#x", callKey(got[0]), callKey(got[1]))
	}
	// Truncated input is an error, never a panic.
	for n := 1; n < len(buf); n += 3 {
		parseRecords(buf[:n], l, func(*sample) {}, func(uint64) {})
	}
	if err := parseRecords(buf[:20], l, func(*sample) {}, func(uint64) {}); err == nil {
		t.Error("truncated record parsed without error")
	}
}

func TestTracerPairsByGoroutine(t *testing.T) {
	tr := newTracer(5, 0)
	var lines []string
	old := emit
	emit = func(v any) {
		switch l := v.(type) {
		case entryLine:
			lines = append(lines, "entry")
		case returnLine:
			lines = append(lines, "return "+strconv.FormatInt(l.DurationNs, 10))
		}
	}
	defer func() { emit = old }()
	g := func(kind int, tid uint32, at uint64, gp uint64) {
		tr.handle(hit{kind: kind, s: &sample{Pid: 5, Tid: tid, Time: at, Regs: []uint64{gp}}})
	}
	g(kindReturn, 1, 50, 0xa)   // started before attach: dropped
	g(kindEntry, 1, 100, 0xa)   // call on goroutine a
	g(kindRestart, 1, 110, 0xa) // morestack, then the entry runs again
	g(kindEntry, 1, 120, 0xa)
	g(kindEntry, 2, 130, 0xb)  // another goroutine
	g(kindReturn, 3, 400, 0xa) // a returns on another thread
	g(kindReturn, 2, 500, 0xb)
	want := []string{"entry", "entry", "return 300", "return 370"}
	if !reflect.DeepEqual(lines, want) {
		t.Fatalf("got %v, want %v", lines, want)
	}
}

func TestParseCPUList(t *testing.T) {
	got, err := parseCPUList("0-2,5,7-8")
	if err != nil || !reflect.DeepEqual(got, []int{0, 1, 2, 5, 7, 8}) {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := parseCPUList("3-1"); err == nil {
		t.Error("bad range accepted")
	}
}
