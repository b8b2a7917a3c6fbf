package main

// The perf_event_open layer: opening events, per-CPU mmap'd ring buffers and record parsing.
// Only the sample layouts this helper asks for are decoded (IP, TID, TIME, CALLCHAIN, REGS_USER).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Sample layout flags, in the order the kernel writes them into a PERF_RECORD_SAMPLE.
const (
	sampleIP        = unix.PERF_SAMPLE_IP
	sampleTID       = unix.PERF_SAMPLE_TID
	sampleTime      = unix.PERF_SAMPLE_TIME
	sampleCallchain = unix.PERF_SAMPLE_CALLCHAIN
	sampleRegsUser  = unix.PERF_SAMPLE_REGS_USER
)

// Callchain entries at or above this value are PERF_CONTEXT_* markers, not addresses.
const contextMax = ^uint64(0) - 4095 + 1 // (u64)PERF_CONTEXT_MAX = -4095

// openEvent wraps perf_event_open with the attr size filled in and close-on-exec set.
func openEvent(attr *unix.PerfEventAttr, pid, cpu int) (int, error) {
	attr.Size = uint32(unsafe.Sizeof(*attr))
	fd, err := unix.PerfEventOpen(attr, pid, cpu, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		return -1, err
	}
	return fd, nil
}

// onlineCPUs parses /sys/devices/system/cpu/online ("0-3,5,7-8").
func onlineCPUs() ([]int, error) {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return nil, err
	}
	return parseCPUList(strings.TrimSpace(string(b)))
}

func parseCPUList(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("bad cpu list %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("bad cpu list %q", s)
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	if len(cpus) == 0 {
		return nil, fmt.Errorf("no online cpus in %q", s)
	}
	return cpus, nil
}

// ring is one mmap'd perf ring buffer: a metadata page followed by 2^n data pages.
type ring struct {
	fd   int
	mem  []byte // whole mapping (kept for munmap)
	meta *unix.PerfEventMmapPage
	data []byte
}

// mapRing maps a ring of dataPages (a power of two) pages for the event fd.
func mapRing(fd, dataPages int) (*ring, error) {
	page := os.Getpagesize()
	mem, err := unix.Mmap(fd, 0, (1+dataPages)*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap perf ring: %w", err)
	}
	r := newRing(mem, page)
	r.fd = fd
	return r, nil
}

// newRing interprets mem as a ring (split out so tests can use ordinary memory).
func newRing(mem []byte, page int) *ring {
	meta := (*unix.PerfEventMmapPage)(unsafe.Pointer(&mem[0]))
	off, size := meta.Data_offset, meta.Data_size
	if size == 0 { // kernels before 4.1 leave these zero; data then starts at the second page
		off, size = uint64(page), uint64(len(mem)-page)
	}
	return &ring{fd: -1, mem: mem, meta: meta, data: mem[off : off+size]}
}

// drain copies every unread byte into buf (unwrapping the ring) and hands the space back to
// the kernel. Copying first means a record split across the end of the ring needs no special
// case and the kernel may overwrite the space as soon as data_tail moves.
func (r *ring) drain(buf []byte) []byte {
	head := atomic.LoadUint64(&r.meta.Data_head) // acquire: data up to head is visible
	tail := r.meta.Data_tail
	buf = buf[:0]
	if head == tail {
		return buf
	}
	size := uint64(len(r.data))
	n := head - tail
	if n > size { // cannot happen with a sane kernel; resynchronise rather than read garbage
		atomic.StoreUint64(&r.meta.Data_tail, head)
		return buf
	}
	start := tail % size
	if start+n <= size {
		buf = append(buf, r.data[start:start+n]...)
	} else {
		buf = append(buf, r.data[start:]...)
		buf = append(buf, r.data[:n-(size-start)]...)
	}
	atomic.StoreUint64(&r.meta.Data_tail, head) // release: the kernel may reuse the space
	return buf
}

func (r *ring) close() {
	if r.mem != nil && r.fd >= 0 {
		unix.Munmap(r.mem)
	}
	r.mem = nil
}

// sample is one decoded PERF_RECORD_SAMPLE (only the fields requested by sampleType).
type sample struct {
	IP        uint64
	Pid, Tid  uint32
	Time      uint64
	Callchain []uint64
	Regs      []uint64 // user registers in mask order; nil when the kernel sent none
}

// layout describes what the samples of our events contain.
type layout struct {
	sampleType uint64
	nregs      int // number of bits set in sample_regs_user
}

var errShortRecord = errors.New("truncated perf record")

// parseRecords walks the records in buf, calling onSample for samples and onLost with the
// count of each PERF_RECORD_LOST. Other record types (throttling etc.) are skipped.
func parseRecords(buf []byte, l layout, onSample func(*sample), onLost func(uint64)) error {
	le := binary.LittleEndian // perf records are in host order; all supported hosts are little-endian
	for len(buf) > 0 {
		if len(buf) < 8 {
			return errShortRecord
		}
		typ := le.Uint32(buf[0:])
		size := int(le.Uint16(buf[6:]))
		if size < 8 || size > len(buf) {
			return errShortRecord
		}
		body := buf[8:size]
		buf = buf[size:]
		switch typ {
		case unix.PERF_RECORD_SAMPLE:
			s, err := decodeSample(body, l)
			if err != nil {
				return err
			}
			onSample(s)
		case unix.PERF_RECORD_LOST:
			if len(body) < 16 {
				return errShortRecord
			}
			onLost(le.Uint64(body[8:])) // {u64 id; u64 lost}
		}
	}
	return nil
}

func decodeSample(b []byte, l layout) (*sample, error) {
	le := binary.LittleEndian
	s := &sample{}
	u64 := func() (uint64, bool) {
		if len(b) < 8 {
			return 0, false
		}
		v := le.Uint64(b)
		b = b[8:]
		return v, true
	}
	var ok bool
	if l.sampleType&sampleIP != 0 {
		if s.IP, ok = u64(); !ok {
			return nil, errShortRecord
		}
	}
	if l.sampleType&sampleTID != 0 {
		if len(b) < 8 {
			return nil, errShortRecord
		}
		s.Pid, s.Tid = le.Uint32(b), le.Uint32(b[4:])
		b = b[8:]
	}
	if l.sampleType&sampleTime != 0 {
		if s.Time, ok = u64(); !ok {
			return nil, errShortRecord
		}
	}
	if l.sampleType&sampleCallchain != 0 {
		n, ok := u64()
		if !ok || n > uint64(len(b)/8) {
			return nil, errShortRecord
		}
		s.Callchain = make([]uint64, n)
		for i := range s.Callchain {
			s.Callchain[i], _ = u64()
		}
	}
	if l.sampleType&sampleRegsUser != 0 {
		abi, ok := u64()
		if !ok {
			return nil, errShortRecord
		}
		if abi != 0 { // PERF_SAMPLE_REGS_ABI_NONE: no registers follow
			if len(b) < 8*l.nregs {
				return nil, errShortRecord
			}
			s.Regs = make([]uint64, l.nregs)
			for i := range s.Regs {
				s.Regs[i], _ = u64()
			}
		}
	}
	return s, nil
}

// cpuRings owns a set of events whose output is funnelled, per CPU, into one ring: the first
// event opened on a CPU gets the mapping and the others are redirected with
// PERF_EVENT_IOC_SET_OUTPUT. This keeps memory at one ring per CPU however many threads or
// probes there are.
type cpuRings struct {
	pages  int
	fds    []int
	rings  map[int]*ring // by cpu
	order  []*ring
	buf    []byte
	layout layout
}

func newCPURings(pages int, l layout) *cpuRings {
	return &cpuRings{pages: pages, rings: map[int]*ring{}, layout: l}
}

// add attaches an already opened event (bound to cpu) to that CPU's ring.
func (c *cpuRings) add(fd, cpu int) error {
	c.fds = append(c.fds, fd)
	if r, ok := c.rings[cpu]; ok {
		if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_SET_OUTPUT, r.fd); err != nil {
			return fmt.Errorf("PERF_EVENT_IOC_SET_OUTPUT cpu %d: %w", cpu, err)
		}
		return nil
	}
	r, err := mapRing(fd, c.pages)
	if err != nil {
		return err
	}
	c.rings[cpu] = r
	c.order = append(c.order, r)
	return nil
}

// enable starts every event (they are opened disabled so that none samples into nowhere
// before its output is set up).
func (c *cpuRings) enable() error {
	for _, fd := range c.fds {
		if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_ENABLE, 0); err != nil {
			return fmt.Errorf("PERF_EVENT_IOC_ENABLE: %w", err)
		}
	}
	return nil
}

// read drains every ring once.
func (c *cpuRings) read(onSample func(*sample), onLost func(uint64)) error {
	for _, r := range c.order {
		c.buf = r.drain(c.buf)
		if err := parseRecords(c.buf, c.layout, onSample, onLost); err != nil {
			return err
		}
	}
	return nil
}

// pollFds returns the fds that own a mapping (they are woken for redirected events too).
func (c *cpuRings) pollFds() []unix.PollFd {
	p := make([]unix.PollFd, 0, len(c.order))
	for _, r := range c.order {
		p = append(p, unix.PollFd{Fd: int32(r.fd), Events: unix.POLLIN})
	}
	return p
}

func (c *cpuRings) close() {
	for _, fd := range c.fds {
		unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_DISABLE, 0)
	}
	for _, r := range c.order {
		r.close()
	}
	for _, fd := range c.fds {
		unix.Close(fd)
	}
	c.fds, c.order, c.rings = nil, nil, map[int]*ring{}
}
