package main

// Function tracing with the uprobe PMU: one uprobe at the function's entry, one at each of its
// RET instructions and one at each jump back to its start (see rets.go), reported as
// entry/return JSON lines with call durations.

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

type uprobeOptions struct {
	pid    int
	binary string
	offset uint64
	size   int
}

const (
	uprobeRingPages = 16 // 64 KiB per CPU; samples are ~40 bytes
	uprobePollMs    = 50
	// Records are handled in time order across CPUs; one younger than this may still have an
	// older neighbour being written on another CPU, so it waits for the next pass.
	reorderWindow = 10 * time.Millisecond
	maxOpenDepth  = 256 // bound on tracked nested (recursive) calls per goroutine
)

// What a probe marks; each kind has its own per-CPU rings, so a record's ring names its probe.
const (
	kindEntry = iota
	kindReturn
	kindRestart
	numKinds
)

// x86-64 perf register index of R14, which holds the current goroutine (g) in Go's ABIInternal.
const perfRegX86R14 = 22

func runUprobe(o uprobeOptions, stop <-chan os.Signal) error {
	if err := checkPid(o.pid); err != nil {
		return err
	}
	scan, err := probeOffsets(o)
	if err != nil {
		return err
	}
	pmu, err := uprobePMUType()
	if err != nil {
		return err
	}
	cpus, err := onlineCPUs()
	if err != nil {
		return fmt.Errorf("online cpus: %w", err)
	}

	l := layout{sampleType: sampleTID | sampleTime}
	var regsMask uint64
	if runtime.GOARCH == "amd64" {
		l.sampleType |= sampleRegsUser
		regsMask, l.nregs = 1<<perfRegX86R14, 1
	}
	// Per-CPU events for every process (pid -1), filtered by pid here: they see calls on any
	// thread, including threads created later, without per-thread bookkeeping.
	var sets [numKinds]*cpuRings
	for k := range sets {
		sets[k] = newCPURings(uprobeRingPages, l)
		defer sets[k].close()
	}
	path := append([]byte(o.binary), 0)
	openProbe := func(set *cpuRings, off uint64) error {
		for _, cpu := range cpus {
			attr := unix.PerfEventAttr{
				Type:             pmu,
				Config:           0, // bit 0 (retprobe) clear: a plain uprobe
				Ext1:             uint64(uintptr(unsafe.Pointer(&path[0]))),
				Ext2:             off,
				Sample:           1, // every hit
				Sample_type:      l.sampleType,
				Sample_regs_user: regsMask,
				Wakeup:           1,
				Clockid:          unix.CLOCK_MONOTONIC,
				Bits:             unix.PerfBitDisabled | unix.PerfBitUseClockID,
			}
			fd, err := openEvent(&attr, -1, cpu)
			runtime.KeepAlive(path)
			if err != nil {
				return fmt.Errorf("perf_event_open uprobe %s offset %d cpu %d: %w", o.binary, off, cpu, err)
			}
			if err := set.add(fd, cpu); err != nil {
				return err
			}
		}
		return nil
	}
	offsets := [numKinds][]uint64{{o.offset}, scan.rets, scan.restarts}
	events := 0
	var pfds []unix.PollFd
	for k, offs := range offsets {
		for _, off := range offs {
			if err := openProbe(sets[k], off); err != nil {
				return err
			}
		}
		events += len(sets[k].fds)
		pfds = append(pfds, sets[k].pollFds()...)
	}
	wallOffset := monoToWallOffset()
	// Returns and restarts first: an entry is then never seen without its return probes.
	for k := numKinds - 1; k >= 0; k-- {
		if err := sets[k].enable(); err != nil {
			return err
		}
	}
	emit(attachedLine{Event: "attached", Pid: o.pid, EntryOffset: o.offset, ReturnOffsets: scan.rets, Events: events})

	t := newTracer(uint32(o.pid), wallOffset)
	for {
		select {
		case <-stop:
			return t.pass(sets, true)
		default:
		}
		if _, err := unix.Poll(pfds, uprobePollMs); err != nil && err != unix.EINTR {
			return fmt.Errorf("poll: %w", err)
		}
		if err := t.pass(sets, false); err != nil {
			return err
		}
	}
}

// probeSet lists the absolute file offsets of the return and restart probes.
type probeSet struct {
	rets, restarts []uint64
}

// probeOffsets checks the file and offset and, on amd64 with a size, finds the other probes.
func probeOffsets(o uprobeOptions) (probeSet, error) {
	ps := probeSet{rets: []uint64{}}
	f, err := os.Open(o.binary)
	if err != nil {
		return ps, err // *PathError: "open PATH: reason"
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ps, fmt.Errorf("stat %s: %w", o.binary, err)
	}
	if o.offset >= uint64(st.Size()) || uint64(o.size) > uint64(st.Size())-o.offset {
		return ps, fmt.Errorf("offset %d size %d is outside %s (%d bytes)", o.offset, o.size, o.binary, st.Size())
	}
	if err := checkFunctionStart(f, o.offset); err != nil {
		return ps, fmt.Errorf("offset %d in %s: %w", o.offset, o.binary, err)
	}
	if o.size == 0 || runtime.GOARCH != "amd64" {
		return ps, nil
	}
	code := make([]byte, o.size)
	if _, err := f.ReadAt(code, int64(o.offset)); err != nil {
		return ps, fmt.Errorf("read %d bytes at offset %d of %s: %w", o.size, o.offset, o.binary, err)
	}
	fs, err := scanFunction(code)
	if err != nil {
		return ps, fmt.Errorf("function at offset %d of %s: %w", o.offset, o.binary, err)
	}
	for _, r := range fs.rets {
		ps.rets = append(ps.rets, o.offset+uint64(r))
	}
	for _, r := range fs.restarts {
		ps.restarts = append(ps.restarts, o.offset+uint64(r))
	}
	return ps, nil
}

// checkFunctionStart guards the target against a probe in the middle of an instruction: in an
// ELF file the offset must lie in an executable segment and, when the file has function
// symbols, be the first byte of one. Non-ELF files are left to the kernel's checks.
func checkFunctionStart(f *os.File, off uint64) error {
	ef, err := elf.NewFile(f)
	if err != nil {
		return nil
	}
	var vaddr uint64
	found := false
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 && off >= p.Off && off < p.Off+p.Filesz {
			vaddr, found = off-p.Off+p.Vaddr, true
			break
		}
	}
	if !found {
		return errors.New("not in an executable segment")
	}
	tab := loadSymtab(ef)
	if len(tab.syms) == 0 {
		return nil
	}
	i := sort.Search(len(tab.syms), func(i int) bool { return tab.syms[i].start >= vaddr })
	if i == len(tab.syms) || tab.syms[i].start != vaddr {
		return errors.New("not the start of a function")
	}
	return nil
}

func uprobePMUType() (uint32, error) {
	b, err := os.ReadFile("/sys/bus/event_source/devices/uprobe/type")
	if err != nil {
		return 0, fmt.Errorf("uprobe PMU not available: %w", err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("uprobe PMU type %q: %w", b, err)
	}
	return uint32(v), nil
}

// monoToWallOffset is REALTIME - MONOTONIC, read once: sample times are CLOCK_MONOTONIC.
func monoToWallOffset() int64 {
	var m1, r, m2 unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &m1)
	unix.ClockGettime(unix.CLOCK_REALTIME, &r)
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &m2)
	return r.Nano() - (m1.Nano()+m2.Nano())/2
}

func monoNow() uint64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return uint64(ts.Nano())
}

type hit struct {
	kind int
	s    *sample
}

// tracer pairs entries with returns and prints both.
type tracer struct {
	pid        uint32
	wallOffset int64
	pending    []hit               // read but not yet old enough to be ordered safely
	open       map[uint64][]uint64 // call key -> entry times (a stack, for recursion)
	restarting map[uint64]bool     // call key -> about to re-run the entry after morestack
}

func newTracer(pid uint32, wallOffset int64) *tracer {
	return &tracer{pid: pid, wallOffset: wallOffset, open: map[uint64][]uint64{}, restarting: map[uint64]bool{}}
}

// callKey identifies the caller of a hit: the goroutine (R14) when registers were sampled,
// since goroutines move between threads; else the thread id (tagged with the top bit, which no
// user-space pointer has).
func callKey(s *sample) uint64 {
	if len(s.Regs) > 0 {
		return s.Regs[0]
	}
	return 1<<63 | uint64(s.Tid)
}

// pass reads every ring and handles, in time order, the hits old enough to be ordered
// (all of them when final).
func (t *tracer) pass(sets [numKinds]*cpuRings, final bool) error {
	cutoff := monoNow() - uint64(reorderWindow)
	ignoreLost := func(uint64) {} // a lost entry only means its return is dropped
	for k, set := range sets {
		keep := func(s *sample) {
			if s.Pid == t.pid {
				t.pending = append(t.pending, hit{kind: k, s: s})
			}
		}
		if err := set.read(keep, ignoreLost); err != nil {
			return err
		}
	}
	sort.SliceStable(t.pending, func(i, j int) bool { return t.pending[i].s.Time < t.pending[j].s.Time })
	n := 0
	for n < len(t.pending) && (final || t.pending[n].s.Time <= cutoff) {
		t.handle(t.pending[n])
		n++
	}
	t.pending = append(t.pending[:0], t.pending[n:]...)
	return nil
}

func (t *tracer) handle(h hit) {
	s := h.s
	key := callKey(s)
	switch h.kind {
	case kindRestart:
		t.restarting[key] = true
	case kindEntry:
		if t.restarting[key] { // the same call again, after morestack
			delete(t.restarting, key)
			return
		}
		stack := t.open[key]
		if len(stack) >= maxOpenDepth {
			stack = stack[1:]
		}
		t.open[key] = append(stack, s.Time)
		emit(entryLine{Event: "entry", Time: t.wall(s), Pid: s.Pid, Tid: s.Tid})
	case kindReturn:
		stack := t.open[key]
		if len(stack) == 0 {
			return // the call started before we attached
		}
		start := stack[len(stack)-1]
		if len(stack) == 1 {
			delete(t.open, key)
		} else {
			t.open[key] = stack[:len(stack)-1]
		}
		emit(returnLine{Event: "return", Time: t.wall(s), Pid: s.Pid, Tid: s.Tid, DurationNs: int64(s.Time - start)})
	}
}

func (t *tracer) wall(s *sample) string { return rfc3339(int64(s.Time) + t.wallOffset) }
