package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The watcher's verdict over fake kernel trees: no tracefs, tracefs without kprobes, a kprobe PMU.
func TestProcessWatcherError(t *testing.T) {
	root := t.TempDir()
	old := kernelRoot
	kernelRoot = root
	defer func() { kernelRoot = old }()
	write := func(path, text string) {
		full := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("proc/self/mounts", "sysfs /sys sysfs ro 0 0\n")
	if got := processWatcherError(); !strings.HasSuffix(got, "neither debugfs nor tracefs are mounted") {
		t.Errorf("without tracefs: %q", got)
	}
	write("proc/self/mounts", "sysfs /sys sysfs ro 0 0\nnodev /sys/kernel/tracing tracefs rw 0 0\n")
	if got := processWatcherError(); !strings.HasSuffix(got, "open /sys/kernel/tracing/kprobe_events: no such file or directory") {
		t.Errorf("tracefs without kprobes: %q", got)
	}
	write("sys/bus/event_source/devices/kprobe/type", "6\n")
	if got := processWatcherError(); got != "" {
		t.Errorf("with a kprobe PMU: %q", got)
	}
}
