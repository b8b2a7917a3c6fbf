package main

import (
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// objdumpProbes runs `go tool objdump -s '^name$'` and returns, relative to the function start,
// the offsets of its RETs and of its jumps back to the start.
func objdumpProbes(t *testing.T, bin, name string, start uint64) (rets, restarts []int) {
	t.Helper()
	out, err := exec.Command("go", "tool", "objdump", "-s", "^"+regexp.QuoteMeta(name)+"$", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool objdump: %v\n%s", err, out)
	}
	// Lines look like: "  main.go:37\t\t0x4a2f9d\t\tc3\t\t\tRET\t\t\t"
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[1], "0x") {
			continue
		}
		addr, err := strconv.ParseUint(f[1][2:], 16, 64)
		if err != nil {
			t.Fatalf("objdump line %q: %v", line, err)
		}
		rel := int(addr - start)
		switch {
		case f[3] == "RET":
			rets = append(rets, rel)
		case f[3] == "JMP" && len(f) > 4 && f[4] == name+"(SB)":
			restarts = append(restarts, rel)
		}
	}
	return rets, restarts
}

// TestScanFunctionMatchesObjdump compares the RETs (and restart jumps) found in the bytes of
// real functions with what the Go toolchain's disassembler prints.
func TestScanFunctionMatchesObjdump(t *testing.T) {
	file, err := os.Open(targetBin)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, name := range []string{"main.work", "main.branchy", "main.spin", "main.main", "fmt.Fprintln", "runtime.mallocgc"} {
		t.Run(name, func(t *testing.T) {
			fn := findFunc(t, targetBin, name)
			code := make([]byte, fn.size)
			if _, err := file.ReadAt(code, int64(fn.offset)); err != nil {
				t.Fatal(err)
			}
			got, err := scanFunction(code)
			if err != nil {
				t.Fatal(err)
			}
			wantRets, wantRestarts := objdumpProbes(t, targetBin, name, fn.addr)
			if len(wantRets) == 0 {
				t.Fatalf("objdump shows no RET in %s", name)
			}
			if !reflect.DeepEqual(got.rets, wantRets) {
				t.Errorf("RETs: got %v, objdump %v", got.rets, wantRets)
			}
			if !reflect.DeepEqual(got.restarts, wantRestarts) {
				t.Errorf("restart jumps: got %v, objdump %v", got.restarts, wantRestarts)
			}
		})
	}
}

// TestScanFunctionBytes uses the bytes of a compiled `func work() { time.Sleep(20ms) }`.
func TestScanFunctionBytes(t *testing.T) {
	code := []byte{
		0x49, 0x3b, 0x66, 0x10, // CMPQ SP, 0x10(R14)
		0x76, 0x18, // JBE +0x18 (morestack block)
		0x55,             // PUSHQ BP
		0x48, 0x89, 0xe5, // MOVQ SP, BP
		0x48, 0x83, 0xec, 0x08, // SUBQ $8, SP
		0xb8, 0x00, 0x2d, 0x31, 0x01, // MOVL $20000000, AX
		0xe8, 0x88, 0x9d, 0xfd, 0xff, // CALL time.Sleep
		0x48, 0x83, 0xc4, 0x08, // ADDQ $8, SP
		0x5d,       // POPQ BP
		0xc3,       // RET (+29)
		0x66, 0x90, // NOPW
		0xe8, 0xdb, 0xb8, 0xfd, 0xff, // CALL runtime.morestack_noctxt
		0xeb, 0xd9, // JMP to +0 (+37)
	}
	got, err := scanFunction(code)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.rets, []int{29}) || !reflect.DeepEqual(got.restarts, []int{37}) {
		t.Fatalf("got rets %v restarts %v, want [29] [37]", got.rets, got.restarts)
	}
	// A size that cuts an instruction short must fail rather than guess.
	if _, err := scanFunction(code[:3]); err == nil {
		t.Fatal("truncated instruction decoded without error")
	}
}
