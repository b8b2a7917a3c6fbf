package main

// Integration tests: the built coral-ref-perf against a running testdata/target. They need
// perf_event_open to be allowed (root or CAP_PERFMON/CAP_SYS_ADMIN) and skip when it is not.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stacksWith reports whether some stack of a samples line has the frame name.
func stacksWith(m map[string]any, name string) bool {
	stacks, _ := m["stacks"].([]any)
	for _, s := range stacks {
		frames, _ := s.(map[string]any)["frames"].([]any)
		for _, f := range frames {
			if f == name {
				return true
			}
		}
	}
	return false
}

func TestProfileDuration(t *testing.T) {
	tg := startTarget(t, targetBin)
	if r := tg.do(t, "spin 6000", 5*time.Second); !strings.HasPrefix(r, "spinning ") {
		t.Fatalf("target said %q", r)
	}
	h := startHelper(t, "profile", "--pid", fmt.Sprint(tg.pid), "--hz", "99", "--duration", "2s")
	started := expectEvent(t, h.out.next(t, 5*time.Second), "started")
	if started["pid"] != float64(tg.pid) || started["hz"] != float64(99) || started["threads"].(float64) < 1 {
		t.Errorf("started line %v", started)
	}
	m := expectEvent(t, h.out.next(t, 10*time.Second), "samples")
	total := m["total"].(float64)
	if total < 0.5*198 || total > 1.5*198 {
		t.Errorf("total %v samples, want 198 ± 50%%", total)
	}
	if !stacksWith(m, "main.spin") {
		t.Errorf("no stack with main.spin: %v", m["stacks"])
	}
	if id, _ := m["buildId"].(string); len(id) < 16 {
		t.Errorf("buildId %q", id)
	}
	if _, err := time.Parse(time.RFC3339Nano, m["time"].(string)); err != nil {
		t.Error(err)
	}
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("helper exit: %v", err)
	}
}

// TestProfileDrainPIE drains every 400 ms from a PIE target until SIGTERM, while threads made
// after the events were opened burn CPU: inherit must cover them, so the samples add up to the
// process's CPU time.
func TestProfileDrainPIE(t *testing.T) {
	const hz = 199
	tg := startTarget(t, targetPIEBin)
	before := threadIDs(t, tg.pid)
	h := startHelper(t, "profile", "--pid", fmt.Sprint(tg.pid), "--hz", fmt.Sprint(hz), "--drain", "400ms")
	expectEvent(t, h.out.next(t, 5*time.Second), "started")
	cpu0 := processCPU(t, tg.pid)
	r := tg.do(t, "spin 1000 6", 5*time.Second) // more than the threads it has
	if !strings.HasPrefix(r, "spinning ") {
		t.Fatalf("target said %q", r)
	}
	newThreads := 0
	for _, tid := range strings.Fields(r)[1:] {
		if !slices.Contains(before, tid) {
			newThreads++
		}
	}
	if newThreads == 0 {
		t.Fatalf("no spinning thread is new: before %v, spinning %s", before, r)
	}
	time.Sleep(1200 * time.Millisecond)
	cpu := processCPU(t, tg.pid) - cpu0
	h.cmd.Process.Signal(syscall.SIGTERM)
	var lines []map[string]any
	var total float64
	for l := range h.out {
		m := expectEvent(t, l, "samples")
		lines = append(lines, m)
		total += m["total"].(float64)
	}
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("helper exit after SIGTERM: %v", err)
	}
	if len(lines) < 3 {
		t.Fatalf("%d samples lines, want at least 3 (two intervals and the final one)", len(lines))
	}
	spin := false
	for _, m := range lines {
		spin = spin || stacksWith(m, "main.spin")
	}
	if !spin {
		t.Errorf("no main.spin stack in %v", lines)
	}
	want := cpu.Seconds() * hz
	t.Logf("%v samples for %v of CPU time (%.0f expected)", total, cpu, want)
	if total < 0.75*want || total > 1.25*want+20 {
		t.Errorf("%v samples for %v of CPU time, want about %.0f", total, cpu, want)
	}
}

func threadIDs(t *testing.T, pid int) []string {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatal(err)
	}
	var tids []string
	for _, e := range ents {
		tids = append(tids, e.Name())
	}
	return tids
}

// processCPU is the user+system time of all threads of pid (clock ticks of 10 ms).
func processCPU(t *testing.T, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.Atoi(f[11]) // fields 14 and 15 of stat(5), counted after the comm
	stime, _ := strconv.Atoi(f[12])
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func TestUprobeWork(t *testing.T) {
	tg := startTarget(t, targetBin)
	fn := findFunc(t, targetBin, "main.work")
	h := startHelper(t, "uprobe", "--pid", fmt.Sprint(tg.pid), "--binary", fmt.Sprintf("/proc/%d/exe", tg.pid),
		"--offset", fmt.Sprint(fn.offset), "--size", fmt.Sprint(fn.size))
	att := expectEvent(t, h.out.next(t, 5*time.Second), "attached")
	wantRets, _ := objdumpProbes(t, targetBin, "main.work", fn.addr)
	var rets []float64
	for _, r := range att["returnOffsets"].([]any) {
		rets = append(rets, r.(float64)-float64(fn.offset))
	}
	if att["entryOffset"] != float64(fn.offset) || len(rets) != len(wantRets) || rets[0] != float64(wantRets[0]) {
		t.Fatalf("attached %v, want return probes at +%v", att, wantRets)
	}

	begin := time.Now()
	if r := tg.do(t, "work 5", 5*time.Second); r != "done 5" {
		t.Fatalf("target said %q", r)
	}
	time.Sleep(300 * time.Millisecond) // the helper reads its rings every <= 50 ms
	h.cmd.Process.Signal(syscall.SIGTERM)
	var entries, returns int
	for l := range h.out {
		m := decode(t, l)
		if m["pid"] != float64(tg.pid) {
			t.Errorf("pid in %s", l)
		}
		at, err := time.Parse(time.RFC3339Nano, m["time"].(string))
		if err != nil || at.Before(begin.Add(-time.Second)) || at.After(time.Now()) {
			t.Errorf("time in %s: not within this test's minute (%v)", l, err)
		}
		switch m["event"] {
		case "entry":
			entries++
		case "return":
			returns++
			d := time.Duration(m["durationNs"].(float64))
			if d < 20*time.Millisecond || d > 40*time.Millisecond {
				t.Errorf("duration %v, want 20-40 ms", d)
			}
		default:
			t.Errorf("unexpected line %s", l)
		}
	}
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("helper exit after SIGTERM: %v", err)
	}
	if entries != 5 || returns != 5 {
		t.Fatalf("%d entries and %d returns, want 5 and 5", entries, returns)
	}
}

// TestErrors checks that failures are one error line and exit status 1.
func TestErrors(t *testing.T) {
	const noPid = "1073741823" // above any pid_max
	cases := [][]string{
		{"profile", "--pid", noPid, "--hz", "99", "--duration", "1s"},
		{"uprobe", "--pid", noPid, "--binary", targetBin, "--offset", "0"},
		{"uprobe", "--pid", "1", "--binary", "/nonexistent/file", "--offset", "0"},
		{"profile", "--pid", "1", "--hz", "99"},
		{"httpcap", "--exclude-ports", "4317,x"},
		{"httpcap", "--flush", "1s"},
		{"frobnicate"},
	}
	for _, args := range cases {
		out, err := exec.Command(helperBin, args...).Output()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("%v: want exit status 1, got %v", args, err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 1 {
			t.Errorf("%v: want one line, got %q", args, out)
			continue
		}
		m := decode(t, lines[0])
		msg, _ := m["error"].(string)
		if m["event"] != "error" || msg == "" {
			t.Errorf("%v: got %s", args, lines[0])
		}
		if slices.Contains(args, noPid) && !strings.Contains(msg, "no such process") {
			t.Errorf("%v: error %q does not name the missing process", args, msg)
		}
	}
}
