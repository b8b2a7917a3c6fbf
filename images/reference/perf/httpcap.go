package main

// httpcap: a passive HTTP/1.x observer. One AF_PACKET socket sees the TCP segments of every
// interface of the network namespace; the tracker (httpflow.go) pairs request lines with
// status lines and reports each exchange as a JSON line.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

type httpcapOptions struct {
	exclude map[uint16]bool
}

const (
	capSnapLen   = 8192    // bytes kept of each packet, from the IP header: room for long request lines
	capRcvBuf    = 8 << 20 // socket receive buffer, against drops during bursts
	capPollMs    = 200     // how often a quiet loop looks at the stop channel
	capMaxBatch  = 256     // packets read per poll wakeup before the stop channel is checked again
	capStopDrain = 4096    // packets still read after SIGTERM/SIGINT
)

// capFilter is a classic BPF program that keeps IPv4 TCP and all IPv6 (whose TCP header may sit
// behind extension headers), cut to capSnapLen; everything else never reaches user space. In a
// SOCK_DGRAM packet socket, offset 0 is the network header.
var capFilter = []unix.SockFilter{
	{Code: unix.BPF_LD | unix.BPF_B | unix.BPF_ABS, K: 0},                  // A = first byte
	{Code: unix.BPF_ALU | unix.BPF_AND | unix.BPF_K, K: 0xf0},              // A = version << 4
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: 0x60, Jt: 3},       // IPv6: keep
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: 0x40, Jf: 3},       // not IPv4: drop
	{Code: unix.BPF_LD | unix.BPF_B | unix.BPF_ABS, K: 9},                  // A = IPv4 protocol
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: ipProtoTCP, Jf: 1}, // not TCP: drop
	{Code: unix.BPF_RET | unix.BPF_K, K: capSnapLen},
	{Code: unix.BPF_RET | unix.BPF_K, K: 0},
}

func parsePorts(s string) (map[uint16]bool, error) {
	ports := map[uint16]bool{}
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := strconv.ParseUint(f, 10, 16)
		if err != nil || p == 0 {
			return nil, fmt.Errorf("bad port %q", f)
		}
		ports[uint16(p)] = true
	}
	return ports, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// openCapture opens the packet socket: protocol 0 first (it receives nothing), filter and
// options set, then bound to ETH_P_ALL on every interface (ifindex 0), so no unfiltered packet
// is ever queued.
func openCapture() (int, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket AF_PACKET: %w", err)
	}
	prog := unix.SockFprog{Len: uint16(len(capFilter)), Filter: &capFilter[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("attach packet filter: %w", err)
	}
	// Kernel capture times, the same clock for requests and responses.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("SO_TIMESTAMPNS: %w", err)
	}
	// FORCE needs CAP_NET_ADMIN; without it the plain option is capped by net.core.rmem_max.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, capRcvBuf) != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, capRcvBuf)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL)}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("bind AF_PACKET: %w", err)
	}
	return fd, nil
}

func runHTTPCap(o httpcapOptions, stop <-chan os.Signal) error {
	fd, err := openCapture()
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	emit(capStartedLine{Event: "started", Interfaces: "any"})

	t := newTracker(o.exclude, func(l httpLine) { emit(l) })
	buf := make([]byte, capSnapLen)
	oob := make([]byte, unix.CmsgSpace(int(unsafe.Sizeof(unix.Timespec{}))))
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		select {
		case <-stop:
			// What was queued before the signal is still reported (bounded: traffic goes on).
			return readPackets(fd, buf, oob, t, capStopDrain)
		default:
		}
		if _, err := unix.Poll(pfd, capPollMs); err != nil && err != unix.EINTR {
			return fmt.Errorf("poll: %w", err)
		}
		if err := readPackets(fd, buf, oob, t, capMaxBatch); err != nil {
			return err
		}
	}
}

// readPackets hands queued packets to t without blocking, up to limit of them.
func readPackets(fd int, buf, oob []byte, t *tracker, limit int) error {
	for range limit {
		size, oobn, _, from, err := unix.Recvmsg(fd, buf, oob, unix.MSG_DONTWAIT)
		if errors.Is(err, unix.EAGAIN) {
			return nil
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("recvmsg AF_PACKET: %w", err)
		}
		p := capPacket{data: buf[:size], ts: capTime(oob[:oobn])}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok {
			p.pkttype, p.hatype = ll.Pkttype, ll.Hatype
		}
		t.handle(p)
	}
	return nil
}

// capTime returns the SCM_TIMESTAMPNS capture time, or the time of reading without one.
func capTime(oob []byte) int64 {
	msgs, _ := unix.ParseSocketControlMessage(oob)
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
			sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
			nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
			return sec*1e9 + nsec
		}
	}
	return time.Now().UnixNano()
}
