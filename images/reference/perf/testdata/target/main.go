// A tiny target for coral-ref-perf's tests. It prints "ready <pc of main.spin in hex>" and then
// obeys one command per stdin line:
//
//	spin <ms> [n]  burn CPU in main.spin for ms milliseconds on n goroutines (default 1), each
//	               locked to its own OS thread and keeping it afterwards, so that n threads are
//	               busy (replies "spinning <tid>...")
//	work <k>    call main.work (a 20 ms sleep) k times in a row (replies "done <k>")
//
// It exits when stdin closes.
package main

import (
	"bufio"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var sink uint64

//go:noinline
func spin(d time.Duration) {
	deadline := time.Now().Add(d)
	x := uint64(1)
	for time.Now().Before(deadline) {
		for i := 0; i < 1_000_000; i++ { // keep nearly all samples inside spin itself
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	sink += x
}

//go:noinline
func work() {
	time.Sleep(20 * time.Millisecond)
}

// branchy has several return paths, so the compiler emits several RETs.
//
//go:noinline
func branchy(x int) int {
	if x < 0 {
		return -1
	}
	if x == 0 {
		return 0
	}
	s := 0
	for i := 0; i < x; i++ {
		s += i * i
	}
	return s
}

func main() {
	fmt.Printf("ready %x\n", reflect.ValueOf(spin).Pointer())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		arg, arg2, _ := strings.Cut(arg, " ")
		n, _ := strconv.Atoi(arg)
		switch cmd {
		case "spin":
			threads, _ := strconv.Atoi(arg2)
			tids := make(chan int)
			for i := 0; i < max(threads, 1); i++ {
				go func() {
					runtime.LockOSThread() // never unlocked: the thread stays this goroutine's
					tids <- syscall.Gettid()
					spin(time.Duration(n) * time.Millisecond)
					select {}
				}()
			}
			reply := "spinning"
			for i := 0; i < max(threads, 1); i++ {
				reply += fmt.Sprint(" ", <-tids)
			}
			fmt.Println(reply)
		case "work":
			for i := 0; i < n; i++ {
				work()
			}
			fmt.Println("done", n)
		case "branchy":
			fmt.Println("branchy", branchy(n))
		}
	}
}
