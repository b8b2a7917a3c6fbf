package main

// Symbolisation of user addresses against the target's executable, and its build id.

import (
	"bufio"
	"debug/elf"
	"debug/gosym"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

type symbol struct {
	start, end uint64 // [start, end) in link-time addresses
	name       string
}

// symtab is a sorted, non-overlapping-enough list of function symbols for binary search.
type symtab struct {
	syms []symbol
}

// loadSymtab collects STT_FUNC symbols from .symtab and .dynsym. A Go binary stripped with
// -ldflags=-s has no .symtab but still carries .gopclntab, which names every Go function.
func loadSymtab(f *elf.File) *symtab {
	var syms []symbol
	add := func(list []elf.Symbol) {
		for _, s := range list {
			if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 && s.Section != elf.SHN_UNDEF {
				syms = append(syms, symbol{start: s.Value, end: s.Value + s.Size, name: s.Name})
			}
		}
	}
	st, _ := f.Symbols()
	add(st)
	if len(syms) == 0 {
		syms = append(syms, pclntabSymbols(f)...)
	}
	dyn, _ := f.DynamicSymbols()
	add(dyn)
	return newSymtab(syms)
}

func pclntabSymbols(f *elf.File) []symbol {
	pcln, text := f.Section(".gopclntab"), f.Section(".text")
	if pcln == nil || text == nil {
		return nil
	}
	data, err := pcln.Data()
	if err != nil {
		return nil
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return nil
	}
	out := make([]symbol, 0, len(tab.Funcs))
	for _, fn := range tab.Funcs {
		out = append(out, symbol{start: fn.Entry, end: fn.End, name: fn.Name})
	}
	return out
}

// newSymtab sorts the symbols; a sized symbol wins over a zero-sized marker at the same
// address, and zero-sized ones extend to the next symbol.
func newSymtab(syms []symbol) *symtab {
	sort.SliceStable(syms, func(i, j int) bool {
		if syms[i].start != syms[j].start {
			return syms[i].start < syms[j].start
		}
		return syms[i].end-syms[i].start > syms[j].end-syms[j].start
	})
	out := syms[:0]
	for _, s := range syms {
		if len(out) > 0 && out[len(out)-1].start == s.start {
			continue
		}
		out = append(out, s)
	}
	for i := range out {
		if out[i].end == out[i].start {
			if i+1 < len(out) {
				out[i].end = out[i+1].start
			} else {
				out[i].end = out[i].start + 1
			}
		}
	}
	return &symtab{syms: out}
}

// lookup finds the function containing addr (link-time address).
func (t *symtab) lookup(addr uint64) (string, bool) {
	i := sort.Search(len(t.syms), func(i int) bool { return t.syms[i].start > addr }) - 1
	if i < 0 || addr >= t.syms[i].end {
		return "", false
	}
	return t.syms[i].name, true
}

// symbolizer turns runtime addresses of one process into function names.
type symbolizer struct {
	tab   *symtab
	bias  uint64 // runtime address - link-time address (non-zero for PIE)
	cache map[frameKey]string
}

type frameKey struct {
	addr uint64
	ret  bool
}

// newSymbolizer reads /proc/pid/exe and, for PIE, its load bias from /proc/pid/maps.
func newSymbolizer(pid int) (*symbolizer, string, error) {
	exe := fmt.Sprintf("/proc/%d/exe", pid)
	f, err := elf.Open(exe)
	if err != nil {
		return nil, "", fmt.Errorf("read symbols of %s: %w", exe, err)
	}
	defer f.Close()
	s := &symbolizer{tab: loadSymtab(f), cache: map[frameKey]string{}}
	if f.Type == elf.ET_DYN {
		path, _ := os.Readlink(exe)
		var ino uint64
		var st syscall.Stat_t
		if syscall.Stat(exe, &st) == nil {
			ino = st.Ino
		}
		maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
		if err != nil {
			return nil, "", fmt.Errorf("read load address: %w", err)
		}
		if s.bias, err = loadBias(f, string(maps), path, ino); err != nil {
			return nil, "", fmt.Errorf("load address of %s: %w", exe, err)
		}
	}
	return s, buildID(f), nil
}

// frame names one callchain entry. Return addresses point after the call instruction, which
// may already belong to the next function (or line), so they are looked up at addr-1.
func (s *symbolizer) frame(addr uint64, isReturn bool) string {
	k := frameKey{addr, isReturn}
	if name, ok := s.cache[k]; ok {
		return name
	}
	var name string
	ok := false
	if isReturn {
		name, ok = s.tab.lookup(addr - s.bias - 1)
	}
	if !ok {
		// The sampled IP itself, or a signal frame's "return address", which is the first
		// byte of the sigreturn trampoline rather than the byte after a call.
		name, ok = s.tab.lookup(addr - s.bias)
	}
	if !ok {
		name = "0x" + strconv.FormatUint(addr, 16)
	}
	// Assembly functions carry their ABI in the symbol table ("sha256.blockSHANI.abi0"); profiles
	// name the function as Go source does, as Coral's frames do.
	name = strings.TrimSuffix(name, ".abi0")
	s.cache[k] = name
	return name
}

// loadBias finds where the executable segment of f is mapped, from /proc/pid/maps text.
// The executable's mappings are recognised by path, or by inode when paths differ (mount
// namespaces, deleted files).
func loadBias(f *elf.File, maps, exePath string, exeIno uint64) (uint64, error) {
	exePath = strings.TrimSuffix(exePath, " (deleted)")
	sc := bufio.NewScanner(strings.NewReader(maps))
	for sc.Scan() {
		// start-end perms offset dev inode [path]
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 || !strings.Contains(fields[1], "x") {
			continue
		}
		path := ""
		if len(fields) >= 6 {
			path = strings.TrimSuffix(strings.Join(fields[5:], " "), " (deleted)")
		}
		ino, _ := strconv.ParseUint(fields[4], 10, 64)
		if !(path != "" && path == exePath) && !(exeIno != 0 && ino == exeIno) {
			continue
		}
		startStr, _, _ := strings.Cut(fields[0], "-")
		start, err1 := strconv.ParseUint(startStr, 16, 64)
		off, err2 := strconv.ParseUint(fields[2], 16, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		for _, p := range f.Progs {
			if p.Type != elf.PT_LOAD || p.Flags&elf.PF_X == 0 {
				continue
			}
			// The kernel maps the page holding p_offset at the page holding p_vaddr, so the
			// mapping's file offset lies in [p_offset rounded down, p_offset + p_filesz).
			pg := uint64(os.Getpagesize())
			if off >= p.Off&^(pg-1) && off < p.Off+p.Filesz {
				return start - p.Vaddr + p.Off - off, nil
			}
		}
	}
	return 0, fmt.Errorf("no executable mapping of %s in /proc/pid/maps", exePath)
}

// buildID returns the GNU build-id note as hex, else the Go build id note (.note.go.buildid)
// hex-encoded, else "".
func buildID(f *elf.File) string {
	var blobs [][]byte
	for _, sec := range f.Sections {
		if sec.Type == elf.SHT_NOTE {
			if b, err := sec.Data(); err == nil {
				blobs = append(blobs, b)
			}
		}
	}
	if len(blobs) == 0 { // no section headers: fall back to the program headers
		for _, p := range f.Progs {
			if p.Type == elf.PT_NOTE {
				b := make([]byte, p.Filesz)
				if _, err := p.ReadAt(b, 0); err == nil {
					blobs = append(blobs, b)
				}
			}
		}
	}
	goID := ""
	for _, b := range blobs {
		for _, n := range parseNotes(b, f.ByteOrder) {
			switch {
			case n.name == "GNU" && n.typ == 3: // NT_GNU_BUILD_ID
				return hex.EncodeToString(n.desc)
			case n.name == "Go" && n.typ == 4 && goID == "": // ELF_NOTE_GOBUILDID_TAG
				goID = hex.EncodeToString(n.desc)
			}
		}
	}
	return goID
}

type note struct {
	name string
	typ  uint32
	desc []byte
}

// parseNotes splits an ELF note blob: {namesz, descsz, type, name (4-aligned), desc (4-aligned)}.
func parseNotes(b []byte, bo binary.ByteOrder) []note {
	var out []note
	align := func(n uint32) uint64 { return (uint64(n) + 3) &^ 3 }
	for len(b) >= 12 {
		namesz, descsz, typ := bo.Uint32(b), bo.Uint32(b[4:]), bo.Uint32(b[8:])
		b = b[12:]
		if align(namesz)+align(descsz) > uint64(len(b)) {
			break
		}
		name := strings.TrimRight(string(b[:namesz]), "\x00")
		b = b[align(namesz):]
		out = append(out, note{name: name, typ: typ, desc: b[:descsz]})
		b = b[align(descsz):]
	}
	return out
}
