// Package localaws runs the AWS side of the local stack: moto in server mode on a free
// loopback port, behind a proxy that lets one request through at a time, and the
// resources template.yaml describes, created in it.
package localaws

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/proc"
)

// Moto is a running moto server and the serialising proxy in front of it. Clients use
// Endpoint, never moto's own port.
type Moto struct {
	Endpoint string // http://127.0.0.1:PORT of the proxy
	cmd      *exec.Cmd
	proxy    *Proxy
	server   *http.Server
	exited   chan struct{}
}

// MotoOptions tunes StartMoto.
type MotoOptions struct {
	// Binary is the moto_server executable; empty means find it (see FindMotoServer).
	Binary string
	// Root is the repository root, where .venv/bin/moto_server is looked for.
	Root string
	// Log receives moto's own output; nil discards it.
	Log io.Writer
}

// FindMotoServer returns the moto_server to run: $MOTO_SERVER, else the repository's
// .venv (which make installs, pinned), else the first on PATH.
func FindMotoServer(root string) (string, error) {
	if p := os.Getenv("MOTO_SERVER"); p != "" {
		return p, nil
	}
	if root != "" {
		p := filepath.Join(root, ".venv", "bin", "moto_server")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("moto_server")
	if err != nil {
		return "", errors.New("moto_server not found: run `make tools` (it installs the pinned moto into .venv) or set MOTO_SERVER")
	}
	return p, nil
}

// motoServerPy is moto's server with cheaper DynamoDB transactions; see the file.
//
//go:embed motoserver.py
var motoServerPy string

// motoCommand runs moto_server's own Python on motoserver.py, found from the script's
// "#!" line; a moto_server that is no Python script runs as it is.
func motoCommand(bin string, args ...string) *exec.Cmd {
	if f, err := os.Open(bin); err == nil {
		line, _ := bufio.NewReader(f).ReadString('\n')
		f.Close()
		if python, ok := strings.CutPrefix(strings.TrimSpace(line), "#!"); ok && strings.Contains(filepath.Base(python), "python") && !strings.Contains(python, " ") {
			return exec.Command(python, append([]string{"-c", motoServerPy}, args...)...)
		}
	}
	return exec.Command(bin, args...)
}

// StartMoto starts moto on a free loopback port and the serialising proxy on another,
// and waits until moto answers. Stop ends both.
func StartMoto(ctx context.Context, opts MotoOptions) (*Moto, error) {
	bin := opts.Binary
	if bin == "" {
		var err error
		if bin, err = FindMotoServer(opts.Root); err != nil {
			return nil, err
		}
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	cmd := motoCommand(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Env = append(os.Environ(),
		"MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY=HASH", // repeatable user pool ids
		"AWS_DEFAULT_REGION=us-east-1",
	)
	cmd.Stdout, cmd.Stderr = opts.Log, opts.Log
	// Own process group, so Stop reaches moto's children too; on Linux moto also dies
	// with its parent even when the parent is killed without a chance to clean up.
	proc.Group(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	m := &Moto{cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(m.exited) }()

	upstream := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitReady(ctx, upstream+"/moto-api/", m.exited); err != nil {
		m.Stop()
		return nil, fmt.Errorf("moto did not start: %w", err)
	}
	m.proxy = NewProxy(upstream)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		m.Stop()
		return nil, fmt.Errorf("listen for moto proxy: %w", err)
	}
	m.server = &http.Server{Handler: m.proxy, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = m.server.Serve(ln) }()
	m.Endpoint = "http://" + ln.Addr().String()
	return m, nil
}

// PID is moto's process id.
func (m *Moto) PID() int { return m.cmd.Process.Pid }

// Proxy returns the serialising proxy, for tests that inject faults.
func (m *Moto) Proxy() *Proxy { return m.proxy }

// Stop ends the proxy and moto, and waits for moto to exit.
func (m *Moto) Stop() {
	if m.server != nil {
		_ = m.server.Close()
	}
	if m.cmd.Process != nil {
		_ = proc.Signal(m.cmd.Process, syscall.SIGTERM)
		select {
		case <-m.exited:
		case <-time.After(3 * time.Second):
			_ = proc.Signal(m.cmd.Process, os.Kill)
			<-m.exited
		}
	}
}

// Reset clears every resource in moto.
func (m *Moto) Reset(ctx context.Context) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, m.Endpoint+"/moto-api/reset", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: status %d", resp.StatusCode)
	}
	return nil
}

func waitReady(ctx context.Context, url string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("moto exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// FreePort asks the kernel for a free loopback TCP port.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
