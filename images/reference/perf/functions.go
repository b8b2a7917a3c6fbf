package main

// functions: the function table of an executable read from its DWARF, as Coral's agent indexes a
// connected service that has no SDK (contract observability.md §3.2 GetFunctions: "other apps → the
// agent parses DWARF of /proc/<pid>/root/…", with file path and line). One subprogram with code
// (DW_AT_low_pc) per function; its offset is the ELF file offset of its first instruction.

import (
	"debug/dwarf"
	"debug/elf"
	"errors"
	"fmt"
	"sort"
)

type functionEntry struct {
	Name   string `json:"name"`
	File   string `json:"file,omitempty"`
	Line   int64  `json:"line,omitempty"`
	Offset uint64 `json:"offset"`
}

type functionsLine struct {
	Event     string          `json:"event"`
	Functions []functionEntry `json:"functions"`
}

func functionsMain(args []string) error {
	fs := newFlags("functions")
	binary := fs.String("binary", "", "executable to read")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *binary == "" {
		return errors.New("--binary is required")
	}
	fns, err := dwarfFunctions(*binary)
	if err != nil {
		return err
	}
	emit(functionsLine{Event: "functions", Functions: fns})
	return nil
}

// dwarfFunctions lists every DWARF subprogram with code, sorted by name.
func dwarfFunctions(path string) ([]functionEntry, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := f.DWARF()
	if err != nil {
		return nil, fmt.Errorf("%s: no DWARF: %w", path, err)
	}
	var out []functionEntry
	r := d.Reader()
	var files []*dwarf.LineFile
	for {
		e, err := r.Next()
		if err != nil {
			return nil, fmt.Errorf("%s: reading DWARF: %w", path, err)
		}
		if e == nil {
			break
		}
		switch e.Tag {
		case dwarf.TagCompileUnit:
			files = nil
			if lr, err := d.LineReader(e); err == nil && lr != nil {
				files = lr.Files()
			}
		case dwarf.TagSubprogram:
			name, _ := e.Val(dwarf.AttrName).(string)
			low, ok := e.Val(dwarf.AttrLowpc).(uint64)
			if name == "" || !ok {
				continue
			}
			offset, ok := addrToFileOffset(f, low)
			if !ok {
				continue
			}
			fn := functionEntry{Name: name, Offset: offset}
			if i, ok := e.Val(dwarf.AttrDeclFile).(int64); ok && i >= 0 && int(i) < len(files) && files[i] != nil {
				fn.File = files[i].Name
			}
			if line, ok := e.Val(dwarf.AttrDeclLine).(int64); ok {
				fn.Line = line
			}
			out = append(out, fn)
		}
		if e.Tag != dwarf.TagCompileUnit && e.Children {
			r.SkipChildren()
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// addrToFileOffset maps a virtual address to its file offset through the PT_LOAD segment holding it.
func addrToFileOffset(f *elf.File, addr uint64) (uint64, bool) {
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && addr >= p.Vaddr && addr < p.Vaddr+p.Filesz {
			return addr - p.Vaddr + p.Off, true
		}
	}
	return 0, false
}
