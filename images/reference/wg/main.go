// coral-ref-wg runs one userspace WireGuard device (wireguard-go) for the reference colony and
// agent: `coral-ref-wg <ifname> <uapi-socket-path>`.
//
// It mirrors what Coral does in-process: a TUN device with MTU 1420 and no control socket under
// /var/run/wireguard, so `wg show` sees nothing. The parent Node process configures the device
// through the UAPI protocol on the private socket path given as the second argument. The process
// stays in the foreground (never daemonises) until SIGTERM/SIGINT.
package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun"
)

// Coral creates its device with tun.CreateTUN(name, 1420).
const mtu = 1420

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: coral-ref-wg <ifname> <uapi-socket-path>")
		os.Exit(2)
	}
	ifname, socketPath := os.Args[1], os.Args[2]

	tunDev, err := tun.CreateTUN(ifname, mtu)
	if err != nil {
		// wireguard-go's own wording, as in Coral's error (contract §7.3):
		// `CreateTUN("wg0") failed; /dev/net/tun does not exist`.
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	// Errors only, on stdout, prefixed "ERROR: (wg0) " exactly like wireguard-go's own logger.
	logger := device.NewLogger(device.LogLevelError, fmt.Sprintf("(%s) ", ifname))
	dev := device.NewDevice(tunDev, conn.NewDefaultBind(), logger)

	listener, err := listenUnix(socketPath)
	if err != nil {
		dev.Close()
		fmt.Fprintf(os.Stderr, "UAPI listen on %s failed: %v\n", socketPath, err)
		os.Exit(1)
	}
	go func() {
		for {
			c, err := listener.Accept()
			if err != nil {
				return
			}
			go dev.IpcHandle(c)
		}
	}()

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-signals:
	case <-dev.Wait():
	}
	listener.Close()
	os.Remove(socketPath)
	dev.Close()
}

// listenUnix serves the UAPI on a private socket only (never /var/run/wireguard/<if>.sock).
func listenUnix(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	_ = os.Remove(path) // a stale socket from a previous run would make Listen fail
	// Listen under a temporary name and rename: the path appears only once it accepts connections
	// (between bind and listen a connect is refused, and the agent waits for the path to appear).
	tmp := path + ".tmp"
	_ = os.Remove(tmp)
	l, err := net.Listen("unix", tmp)
	if err != nil {
		return nil, err
	}
	_ = os.Chmod(tmp, 0o600)
	if err := os.Rename(tmp, path); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}
