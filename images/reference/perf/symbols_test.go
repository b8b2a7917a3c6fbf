package main

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestSymtabLookup(t *testing.T) {
	tab := newSymtab([]symbol{
		{start: 0x3000, end: 0x3100, name: "c"},
		{start: 0x1000, end: 0x1010, name: "a"},
		{start: 0x2000, end: 0x2000, name: "marker"}, // zero-sized: runs to the next symbol
		{start: 0x2000, end: 0x2040, name: "b"},      // sized wins at the same address
		{start: 0x5000, end: 0x5000, name: "last"},
	})
	cases := []struct {
		addr uint64
		want string
	}{
		{0x0fff, ""}, {0x1000, "a"}, {0x100f, "a"}, {0x1010, ""},
		{0x2000, "b"}, {0x203f, "b"}, {0x2040, ""},
		{0x3000, "c"}, {0x30ff, "c"}, {0x3100, ""},
		{0x5000, "last"}, {0x5001, ""},
	}
	for _, c := range cases {
		got, ok := tab.lookup(c.addr)
		if c.want == "" && ok || c.want != "" && got != c.want {
			t.Errorf("lookup(%#x) = %q, %v; want %q", c.addr, got, ok, c.want)
		}
	}
}

func TestSymbolizerFrames(t *testing.T) {
	s := &symbolizer{
		tab:   newSymtab([]symbol{{start: 0x1000, end: 0x1100, name: "main.f"}, {start: 0x1100, end: 0x1200, name: "main.g"}}),
		bias:  0x7000_0000,
		cache: map[frameKey]string{},
	}
	// A return address right after a call at the end of main.f belongs to main.f.
	if got := s.frame(0x7000_1100, true); got != "main.f" {
		t.Errorf("return address: got %q", got)
	}
	if got := s.frame(0x7000_1100, false); got != "main.g" {
		t.Errorf("sampled IP: got %q", got)
	}
	if got := s.frame(0x1234, false); got != "0x1234" {
		t.Errorf("unknown address: got %q", got)
	}
}

func TestLoadBias(t *testing.T) {
	f, err := elf.Open(targetPIEBin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var text *elf.Prog
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 {
			text = p
		}
	}
	const base = 0x55d0_0000_0000
	start := base + text.Vaddr&^0xfff
	maps := fmt.Sprintf("%x-%x r-xp %08x 00:2a 4242 /opt/app (deleted)\n", start, start+0x1000, text.Off&^0xfff) +
		"7ffd0000-7ffd1000 r-xp 00000000 00:00 0 [vdso]\n"
	for _, c := range []struct {
		path string
		ino  uint64
	}{{"/opt/app", 0}, {"/elsewhere/app", 4242}} {
		bias, err := loadBias(f, maps, c.path, c.ino)
		if err != nil || bias != base {
			t.Errorf("loadBias(%q, %d) = %#x, %v; want %#x", c.path, c.ino, bias, err, uint64(base))
		}
	}
	if _, err := loadBias(f, maps, "/other", 1); err == nil {
		t.Error("no error for an executable that is not mapped")
	}
}

// TestSymbolizeRunningTarget resolves the runtime address of main.spin (printed by the target
// itself) in a plain and a PIE process.
func TestSymbolizeRunningTarget(t *testing.T) {
	for _, bin := range []string{targetBin, targetPIEBin} {
		t.Run(bin[strings.LastIndex(bin, "/")+1:], func(t *testing.T) {
			tg := startTarget(t, bin)
			s, id, err := newSymbolizer(tg.pid)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.frame(tg.spinPC, false); got != "main.spin" {
				t.Errorf("frame(spin entry) = %q", got)
			}
			if got := s.frame(tg.spinPC+8, true); got != "main.spin" {
				t.Errorf("frame(return into spin) = %q", got)
			}
			// Go 1.24+ writes a GNU build-id derived from the Go build id.
			out, err := exec.Command("readelf", "-n", bin).Output()
			if err == nil && !strings.Contains(string(out), id) || len(id) < 16 {
				t.Errorf("build id %q not in readelf -n output", id)
			}
		})
	}
}

func TestBuildIDNotes(t *testing.T) {
	note := func(name string, typ uint32, desc string) []byte {
		b := binary.LittleEndian.AppendUint32(nil, uint32(len(name)+1))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(desc)))
		b = binary.LittleEndian.AppendUint32(b, typ)
		b = append(b, name...)
		for len(b)%4 != 0 || len(b) < 12+len(name)+1 {
			b = append(b, 0)
		}
		b = append(b, desc...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	blob := append(note("Go", 4, "abc/def"), note("GNU", 3, "\x01\x02\xff")...)
	notes := parseNotes(blob, binary.LittleEndian)
	if len(notes) != 2 || notes[0].name != "Go" || string(notes[0].desc) != "abc/def" ||
		notes[1].name != "GNU" || notes[1].typ != 3 || string(notes[1].desc) != "\x01\x02\xff" {
		t.Fatalf("parseNotes = %+v", notes)
	}
	// A Go binary linked without a GNU note: the Go build id, hex-encoded.
	out := t.TempDir() + "/nognu"
	cmd := exec.Command("go", "build", "-ldflags=-B none", "-o", out, "./testdata/target")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cannot build without a GNU build id: %v\n%s", err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	goID, err := exec.Command("go", "tool", "buildid", out).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := buildID(f), fmt.Sprintf("%x", strings.TrimSpace(string(goID))); got != want {
		t.Errorf("buildID = %q, want hex of Go build id %q", got, want)
	}
}

// TestStrippedGoBinary: without .symtab, function names come from .gopclntab.
func TestStrippedGoBinary(t *testing.T) {
	out := t.TempDir() + "/stripped"
	cmd := exec.Command("go", "build", "-ldflags=-s -w", "-o", out, "./testdata/target")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Symbols(); err == nil {
		t.Fatal("binary still has a symbol table")
	}
	tg := startTarget(t, out)
	s, _, err := newSymbolizer(tg.pid)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.frame(tg.spinPC+3, false); got != "main.spin" {
		t.Errorf("frame in stripped binary = %q", got)
	}
}
