package keysource

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/go-tpm/tpm2/transport"
)

// EnvTPMDevice names the TPM to use, as for the official helper. It may
// hold:
//
//   - a device path, such as /dev/tpmrm0 (the kernel's resource manager,
//     which several programs may use at once) or /dev/tpm0;
//   - the path of a Unix socket that takes raw TPM 2.0 commands, such as
//     swtpm's "--server type=unixio,path=..." socket;
//   - "tcp:HOST:PORT" (or "tcp://HOST:PORT"), a TCP socket that takes raw
//     TPM 2.0 commands, such as swtpm's "--server type=tcp,port=PORT".
//     This is swtpm's data channel, not the Microsoft simulator's framed
//     protocol.
//
// When it is empty, the TPM is /dev/tpmrm0 or, failing that, /dev/tpm0
// (on Windows, the TPM Base Services).
const EnvTPMDevice = "TPM_DEVICE"

// Limits of one TPM command exchange.
const (
	maxTPMResponse = 64 << 10 // far above any TPM's buffer (4 KiB is typical)
	tpmIOTimeout   = 2 * time.Minute
	tpmHeaderSize  = 10 // tag (2), size (4), response code (4)
)

// tpmDevice says how to reach a TPM.
type tpmDevice struct {
	network string // "" for a device file or Unix socket path, or "tcp"
	address string // the path, or HOST:PORT
	// fromEnv is set when $TPM_DEVICE chose it, for messages.
	fromEnv bool
}

func (d tpmDevice) String() string {
	switch {
	case d.network == "tcp":
		return "tcp:" + d.address
	case d.address == "":
		return "TPM Base Services"
	}
	return d.address
}

// tpmDeviceFrom returns the TPM that $TPM_DEVICE (read with getenv, which
// may be nil) names, or the platform default.
func tpmDeviceFrom(getenv func(string) string) (tpmDevice, error) {
	var v string
	if getenv != nil {
		v = getenv(EnvTPMDevice)
	}
	if v == "" {
		return defaultTPMDevice()
	}
	if addr, ok := strings.CutPrefix(v, "tcp:"); ok {
		addr = strings.TrimPrefix(addr, "//")
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return tpmDevice{}, fmt.Errorf("%w: $%s=%q is not tcp:HOST:PORT: %v", ErrTPMDevice, EnvTPMDevice, printable(v), err)
		}
		return tpmDevice{network: "tcp", address: addr, fromEnv: true}, nil
	}
	if p, ok := strings.CutPrefix(v, "unix:"); ok {
		v = p
	}
	return tpmDevice{address: v, fromEnv: true}, nil
}

// tpmLocks serialises the use of each TPM within this process: a TPM
// without a resource manager (/dev/tpm0, swtpm) serves one client at a
// time and has room for only a few loaded objects.
var tpmLocks sync.Map // string -> *sync.Mutex

func (d tpmDevice) lock() func() {
	m, _ := tpmLocks.LoadOrStore(d.String(), new(sync.Mutex))
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// open connects to the TPM. The caller closes the connection when done:
// roam holds no TPM connection between signatures, so that it never keeps
// other programs from an exclusive device or a simulator.
func (d tpmDevice) open() (transport.TPMCloser, error) {
	t, err := d.openRaw()
	if err != nil {
		return nil, err
	}
	return retryingTPM{t}, nil
}

func (d tpmDevice) openRaw() (transport.TPMCloser, error) {
	if d.network == "tcp" {
		c, err := net.DialTimeout("tcp", d.address, 10*time.Second)
		if err != nil {
			return nil, fmt.Errorf("%w %s: %v", ErrTPMDevice, d, err)
		}
		return &streamTPM{conn: c}, nil
	}
	if d.address == "" {
		return openPlatformTPM()
	}
	fi, err := os.Stat(d.address)
	if err != nil {
		hint := ""
		if !d.fromEnv {
			hint = fmt.Sprintf("; set $%s to the TPM device or a swtpm socket (e.g. tcp:127.0.0.1:2321)", EnvTPMDevice)
		}
		return nil, fmt.Errorf("%w %s: %v%s", ErrTPMDevice, d, err, hint)
	}
	switch {
	case fi.Mode()&fs.ModeSocket != 0:
		c, err := net.DialTimeout("unix", d.address, 10*time.Second)
		if err != nil {
			return nil, fmt.Errorf("%w %s: %v", ErrTPMDevice, d, err)
		}
		return &streamTPM{conn: c}, nil
	case fi.Mode()&fs.ModeCharDevice != 0:
		f, err := os.OpenFile(d.address, os.O_RDWR, 0)
		if err != nil {
			hint := ""
			if errors.Is(err, fs.ErrPermission) {
				hint = " (the TPM device is usually readable by the tss group)"
			}
			return nil, fmt.Errorf("%w %s: %v%s", ErrTPMDevice, d, err, hint)
		}
		return &deviceTPM{f: f}, nil
	}
	return nil, fmt.Errorf("%w %s: it is neither a TPM character device nor a socket", ErrTPMDevice, d)
}

// retryingTPM resends a command the TPM answered with a warning that
// asks for it (TPM_RC_RETRY, TPM_RC_YIELDED, TPM_RC_TESTING), as the TCG
// software stack does; a TPM says so, for example, while it tests an
// algorithm on first use.
type retryingTPM struct{ transport.TPMCloser }

// TPM warnings that ask for the command to be sent again.
const (
	tpmRCYielded = 0x908
	tpmRCTesting = 0x90A
	tpmRCRetry   = 0x922
)

func (t retryingTPM) Send(cmd []byte) ([]byte, error) {
	delay := 10 * time.Millisecond
	for attempt := 0; ; attempt++ {
		rsp, err := t.TPMCloser.Send(cmd)
		if err != nil || len(rsp) < tpmHeaderSize || attempt == 20 {
			return rsp, err
		}
		switch binary.BigEndian.Uint32(rsp[6:10]) {
		case tpmRCYielded, tpmRCTesting, tpmRCRetry:
			time.Sleep(delay)
			delay = min(2*delay, 500*time.Millisecond)
		default:
			return rsp, nil
		}
	}
}

// deviceTPM talks to a TPM character device: each write is one command,
// and the next read returns the whole response.
type deviceTPM struct{ f *os.File }

func (t *deviceTPM) Send(cmd []byte) ([]byte, error) {
	if _, err := t.f.Write(cmd); err != nil {
		return nil, fmt.Errorf("writing to the TPM: %w", err)
	}
	buf := make([]byte, maxTPMResponse)
	n, err := t.f.Read(buf)
	if err != nil {
		return nil, fmt.Errorf("reading from the TPM: %w", err)
	}
	if err := checkTPMResponse(buf[:n], n); err != nil {
		return nil, err
	}
	return buf[:n], nil
}

func (t *deviceTPM) Close() error { return t.f.Close() }

// streamTPM talks to a TPM over a socket that carries raw commands and
// responses back to back (swtpm's data channel). Responses are framed by
// the size in their header.
type streamTPM struct{ conn net.Conn }

func (t *streamTPM) Send(cmd []byte) ([]byte, error) {
	if err := t.conn.SetDeadline(time.Now().Add(tpmIOTimeout)); err != nil {
		return nil, err
	}
	if _, err := t.conn.Write(cmd); err != nil {
		return nil, fmt.Errorf("writing to the TPM: %w", err)
	}
	hdr := make([]byte, tpmHeaderSize)
	if _, err := io.ReadFull(t.conn, hdr); err != nil {
		return nil, fmt.Errorf("reading from the TPM: %w", err)
	}
	size := int(binary.BigEndian.Uint32(hdr[2:6]))
	if err := checkTPMResponse(hdr, size); err != nil {
		return nil, err
	}
	rsp := make([]byte, size)
	copy(rsp, hdr)
	if _, err := io.ReadFull(t.conn, rsp[tpmHeaderSize:]); err != nil {
		return nil, fmt.Errorf("reading from the TPM: %w", err)
	}
	return rsp, nil
}

func (t *streamTPM) Close() error { return t.conn.Close() }

// checkTPMResponse checks that rsp starts with a response header whose
// size field is n.
func checkTPMResponse(rsp []byte, n int) error {
	if len(rsp) < tpmHeaderSize || n < tpmHeaderSize || n > maxTPMResponse ||
		int(binary.BigEndian.Uint32(rsp[2:6])) != n {
		return errors.New("the TPM sent a malformed response")
	}
	return nil
}
