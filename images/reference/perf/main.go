// coral-ref-perf is the reference agent's profiling and tracing helper. The agent spawns it as a
// child process; it talks to the target process through perf_event_open(2) directly, or
// watches the HTTP/1.x traffic of its network namespace through an AF_PACKET socket, and
// reports JSON lines on stdout:
//
//	coral-ref-perf profile --pid P --hz F (--duration D | --drain I)
//	coral-ref-perf uprobe  --pid P --binary PATH --offset O [--size S]
//	coral-ref-perf httpcap [--exclude-ports P1,P2,...]
//	coral-ref-perf functions --binary PATH
//
// Any failure is one {"event":"error","error":"..."} line and exit status 1.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type startedLine struct {
	Event   string `json:"event"`
	Pid     int    `json:"pid"`
	Threads int    `json:"threads"`
	Hz      int    `json:"hz"`
}

type samplesLine struct {
	Event   string      `json:"event"`
	Time    string      `json:"time"`
	BuildID string      `json:"buildId"`
	Total   uint64      `json:"total"`
	Lost    uint64      `json:"lost"`
	Stacks  []stackLine `json:"stacks"`
}

type stackLine struct {
	Frames []string `json:"frames"`
	Count  uint64   `json:"count"`
}

type attachedLine struct {
	Event         string   `json:"event"`
	Pid           int      `json:"pid"`
	EntryOffset   uint64   `json:"entryOffset"`
	ReturnOffsets []uint64 `json:"returnOffsets"`
	Events        int      `json:"events"`
}

type entryLine struct {
	Event string `json:"event"`
	Time  string `json:"time"`
	Pid   uint32 `json:"pid"`
	Tid   uint32 `json:"tid"`
}

type returnLine struct {
	Event      string `json:"event"`
	Time       string `json:"time"`
	Pid        uint32 `json:"pid"`
	Tid        uint32 `json:"tid"`
	DurationNs int64  `json:"durationNs"`
}

type capStartedLine struct {
	Event      string `json:"event"`
	Interfaces string `json:"interfaces"`
}

type httpLine struct {
	Event      string `json:"event"`
	Time       string `json:"time"`
	ServerPort uint16 `json:"serverPort"`
	ClientPort uint16 `json:"clientPort"`
	Method     string `json:"method"`
	Path       string `json:"path"`
	Status     int    `json:"status"`
	DurationNs int64  `json:"durationNs"`
}

type errorLine struct {
	Event string `json:"event"`
	Error string `json:"error"`
}

var stdoutMu sync.Mutex

// emit writes one JSON line with a single unbuffered write, so the parent sees it at once.
// (A variable so that tests can capture the lines.)
var emit = func(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // our own line types always marshal
	}
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	os.Stdout.Write(append(b, '\n'))
}

func fail(err error) {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	emit(errorLine{Event: "error", Error: msg})
	os.Exit(1)
}

func rfc3339(unixNs int64) string {
	return time.Unix(0, unixNs).UTC().Format(time.RFC3339Nano)
}

// stopSignals delivers SIGTERM/SIGINT; registered before any event is opened so that a stop
// during setup still ends with a clean close.
func stopSignals() chan os.Signal {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	return ch
}

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: coral-ref-perf profile|uprobe|httpcap|functions [flags]"))
	}
	var err error
	switch os.Args[1] {
	case "profile":
		err = profileMain(os.Args[2:])
	case "uprobe":
		err = uprobeMain(os.Args[2:])
	case "httpcap":
		err = httpcapMain(os.Args[2:])
	case "functions":
		err = functionsMain(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (want profile, uprobe, httpcap or functions)", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

// newFlags returns a flag set that reports problems through the error line, not stderr.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func profileMain(args []string) error {
	fs := newFlags("profile")
	var o profileOptions
	fs.IntVar(&o.pid, "pid", 0, "target process id")
	fs.IntVar(&o.hz, "hz", 0, "samples per second of CPU time, per thread")
	fs.DurationVar(&o.duration, "duration", 0, "profile once for this long, then exit")
	fs.DurationVar(&o.drain, "drain", 0, "emit samples every interval until SIGTERM/SIGINT")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case o.pid <= 0:
		return errors.New("profile: --pid must be a positive process id")
	case o.hz <= 0:
		return errors.New("profile: --hz must be positive")
	case (o.duration > 0) == (o.drain > 0):
		return errors.New("profile: give exactly one of --duration or --drain (positive)")
	}
	return runProfile(o, stopSignals())
}

func uprobeMain(args []string) error {
	fs := newFlags("uprobe")
	var o uprobeOptions
	offsetSet := false
	fs.IntVar(&o.pid, "pid", 0, "target process id")
	fs.StringVar(&o.binary, "binary", "", "file to probe, e.g. /proc/P/exe")
	fs.Func("offset", "file offset of the function's first instruction (decimal)", func(s string) error {
		v, err := strconv.ParseUint(s, 10, 64)
		o.offset, offsetSet = v, err == nil
		return err
	})
	fs.Func("size", "function size in bytes (enables return probes on amd64)", func(s string) error {
		v, err := strconv.ParseUint(s, 10, 32)
		o.size = int(v)
		return err
	})
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case o.pid <= 0:
		return errors.New("uprobe: --pid must be a positive process id")
	case o.binary == "":
		return errors.New("uprobe: --binary is required")
	case !offsetSet:
		return errors.New("uprobe: --offset is required")
	}
	return runUprobe(o, stopSignals())
}

func httpcapMain(args []string) error {
	fs := newFlags("httpcap")
	exclude := "4317,4318,4319,4320,9000,9001"
	fs.StringVar(&exclude, "exclude-ports", exclude, "server ports whose traffic is ignored (comma-separated)")
	requireKprobes := fs.Bool("require-kprobes", false, "need what Beyla's process watcher needs (tracefs and kprobes); without it, report and capture nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ports, err := parsePorts(exclude)
	if err != nil {
		return fmt.Errorf("httpcap: --exclude-ports: %v", err)
	}
	stop := stopSignals()
	if *requireKprobes {
		if msg := processWatcherError(); msg != "" {
			emit(capStartedLine{Event: "started"})
			emit(watcherErrorLine{Event: "watcher-error", Error: msg})
			<-stop // Beyla stays up with nothing instrumented.
			return nil
		}
	}
	return runHTTPCap(httpcapOptions{exclude: ports}, stop)
}

// checkPid fails early, with a plain message, for a process that does not exist.
func checkPid(pid int) error {
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("pid %d: no such process", pid)
		}
		return fmt.Errorf("pid %d: %v", pid, err)
	}
	return nil
}
