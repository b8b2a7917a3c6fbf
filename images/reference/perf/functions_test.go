package main

import (
	"debug/elf"
	"strings"
	"testing"
)

// The DWARF function table of testdata/target: every main function of its symbol table, at the
// file offset its symbol maps to, with its source file and line.
func TestDWARFFunctionsOfTarget(t *testing.T) {
	for _, bin := range []string{targetBin, targetPIEBin} {
		fns, err := dwarfFunctions(bin)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]functionEntry{}
		for _, fn := range fns {
			byName[fn.Name] = fn
		}
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		syms, err := f.Symbols()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		ef, _ := elf.Open(bin)
		defer ef.Close()
		seen := 0
		for _, s := range syms {
			if elf.ST_TYPE(s.Info) != elf.STT_FUNC || !strings.HasPrefix(s.Name, "main.") {
				continue
			}
			fn, ok := byName[s.Name]
			want, _ := addrToFileOffset(ef, s.Value)
			if !ok || fn.Offset != want {
				t.Errorf("%s: %s at offset %d, want %d (listed %v)", bin, s.Name, fn.Offset, want, ok)
				continue
			}
			if s.Name == "main.main" && (!strings.HasSuffix(fn.File, "main.go") || fn.Line <= 0) {
				t.Errorf("%s: main.main has file %q line %d", bin, fn.File, fn.Line)
			}
			seen++
		}
		if seen == 0 || len(fns) < 1000 {
			t.Errorf("%s: %d main functions checked, %d listed in all", bin, seen, len(fns))
		}
	}
}

func TestDWARFFunctionsOfMissingBinary(t *testing.T) {
	if _, err := dwarfFunctions(helperBin + ".missing"); err == nil {
		t.Error("a missing binary gives an error")
	}
}
