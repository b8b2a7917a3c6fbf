package main

// Shared test setup: TestMain builds the helper and the test target (testdata/target, plain
// and PIE) once into a temporary directory.

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	helperBin    string // the built coral-ref-perf
	targetBin    string // testdata/target
	targetPIEBin string // testdata/target, -buildmode=pie
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "coral-ref-perf-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	helperBin = filepath.Join(dir, "coral-ref-perf")
	targetBin = filepath.Join(dir, "target")
	targetPIEBin = filepath.Join(dir, "target-pie")
	builds := [][]string{
		{"build", "-trimpath", "-o", helperBin, "."},
		{"build", "-o", targetBin, "./testdata/target"},
		{"build", "-buildmode=pie", "-o", targetPIEBin, "./testdata/target"},
	}
	for _, args := range builds {
		cmd := exec.Command("go", args...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go %s: %v\n%s", strings.Join(args, " "), err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// lineReader delivers a process's output lines through a channel, so reads can time out.
type lineReader chan string

func newLineReader(r io.Reader) lineReader {
	ch := make(lineReader, 1024)
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			ch <- sc.Text()
		}
		close(ch)
	}()
	return ch
}

// next returns the next line, or fails the test after timeout or at EOF.
func (lr lineReader) next(t *testing.T, timeout time.Duration) string {
	t.Helper()
	select {
	case l, ok := <-lr:
		if !ok {
			t.Fatal("unexpected end of output")
		}
		return l
	case <-time.After(timeout):
		t.Fatalf("no output line within %v", timeout)
	}
	return ""
}

// target is a running testdata/target process.
type target struct {
	cmd    *exec.Cmd
	pid    int
	spinPC uint64 // runtime address of main.spin, as printed by the target
	stdin  io.WriteCloser
	out    lineReader
}

func startTarget(t *testing.T, bin string) *target {
	t.Helper()
	cmd := exec.Command(bin)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tg := &target{cmd: cmd, pid: cmd.Process.Pid, stdin: stdin, out: newLineReader(stdout)}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := tg.out.next(t, 5*time.Second)
	pc, ok := strings.CutPrefix(ready, "ready ")
	if !ok {
		t.Fatalf("target said %q", ready)
	}
	if tg.spinPC, err = strconv.ParseUint(pc, 16, 64); err != nil {
		t.Fatal(err)
	}
	return tg
}

// do sends one command and returns the target's reply.
func (tg *target) do(t *testing.T, cmd string, timeout time.Duration) string {
	t.Helper()
	if _, err := fmt.Fprintln(tg.stdin, cmd); err != nil {
		t.Fatal(err)
	}
	return tg.out.next(t, timeout)
}

// funcInfo locates a function in an ELF file: link-time address, file offset and size.
type funcInfo struct {
	addr, offset, size uint64
}

func findFunc(t *testing.T, path, name string) funcInfo {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if s.Name != name || elf.ST_TYPE(s.Info) != elf.STT_FUNC {
			continue
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD && s.Value >= p.Vaddr && s.Value < p.Vaddr+p.Filesz {
				return funcInfo{addr: s.Value, offset: s.Value - p.Vaddr + p.Off, size: s.Size}
			}
		}
	}
	t.Fatalf("%s not found in %s", name, path)
	return funcInfo{}
}

// helper is a running coral-ref-perf.
type helper struct {
	cmd *exec.Cmd
	out lineReader
}

func startHelper(t *testing.T, args ...string) *helper {
	t.Helper()
	cmd := exec.Command(helperBin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return &helper{cmd: cmd, out: newLineReader(stdout)}
}

// decode parses a JSON line into a generic map.
func decode(t *testing.T, line string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("not a JSON line: %q: %v", line, err)
	}
	return m
}

// expectEvent decodes line, skips the test when the kernel refused perf_event_open, and
// checks the event name.
func expectEvent(t *testing.T, line, event string) map[string]any {
	t.Helper()
	m := decode(t, line)
	if m["event"] == "error" {
		msg, _ := m["error"].(string)
		if strings.Contains(msg, "perf_event_open") &&
			(strings.Contains(msg, "operation not permitted") || strings.Contains(msg, "permission denied")) {
			t.Skipf("perf_event_open refused here: %s", msg)
		}
	}
	if m["event"] != event {
		t.Fatalf("want a %q line, got %s", event, line)
	}
	return m
}
