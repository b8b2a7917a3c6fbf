package main

// Finding where a Go function returns. Go moves goroutine stacks, so uretprobes (which patch
// the return address on the stack) are unsafe for Go code; a plain uprobe on each RET sees
// every return without touching the stack.
//
// The same scan finds the jumps back to the function's first instruction. Go's prologue
// compares SP with the stack guard and, when the stack must grow (or the goroutine is asked to
// yield), calls runtime.morestack and then jumps back to the start: the entry probe fires a
// second time for the same call. A probe on that jump tells the two apart.

import (
	"fmt"

	"golang.org/x/arch/x86/x86asm"
)

type funcScan struct {
	rets     []int // offsets of RET instructions, relative to the function start
	restarts []int // offsets of jumps whose target is the function start
}

// scanFunction decodes code (x86-64, starting at a function's first instruction) instruction
// by instruction.
//
// A byte that does not decode is an error rather than skipped: resynchronising by guessing
// could put a probe in the middle of an instruction, which would corrupt the traced program.
func scanFunction(code []byte) (funcScan, error) {
	var fs funcScan
	for pc := 0; pc < len(code); {
		inst, err := x86asm.Decode(code[pc:], 64)
		if err == nil && inst.Op == 0 {
			// x86asm reports a truncated or invalid instruction after a prefix as the lone prefix.
			err = fmt.Errorf("truncated or invalid instruction % x", code[pc:min(pc+15, len(code))])
		}
		if err != nil {
			return funcScan{}, fmt.Errorf("decode instruction at +%d: %v", pc, err)
		}
		switch inst.Op {
		case x86asm.RET:
			fs.rets = append(fs.rets, pc)
		case x86asm.JMP:
			if rel, ok := inst.Args[0].(x86asm.Rel); ok && pc+inst.Len+int(rel) == 0 {
				fs.restarts = append(fs.restarts, pc)
			}
		}
		pc += inst.Len
	}
	return fs, nil
}
