//go:build linux && integration

// The check reads /proc, which only Linux has.

package motostack_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack"
	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/mototest"
)

// processesUnder lists the pids whose command line mentions dir.
func processesUnder(dir string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmd), dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	// A zombie has exited; only its parent's bookkeeping remains.
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	return err == nil && !strings.Contains(string(stat), ") Z ")
}

// TestStopLeavesNoProcessBehind starts a stack with its own moto and cache, makes it
// spawn several emulators, stops it, and checks that moto, every emulator and every
// function process are gone.
func TestStopLeavesNoProcessBehind(t *testing.T) {
	cache := t.TempDir()
	s, err := motostack.Start(context.Background(), motostack.Options{
		Root: mototest.Root(), Template: filepath.Join(mototest.Root(), "testdata", "template.yaml"),
		StackName: "stoptest", Addr: "127.0.0.1:0", Log: testLog(), CacheDir: cache, MaxEnvironments: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, err := http.Get(s.URL() + "/open/x"); err == nil {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	pids := append(processesUnder(cache), s.Moto().PID())
	if len(pids) < 3 { // moto, and at least one emulator with its function
		t.Fatalf("expected running processes, found %v", pids)
	}
	s.Stop()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if alive(pid) {
			t.Errorf("process %d is still running after Stop", pid)
		}
	}
	s.Stop() // a second Stop is harmless
}
