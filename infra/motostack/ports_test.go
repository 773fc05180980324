package motostack

import (
	"sync"
	"testing"
)

// Emulators started together must not be offered the same port: the kernel can give a
// closed port out again before the first emulator binds it.
func TestFreeAddrNeverHandsOutAPortTwice(t *testing.T) {
	const n = 300
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			addr, err := freeAddr()
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[addr] {
				t.Errorf("%s handed out twice", addr)
			}
			seen[addr] = true
		})
	}
	wg.Wait()
}
