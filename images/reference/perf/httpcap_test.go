package main

// Integration test: the built coral-ref-perf httpcap watching a net/http server of this test
// over loopback. It needs CAP_NET_RAW and skips when the packet socket is refused.

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestHTTPCap(t *testing.T) {
	h := startHelper(t, "httpcap")
	first := decode(t, h.out.next(t, 5*time.Second))
	if msg, _ := first["error"].(string); strings.Contains(msg, "socket AF_PACKET") {
		t.Skipf("AF_PACKET socket refused here: %s", msg)
	}
	if first["event"] != "started" || first["interfaces"] != "any" {
		t.Fatalf("first line %v", first)
	}
	for _, network := range []string{"tcp4", "tcp6"} {
		t.Run(network, func(t *testing.T) { checkHTTPCap(t, h, network) })
	}
	h.cmd.Process.Signal(syscall.SIGTERM)
	for range h.out { // other traffic of this host may still be reported
	}
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("helper exit after SIGTERM: %v", err)
	}
}

type sentRequest struct {
	path       string
	status     int
	begin, end time.Time // around the client's round trip
}

func checkHTTPCap(t *testing.T, h *helper, network string) {
	addr := map[string]string{"tcp4": "127.0.0.1:0", "tcp6": "[::1]:0"}[network]
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("no %s loopback: %v", network, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		io.WriteString(w, "slow\n")
	})
	mux.HandleFunc("/missing", http.NotFound)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	port := ln.Addr().(*net.TCPAddr).Port

	keepAlive := &http.Client{Transport: &http.Transport{}}
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	var sent []sentRequest
	get := func(c *http.Client, path string) {
		begin := time.Now()
		resp, err := c.Get(fmt.Sprintf("http://%s%s", ln.Addr(), path))
		if err != nil {
			t.Fatal(err)
		}
		end := time.Now()
		io.Copy(io.Discard, resp.Body) // drained, so the connection is reused
		resp.Body.Close()
		sent = append(sent, sentRequest{path, resp.StatusCode, begin, end})
	}
	for range 5 {
		get(keepAlive, "/slow")
	}
	get(keepAlive, "/missing")
	get(keepAlive, "/missing")
	get(fresh, "/slow")
	keepAlive.CloseIdleConnections()

	// This host may carry other HTTP traffic: only lines for this server count. After the 8th,
	// a quiet period shows there is no 9th.
	var got []map[string]any
	deadline := time.After(5 * time.Second)
	quiet := (<-chan time.Time)(nil)
	for done := false; !done; {
		select {
		case l, ok := <-h.out:
			if !ok {
				t.Fatal("helper output ended")
			}
			m := decode(t, l)
			if m["event"] != "http" {
				t.Fatalf("unexpected line %s", l)
			}
			if m["serverPort"] == float64(port) {
				got = append(got, m)
				if len(got) == len(sent) {
					quiet = time.After(500 * time.Millisecond)
				}
			}
		case <-quiet:
			done = true
		case <-deadline:
			done = true
		}
	}
	if len(got) != len(sent) {
		t.Fatalf("%d http lines for port %d, want %d: %v", len(got), port, len(sent), got)
	}
	keepAlivePort := got[0]["clientPort"]
	for i, m := range got {
		s := sent[i]
		d := time.Duration(m["durationNs"].(float64))
		at, err := time.Parse(time.RFC3339Nano, m["time"].(string))
		t.Logf("%s %s %v %v client port %v", m["method"], m["path"], m["status"], d, m["clientPort"])
		switch {
		case err != nil:
			t.Errorf("line %d: time: %v", i, err)
		case m["method"] != "GET" || m["path"] != s.path || m["status"] != float64(s.status):
			t.Errorf("line %d: %v, want GET %s %d", i, m, s.path, s.status)
		case at.Before(s.begin.Add(-time.Millisecond)) || at.Add(d).After(s.end.Add(time.Millisecond)):
			t.Errorf("line %d: request at %v for %v, outside the client's %v..%v", i, at, d, s.begin, s.end)
		case s.path == "/slow" && d < 20*time.Millisecond:
			t.Errorf("line %d: /slow took %v, want >= 20ms", i, d)
		case (m["clientPort"] == keepAlivePort) != (i < 7):
			t.Errorf("line %d: client port %v (keep-alive connection's %v)", i, m["clientPort"], keepAlivePort)
		}
	}
}
