package main

// CPU profiling: task-clock sampling of every thread of the target, user stacks only.

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

type profileOptions struct {
	pid, hz         int
	duration, drain time.Duration
}

const (
	profileRingPages = 64 // 256 KiB per CPU: ~1 s of 1 kHz samples with deep stacks
	profileReadEvery = 200 * time.Millisecond
)

func profileAttr(hz int) unix.PerfEventAttr {
	return unix.PerfEventAttr{
		Type: unix.PERF_TYPE_SOFTWARE,
		// task-clock only runs while the thread runs, and the kernel turns a frequency on the
		// clock events into a fixed period of 1e9/F ns: F samples per busy thread-second.
		Config:      unix.PERF_COUNT_SW_TASK_CLOCK,
		Sample:      uint64(hz),
		Sample_type: sampleIP | sampleTID | sampleTime | sampleCallchain,
		Bits: unix.PerfBitDisabled | unix.PerfBitFreq | unix.PerfBitInherit |
			unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv | unix.PerfBitExcludeCallchainKernel,
	}
}

func runProfile(o profileOptions, stop <-chan os.Signal) error {
	if err := checkPid(o.pid); err != nil {
		return err
	}
	// A frequency above this sysctl makes perf_event_open fail with a bare EINVAL.
	if b, err := os.ReadFile("/proc/sys/kernel/perf_event_max_sample_rate"); err == nil {
		if max, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && o.hz > max {
			return fmt.Errorf("--hz %d is above kernel.perf_event_max_sample_rate (%d)", o.hz, max)
		}
	}
	sym, buildID, err := newSymbolizer(o.pid)
	if err != nil {
		return err
	}
	tids, err := listThreads(o.pid)
	if err != nil {
		return err
	}
	cpus, err := onlineCPUs()
	if err != nil {
		return fmt.Errorf("online cpus: %w", err)
	}

	// The kernel refuses to mmap an inherited event that is not bound to a CPU, so each thread
	// gets one event per CPU; inherit makes threads created later carry copies that write into
	// the same per-CPU rings.
	attr := profileAttr(o.hz)
	rings := newCPURings(profileRingPages, layout{sampleType: attr.Sample_type})
	defer rings.close()
	threads := 0
	for _, tid := range tids {
		opened := true
		for _, cpu := range cpus {
			a := attr
			fd, err := openEvent(&a, tid, cpu)
			if errors.Is(err, unix.ESRCH) { // the thread exited since /proc was listed
				opened = false
				break
			}
			if err != nil {
				return fmt.Errorf("perf_event_open pid %d (tid %d, cpu %d): %w", o.pid, tid, cpu, err)
			}
			if err := rings.add(fd, cpu); err != nil {
				return err
			}
		}
		if opened {
			threads++
		}
	}
	if threads == 0 {
		return fmt.Errorf("pid %d: no such process", o.pid)
	}
	if err := rings.enable(); err != nil {
		return err
	}
	emit(startedLine{Event: "started", Pid: o.pid, Threads: threads, Hz: o.hz})

	agg := newAggregator(uint32(o.pid), sym, buildID)
	read := func() error { return rings.read(agg.add, agg.addLost) }
	readTick := time.NewTicker(profileReadEvery)
	defer readTick.Stop()
	var drainC, endC <-chan time.Time
	if o.drain > 0 {
		t := time.NewTicker(o.drain)
		defer t.Stop()
		drainC = t.C
	} else {
		endC = time.After(o.duration)
	}
	for {
		select {
		case <-readTick.C:
			if err := read(); err != nil {
				return err
			}
		case <-drainC:
			if err := read(); err != nil {
				return err
			}
			emit(agg.flush())
		case <-endC:
			if err := read(); err != nil {
				return err
			}
			emit(agg.flush())
			return nil
		case <-stop:
			if err := read(); err != nil {
				return err
			}
			emit(agg.flush())
			return nil
		}
	}
}

// listThreads returns the thread ids in /proc/pid/task.
func listThreads(pid int) ([]int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil, fmt.Errorf("list threads of pid %d: %w", pid, err)
	}
	var tids []int
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}

// aggregator counts identical symbolised stacks between two samples lines.
type aggregator struct {
	pid         uint32
	sym         *symbolizer
	buildID     string
	counts      map[string]*stackLine
	total, lost uint64
}

func newAggregator(pid uint32, sym *symbolizer, buildID string) *aggregator {
	return &aggregator{pid: pid, sym: sym, buildID: buildID, counts: map[string]*stackLine{}}
}

func (a *aggregator) add(s *sample) {
	// inherit also follows fork()ed children, whose addresses mean nothing in our symbols.
	if s.Pid != a.pid {
		return
	}
	frames := make([]string, 0, len(s.Callchain))
	for _, ip := range s.Callchain {
		if ip >= contextMax { // PERF_CONTEXT_USER and friends
			continue
		}
		// The first address is the sampled IP itself; the rest are return addresses.
		frames = append(frames, a.sym.frame(ip, len(frames) > 0))
	}
	if len(frames) == 0 {
		frames = append(frames, a.sym.frame(s.IP, false))
	}
	key := strings.Join(frames, "\x00")
	if c, ok := a.counts[key]; ok {
		c.Count++
	} else {
		a.counts[key] = &stackLine{Frames: frames, Count: 1}
	}
	a.total++
}

func (a *aggregator) addLost(n uint64) { a.lost += n }

// flush returns the samples line for everything since the previous flush and starts afresh.
func (a *aggregator) flush() samplesLine {
	stacks := make([]stackLine, 0, len(a.counts))
	for _, c := range a.counts {
		stacks = append(stacks, *c)
	}
	sort.Slice(stacks, func(i, j int) bool {
		if stacks[i].Count != stacks[j].Count {
			return stacks[i].Count > stacks[j].Count
		}
		return strings.Join(stacks[i].Frames, "\x00") < strings.Join(stacks[j].Frames, "\x00")
	})
	line := samplesLine{
		Event: "samples", Time: rfc3339(time.Now().UnixNano()), BuildID: a.buildID,
		Total: a.total, Lost: a.lost, Stacks: stacks,
	}
	a.counts, a.total, a.lost = map[string]*stackLine{}, 0, 0
	return line
}
