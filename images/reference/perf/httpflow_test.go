package main

// Unit tests of the HTTP tracker with synthetic IPv4/IPv6 TCP packets.

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// tcpPacket builds an IP packet (v4 or v6 after src's address) carrying one TCP segment.
// ipv4Opts adds that many 4-byte words of IPv4 options; v6Ext prepends a hop-by-hop header.
func tcpPacket(src, dst netip.AddrPort, seq uint32, flags uint8, payload string, ipv4Opts int, v6Ext bool) []byte {
	tcp := make([]byte, 20, 20+len(payload))
	binary.BigEndian.PutUint16(tcp[0:], src.Port())
	binary.BigEndian.PutUint16(tcp[2:], dst.Port())
	binary.BigEndian.PutUint32(tcp[4:], seq)
	tcp[12] = 5 << 4
	tcp[13] = flags
	tcp = append(tcp, payload...)
	if src.Addr().Is4() {
		ip := make([]byte, 20+4*ipv4Opts)
		ip[0] = 0x40 | byte(5+ipv4Opts)
		binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)+len(tcp)))
		binary.BigEndian.PutUint16(ip[6:], 0x4000) // DF
		ip[8], ip[9] = 64, unix.IPPROTO_TCP
		a, b := src.Addr().As4(), dst.Addr().As4()
		copy(ip[12:], a[:])
		copy(ip[16:], b[:])
		for i := 20; i < len(ip); i++ {
			ip[i] = 1 // NOP options
		}
		return append(append(ip, tcp...), 0, 0, 0, 0) // plus link padding, which must not count
	}
	ip := make([]byte, 40)
	ip[0] = 0x60
	ip[6], ip[7] = unix.IPPROTO_TCP, 64
	if v6Ext {
		ip[6] = unix.IPPROTO_HOPOPTS
		ip = append(ip, unix.IPPROTO_TCP, 0, 1, 4, 0, 0, 0, 0) // next header, length 0, PadN
	}
	binary.BigEndian.PutUint16(ip[4:], uint16(len(ip)-40+len(tcp)))
	a, b := src.Addr().As16(), dst.Addr().As16()
	copy(ip[8:], a[:])
	copy(ip[24:], b[:])
	return append(ip, tcp...)
}

// testConn is a client-server TCP connection whose segments are built in order.
type testConn struct {
	client, server netip.AddrPort
	cseq, sseq     uint32
	ipv4Opts       int
	v6Ext          bool
}

func newTestConn(client, server string) *testConn {
	return &testConn{client: netip.MustParseAddrPort(client), server: netip.MustParseAddrPort(server),
		cseq: 1000, sseq: 0xfffffff0} // the server's sequence numbers wrap
}

func (c *testConn) fromClient(flags uint8, payload string) []byte {
	p := tcpPacket(c.client, c.server, c.cseq, flags|tcpACK, payload, c.ipv4Opts, c.v6Ext)
	c.cseq += uint32(len(payload))
	return p
}

func (c *testConn) fromServer(flags uint8, payload string) []byte {
	p := tcpPacket(c.server, c.client, c.sseq, flags|tcpACK, payload, c.ipv4Opts, c.v6Ext)
	c.sseq += uint32(len(payload))
	return p
}

type testTracker struct {
	*tracker
	lines []httpLine
	now   int64
}

func newTestTracker(exclude ...uint16) *testTracker {
	ex := map[uint16]bool{}
	for _, p := range exclude {
		ex[p] = true
	}
	tt := &testTracker{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano()}
	tt.tracker = newTracker(ex, func(l httpLine) { tt.lines = append(tt.lines, l) })
	return tt
}

// feed hands packets to the tracker as received on an Ethernet interface, 1 ms apart.
func (tt *testTracker) feed(pkts ...[]byte) {
	for _, p := range pkts {
		tt.now += 1e6
		tt.handle(capPacket{data: p, ts: tt.now, pkttype: unix.PACKET_HOST, hatype: unix.ARPHRD_ETHER})
	}
}

// summary renders the lines as "METHOD path status duration" for compact comparisons.
func (tt *testTracker) summary() string {
	var s []string
	for _, l := range tt.lines {
		s = append(s, fmt.Sprintf("%s %s %d %v", l.Method, l.Path, l.Status, time.Duration(l.DurationNs)))
	}
	return strings.Join(s, "; ")
}

func expectSummary(t *testing.T, tt *testTracker, want string) {
	t.Helper()
	if got := tt.summary(); got != want {
		t.Errorf("exchanges %q, want %q", got, want)
	}
}

func TestPairingIPv4AndIPv6(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    *testConn
	}{
		{"ipv4", newTestConn("127.0.0.1:51234", "127.0.0.1:8090")},
		{"ipv4 with options", func() *testConn {
			c := newTestConn("10.0.0.2:51234", "10.0.0.1:8090")
			c.ipv4Opts = 2
			return c
		}()},
		{"ipv6", newTestConn("[::1]:51234", "[::1]:8090")},
		{"ipv6 hop-by-hop", func() *testConn {
			c := newTestConn("[fd00::2]:51234", "[fd00::1]:8090")
			c.v6Ext = true
			return c
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tt := newTestTracker()
			c := tc.c
			tt.feed(c.fromClient(tcpSYN, ""), c.fromServer(tcpSYN, ""))
			tt.feed(c.fromClient(0, "GET /burn?ms=10 HTTP/1.1\r\nHost: x\r\n\r\n"))
			reqAt := tt.now
			tt.feed(c.fromServer(0, ""), c.fromServer(0, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
			if len(tt.lines) != 1 {
				t.Fatalf("lines %+v, want one", tt.lines)
			}
			want := httpLine{Event: "http", Time: rfc3339(reqAt), ServerPort: 8090, ClientPort: 51234,
				Method: "GET", Path: "/burn?ms=10", Status: 200, DurationNs: 2e6}
			if tt.lines[0] != want {
				t.Errorf("got %+v, want %+v", tt.lines[0], want)
			}
		})
	}
}

func TestKeepAliveFIFO(t *testing.T) {
	tt := newTestTracker()
	c := newTestConn("127.0.0.1:40000", "127.0.0.1:8080")
	tt.feed(
		c.fromClient(0, "GET /a HTTP/1.1\r\n\r\n"),
		c.fromServer(0, "HTTP/1.1 200 OK\r\n\r\n"),
		c.fromClient(0, "POST /b HTTP/1.1\r\nExpect: 100-continue\r\n\r\n"),
		c.fromServer(0, "HTTP/1.1 100 Continue\r\n\r\n"), // interim: not the answer
		c.fromClient(0, "body"),
		c.fromServer(0, "HTTP/1.1 201 Created\r\n\r\n"),
		// Pipelined: three requests, then the answers in order.
		c.fromClient(0, "GET /c HTTP/1.0\r\n\r\n"),
		c.fromClient(0, "DELETE /d HTTP/1.1\r\n\r\n"),
		c.fromClient(0, "HEAD /e HTTP/1.1\r\n\r\n"),
		c.fromServer(0, "HTTP/1.0 404 Not Found\r\nContent-Length: 14\r\n\r\n"),
		c.fromServer(0, "page not found"), // body: answers nothing
		c.fromServer(0, "HTTP/1.1 200 OK\r\n\r\n"),
	)
	expectSummary(t, tt, "GET /a 200 1ms; POST /b 201 3ms; GET /c 404 3ms; DELETE /d 200 4ms")
	tt.feed(c.fromServer(0, "HTTP/1.1 500\r\n\r\n")) // no reason phrase
	expectSummary(t, tt, "GET /a 200 1ms; POST /b 201 3ms; GET /c 404 3ms; DELETE /d 200 4ms; HEAD /e 500 4ms")
}

func TestResetDropsPending(t *testing.T) {
	tt := newTestTracker()
	c := newTestConn("[::1]:40000", "[::1]:8080")
	tt.feed(
		c.fromClient(0, "GET /one HTTP/1.1\r\n\r\n"),
		c.fromClient(0, "GET /two HTTP/1.1\r\n\r\n"),
		c.fromServer(tcpRST, ""),
		c.fromServer(0, "HTTP/1.1 200 OK\r\n\r\n"), // no request left to answer
	)
	expectSummary(t, tt, "")
	if len(tt.flows) != 0 {
		t.Errorf("%d flows left after the reset", len(tt.flows))
	}
	// A new connection on the same 4-tuple starts afresh.
	c.cseq, c.sseq = 5000, 9000
	tt.feed(c.fromClient(tcpSYN, ""), c.fromClient(0, "GET /three HTTP/1.1\r\n\r\n"), c.fromServer(0, "HTTP/1.1 204 No Content\r\n\r\n"))
	expectSummary(t, tt, "GET /three 204 1ms")
}

func TestFinEndsFlow(t *testing.T) {
	tt := newTestTracker()
	// A client that half-closes after its request still gets its answer, with the server's FIN
	// in the same segment.
	c := newTestConn("127.0.0.1:40000", "127.0.0.1:8080")
	tt.feed(c.fromClient(tcpFIN, "GET /close HTTP/1.0\r\n\r\n"), c.fromServer(tcpFIN, "HTTP/1.0 200 OK\r\n\r\nbye"))
	// A server that closes with a request pending: the request is dropped.
	d := newTestConn("127.0.0.1:40001", "127.0.0.1:8080")
	tt.feed(d.fromClient(0, "GET /lost HTTP/1.1\r\n\r\n"), d.fromServer(tcpFIN, ""), d.fromServer(0, "HTTP/1.1 200 OK\r\n\r\n"))
	expectSummary(t, tt, "GET /close 200 1ms")
	if len(tt.flows) != 0 {
		t.Errorf("%d flows left after FINs", len(tt.flows))
	}
}

func TestExcludedPorts(t *testing.T) {
	tt := newTestTracker(4317, 9000)
	for _, port := range []string{"4317", "9000", "8080"} {
		c := newTestConn("127.0.0.1:40000", "127.0.0.1:"+port)
		tt.feed(c.fromClient(0, "POST /v1/traces HTTP/1.1\r\n\r\n"), c.fromServer(0, "HTTP/1.1 200 OK\r\n\r\n"))
	}
	expectSummary(t, tt, "POST /v1/traces 200 1ms")
	if tt.lines[0].ServerPort != 8080 || len(tt.flows) != 1 {
		t.Errorf("line %+v, %d flows tracked", tt.lines[0], len(tt.flows))
	}
}

// TestClientCallsIgnored: requests this namespace sends out (PACKET_OUTGOING on a
// non-loopback interface) are served elsewhere.
func TestClientCallsIgnored(t *testing.T) {
	tt := newTestTracker()
	c := newTestConn("10.0.0.2:40000", "10.0.0.9:8080")
	tt.handle(capPacket{data: c.fromClient(0, "GET /remote HTTP/1.1\r\n\r\n"), ts: tt.now, pkttype: unix.PACKET_OUTGOING, hatype: unix.ARPHRD_ETHER})
	tt.feed(c.fromServer(0, "HTTP/1.1 200 OK\r\n\r\n"))
	expectSummary(t, tt, "")
}

func TestNonHTTPIgnored(t *testing.T) {
	tt := newTestTracker()
	c := newTestConn("127.0.0.1:40000", "127.0.0.1:5432")
	tt.feed(
		c.fromServer(0, "HTTP/1.1 200 OK\r\n\r\n"), // a response without a request
		c.fromClient(0, "\x00\x00\x00\x08\x04\xd2\x16\x2f"),
		c.fromClient(0, "get / HTTP/1.1\r\n\r\n"),
		c.fromClient(0, "GETX / HTTP/1.1\r\n\r\n"),
		c.fromClient(0, "GET / HTTP/2.0\r\n\r\n"),
		c.fromClient(0, "GET  HTTP/1.1\r\n\r\n"),
		c.fromClient(0, "GET / HTTP/1.1"), // request line not complete in the segment
		c.fromClient(0, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
		c.fromServer(0, "HTTP/1.1 200 OK\r\n\r\n"),
	)
	expectSummary(t, tt, "")
	if len(tt.flows) != 0 {
		t.Errorf("%d flows tracked for non-HTTP traffic", len(tt.flows))
	}
	// A request whose answer is not a status line stays pending.
	tt.feed(c.fromClient(0, "OPTIONS * HTTP/1.1\r\n\r\n"), c.fromServer(0, "HTTP/1.1 2OO OK\r\n\r\n"), c.fromServer(0, "garbage"))
	tt.feed(c.fromServer(0, "HTTP/1.1 200\r\n\r\n"))
	expectSummary(t, tt, "OPTIONS * 200 3ms")
}

// TestLoopbackCountedOnce feeds every packet the way a packet socket sees loopback traffic:
// once outgoing, once incoming. It also feeds a retransmission and a second copy of a packet
// captured on another interface (a bridge port), which sequence numbers reveal.
func TestLoopbackCountedOnce(t *testing.T) {
	tt := newTestTracker()
	c := newTestConn("127.0.0.1:40000", "127.0.0.1:8080")
	loop := func(p []byte) {
		for _, typ := range []uint8{unix.PACKET_OUTGOING, unix.PACKET_HOST} {
			tt.now += 1e6
			tt.handle(capPacket{data: p, ts: tt.now, pkttype: typ, hatype: unix.ARPHRD_LOOPBACK})
		}
	}
	loop(c.fromClient(0, "GET /once HTTP/1.1\r\n\r\n"))
	inAt := tt.now // the incoming copy's time
	loop(c.fromServer(0, "HTTP/1.1 200 OK\r\n\r\n"))
	expectSummary(t, tt, "GET /once 200 2ms")
	if len(tt.lines) == 1 && tt.lines[0].Time != rfc3339(inAt) {
		t.Errorf("request time %s, want the incoming copy's %s", tt.lines[0].Time, rfc3339(inAt))
	}

	req := c.fromClient(0, "GET /again HTTP/1.1\r\n\r\n")
	resp := c.fromServer(0, "HTTP/1.1 404 Not Found\r\n\r\n")
	tt.feed(req, req, resp, resp, req)
	expectSummary(t, tt, "GET /once 200 2ms; GET /again 404 2ms")
}

func TestBounds(t *testing.T) {
	tt := newTestTracker()
	c := newTestConn("127.0.0.1:40000", "127.0.0.1:8080")
	for i := range maxPending + 1 {
		tt.feed(c.fromClient(0, fmt.Sprintf("GET /%d HTTP/1.1\r\n\r\n", i)))
	}
	for range maxPending + 1 {
		tt.feed(c.fromServer(0, "HTTP/1.1 200 OK\r\n\r\n"))
	}
	if len(tt.lines) != maxPending || tt.lines[maxPending-1].Path != fmt.Sprintf("/%d", maxPending-1) {
		t.Fatalf("%d lines (last %+v), want %d paired in order", len(tt.lines), tt.lines[len(tt.lines)-1], maxPending)
	}

	tt = newTestTracker()
	for i := range maxFlows + 10 {
		c := newTestConn(fmt.Sprintf("10.0.%d.%d:40000", i/250, i%250+1), "10.1.0.1:80")
		tt.feed(c.fromClient(0, "GET / HTTP/1.1\r\n\r\n"))
	}
	if len(tt.flows) != maxFlows {
		t.Errorf("%d flows, want the cap %d", len(tt.flows), maxFlows)
	}
	tt.now += flowIdleNs + 2e9
	tt.feed(newTestConn("10.2.0.1:1", "10.1.0.1:80").fromClient(0, "GET / HTTP/1.1\r\n\r\n"))
	if len(tt.flows) != 1 {
		t.Errorf("%d flows after the idle timeout, want 1", len(tt.flows))
	}
}

func TestParsePorts(t *testing.T) {
	p, err := parsePorts("4317, 4318,,9000")
	if err != nil || len(p) != 3 || !p[4317] || !p[4318] || !p[9000] {
		t.Errorf("got %v, %v", p, err)
	}
	for _, bad := range []string{"x", "0", "65536", "-1"} {
		if _, err := parsePorts(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if p, err := parsePorts(""); err != nil || len(p) != 0 {
		t.Errorf("empty list: %v, %v", p, err)
	}
}
