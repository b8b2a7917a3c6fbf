package main

// The passive HTTP/1.x tracker behind httpcap: IPv4/IPv6 TCP segment parsing, and pairing of
// request lines with status lines per TCP flow. It sees captured packets only; it never talks to
// the applications.

import (
	"bytes"
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

const (
	maxFlows     = 4096        // tracked TCP flows (only those that carried a request)
	maxPending   = 64          // unanswered requests per flow
	flowIdleNs   = int64(60e9) // a flow silent for this long is forgotten
	sweepEveryNs = int64(1e9)  // how often idle flows are looked for
	ipProtoTCP   = unix.IPPROTO_TCP
)

// TCP flag bits.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpACK = 0x10
)

// capPacket is one captured packet: network-layer bytes (possibly cut at the snap length) and
// what the packet socket said about it.
type capPacket struct {
	data    []byte
	ts      int64  // capture time, unix ns
	pkttype uint8  // PACKET_HOST, PACKET_OUTGOING, ...
	hatype  uint16 // ARPHRD_* of the interface
}

// segment is the part of a TCP segment the tracker needs.
type segment struct {
	src, dst   netip.AddrPort
	seq        uint32
	flags      uint8
	payloadLen int    // from the IP lengths, so link padding and capture truncation don't count
	payload    []byte // the captured part of the payload
}

// parseSegment decodes an IPv4 or IPv6 packet carrying TCP. Fragments, unknown IPv6 extension
// headers and malformed headers are refused.
func parseSegment(b []byte) (segment, bool) {
	var s segment
	if len(b) < 1 {
		return s, false
	}
	var l4 []byte
	var total int // bytes of TCP header + payload, as the IP header says
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			return s, false
		}
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 || len(b) < ihl || b[9] != ipProtoTCP {
			return s, false
		}
		if binary.BigEndian.Uint16(b[6:8])&0x3fff != 0 { // MF flag or a fragment offset
			return s, false
		}
		totLen := int(binary.BigEndian.Uint16(b[2:4]))
		if totLen == 0 { // BIG TCP GSO packet (> 64 KiB): the length is in the skb only
			totLen = len(b)
		}
		if totLen < ihl {
			return s, false
		}
		s.src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[12:16])), 0)
		s.dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[16:20])), 0)
		l4, total = b[ihl:], totLen-ihl
	case 6:
		if len(b) < 40 {
			return s, false
		}
		s.src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[8:24])), 0)
		s.dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[24:40])), 0)
		total = int(binary.BigEndian.Uint16(b[4:6]))
		if total == 0 { // jumbo/BIG TCP
			total = len(b) - 40
		}
		next, off := b[6], 40
		for next != ipProtoTCP {
			if len(b) < off+8 {
				return s, false
			}
			var n int
			switch next {
			case unix.IPPROTO_HOPOPTS, unix.IPPROTO_ROUTING, unix.IPPROTO_DSTOPTS:
				n = (int(b[off+1]) + 1) * 8
			case unix.IPPROTO_AH:
				n = (int(b[off+1]) + 2) * 4
			default: // fragments, ESP, no next header, anything else
				return s, false
			}
			next, off, total = b[off], off+n, total-n
		}
		if off > len(b) {
			return s, false
		}
		l4 = b[off:]
	default:
		return s, false
	}
	if len(l4) < 20 {
		return s, false
	}
	doff := int(l4[12]>>4) * 4
	if doff < 20 || len(l4) < doff || total < doff {
		return s, false
	}
	s.src = netip.AddrPortFrom(s.src.Addr(), binary.BigEndian.Uint16(l4[0:2]))
	s.dst = netip.AddrPortFrom(s.dst.Addr(), binary.BigEndian.Uint16(l4[2:4]))
	s.seq = binary.BigEndian.Uint32(l4[4:8])
	s.flags = l4[13]
	s.payloadLen = total - doff
	s.payload = l4[doff:min(len(l4), total)]
	return s, true
}

var httpMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"}

// parseRequestLine accepts "<METHOD> <target> HTTP/1.<d>\r\n" at the start of p, whole.
func parseRequestLine(p []byte) (method, target string, ok bool) {
	sp := bytes.IndexByte(p[:min(len(p), 8)], ' ')
	if sp < 3 {
		return "", "", false
	}
	for _, m := range httpMethods {
		if string(p[:sp]) == m {
			method = m // the constant, so no allocation
		}
	}
	if method == "" {
		return "", "", false
	}
	end := bytes.Index(p, []byte("\r\n"))
	if end < 0 {
		return "", "", false
	}
	rest := p[sp+1 : end]
	v := bytes.LastIndexByte(rest, ' ')
	if v < 1 || bytes.IndexByte(rest[:v], ' ') >= 0 || !isHTTP1(rest[v+1:]) {
		return "", "", false
	}
	return method, string(rest[:v]), true
}

// parseStatusLine accepts "HTTP/1.<d> <3 digits>" followed by a space or CR (or the segment's
// end) at the start of p.
func parseStatusLine(p []byte) (int, bool) {
	if len(p) < 12 || !isHTTP1(p[:8]) || p[8] != ' ' || (len(p) > 12 && p[12] != ' ' && p[12] != '\r') {
		return 0, false
	}
	status := 0
	for _, c := range p[9:12] {
		if c < '0' || c > '9' {
			return 0, false
		}
		status = status*10 + int(c-'0')
	}
	return status, true
}

func isHTTP1(v []byte) bool {
	return len(v) == 8 && string(v[:7]) == "HTTP/1." && v[7] >= '0' && v[7] <= '9'
}

// flowKey names a TCP connection independently of direction: a is the smaller endpoint.
type flowKey struct{ a, b netip.AddrPort }

// keyOf returns the flow key of s and its direction: 0 when s goes from a to b, 1 otherwise.
func keyOf(s segment) (flowKey, int) {
	if s.src.Compare(s.dst) <= 0 {
		return flowKey{s.src, s.dst}, 0
	}
	return flowKey{s.dst, s.src}, 1
}

type pendingRequest struct {
	ts             int64
	method, target string
}

type flow struct {
	reqDir  int // direction of the requests (towards the server)
	pending []pendingRequest
	next    [2]uint32 // per direction, the sequence number after the newest payload seen
	known   [2]bool   // whether next is set
	fin     [2]bool
	last    int64 // capture time of the latest segment
}

// tracker pairs requests and responses; emit receives each completed exchange.
type tracker struct {
	exclude   map[uint16]bool
	flows     map[flowKey]*flow
	lastSweep int64
	emit      func(httpLine)
}

func newTracker(exclude map[uint16]bool, emit func(httpLine)) *tracker {
	return &tracker{exclude: exclude, flows: map[flowKey]*flow{}, emit: emit}
}

func (t *tracker) handle(p capPacket) {
	// On loopback the kernel hands every packet to packet sockets twice, as it leaves
	// (PACKET_OUTGOING) and as it comes back in (PACKET_HOST): keep the incoming copy.
	if p.hatype == unix.ARPHRD_LOOPBACK && p.pkttype == unix.PACKET_OUTGOING {
		return
	}
	s, ok := parseSegment(p.data)
	if !ok {
		return
	}
	if p.ts-t.lastSweep >= sweepEveryNs {
		t.sweep(p.ts)
	}
	key, dir := keyOf(s)
	f := t.flows[key]
	if f != nil && (s.flags&tcpRST != 0 || s.flags&(tcpSYN|tcpACK) == tcpSYN) {
		// Reset (pending requests are dropped, never answered with an invented status), or a new
		// connection on the 4-tuple of one whose end was missed.
		delete(t.flows, key)
		return
	}
	if f != nil {
		f.last = p.ts
	}
	if s.payloadLen > 0 && !f.duplicate(dir, s) {
		f = t.payload(f, key, dir, s, p)
	}
	if f != nil && s.flags&tcpFIN != 0 {
		// A closing server answers nothing more; a closing client may still get its answers.
		f.fin[dir] = true
		if dir != f.reqDir || f.fin[1-dir] || len(f.pending) == 0 {
			delete(t.flows, key)
		}
	}
}

// duplicate reports whether s repeats payload already seen in its direction (a retransmission,
// or the same packet captured twice on two interfaces), and otherwise records it.
func (f *flow) duplicate(dir int, s segment) bool {
	if f == nil {
		return false
	}
	if f.known[dir] && int32(s.seq-f.next[dir]) < 0 {
		return true
	}
	f.next[dir], f.known[dir] = s.seq+uint32(s.payloadLen), true
	return false
}

// payload handles a new payload: a request line starts tracking, a status line answers the
// oldest pending request. It returns the flow, which a request may have created.
func (t *tracker) payload(f *flow, key flowKey, dir int, s segment, p capPacket) *flow {
	ts := p.ts
	if method, target, ok := parseRequestLine(s.payload); ok {
		// A request leaving through a non-loopback interface goes to a server outside this
		// network namespace: not served here.
		if t.exclude[s.dst.Port()] || p.pkttype == unix.PACKET_OUTGOING {
			return f
		}
		if f == nil {
			f = t.newFlow(key, ts)
			f.duplicate(dir, s) // records its sequence number
		}
		if len(f.pending) == 0 {
			f.reqDir = dir
		}
		if dir != f.reqDir || len(f.pending) >= maxPending {
			// Dropping the newest keeps FIFO pairing right: its answer then finds no request.
			return f
		}
		f.pending = append(f.pending, pendingRequest{ts: ts, method: method, target: target})
		return f
	}
	if f == nil || dir == f.reqDir || len(f.pending) == 0 {
		return f
	}
	status, ok := parseStatusLine(s.payload)
	if !ok || (status >= 100 && status < 200 && status != 101) { // 1xx other than 101 are interim
		return f
	}
	req := f.pending[0]
	f.pending = f.pending[1:]
	server, client := s.src, s.dst
	t.emit(httpLine{
		Event:      "http",
		Time:       rfc3339(req.ts),
		ServerPort: server.Port(),
		ClientPort: client.Port(),
		Method:     req.method,
		Path:       req.target,
		Status:     status,
		DurationNs: max(ts-req.ts, 0),
	})
	return f
}

// newFlow starts tracking key; at the cap, the least recently active flow makes room.
func (t *tracker) newFlow(key flowKey, ts int64) *flow {
	if len(t.flows) >= maxFlows {
		t.sweep(ts)
	}
	if len(t.flows) >= maxFlows {
		var oldest flowKey
		var at int64 = 1<<63 - 1
		for k, f := range t.flows {
			if f.last < at {
				oldest, at = k, f.last
			}
		}
		delete(t.flows, oldest)
	}
	f := &flow{last: ts}
	t.flows[key] = f
	return f
}

// sweep forgets flows idle for longer than flowIdleNs.
func (t *tracker) sweep(now int64) {
	t.lastSweep = now
	for k, f := range t.flows {
		if now-f.last > flowIdleNs {
			delete(t.flows, k)
		}
	}
}
