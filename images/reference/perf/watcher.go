package main

// What Beyla's process watcher needs from the kernel (contract observability.md §10 #34): it attaches
// kprobes (sys_bind, …) through tracefs, so without tracefs (or debugfs) mounted in the agent's
// container, or on a kernel without kprobes, it cannot load, Beyla logs
// `Unable to load eBPF watcher for process events` and instruments nothing, yet keeps running.
// httpcap --require-kprobes checks the same facts and then behaves the same way.

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

type watcherErrorLine struct {
	Event string `json:"event"`
	Error string `json:"error"`
}

// kernelRoot prefixes the paths read (tests point it at a fake tree).
var kernelRoot = "/"

// tracefsDir is where tracefs is reachable in this mount namespace, or "" if neither tracefs nor
// debugfs (with its tracing directory) is mounted.
func tracefsDir() string {
	f, err := os.Open(filepath.Join(kernelRoot, "proc/self/mounts"))
	if err != nil {
		return ""
	}
	defer f.Close()
	debugfs := ""
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 3 {
			continue
		}
		switch fields[2] {
		case "tracefs":
			return fields[1]
		case "debugfs":
			debugfs = filepath.Join(fields[1], "tracing")
		}
	}
	return debugfs
}

func exists(path string) bool {
	_, err := os.Stat(filepath.Join(kernelRoot, path))
	return err == nil
}

// processWatcherError is what Beyla reports when its watcher cannot attach, or "" when it can.
func processWatcherError() string {
	const prefix = `instrumenting function "sys_bind": setting kprobe: `
	dir := tracefsDir()
	if dir == "" {
		return prefix + "neither debugfs nor tracefs are mounted"
	}
	if exists("sys/bus/event_source/devices/kprobe") || exists(filepath.Join(dir, "kprobe_events")) {
		return ""
	}
	return prefix + fmt.Sprintf("open %s: no such file or directory", filepath.Join(dir, "kprobe_events"))
}
