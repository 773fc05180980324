package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"
)

// FuzzCheck feeds Check any bytes, declared as any type and read in pieces of any
// size. It must never panic or fail to read, must describe exactly the bytes it read
// (at most MaxSize+1 of them), and must accept only a file it read whole, as a type on
// the list, with no reason; a refusal always has one.
func FuzzCheck(f *testing.F) {
	for _, c := range append(acceptedCases(f), refusedCases(f)...) {
		if len(c.data) <= 1<<16 {
			f.Add(c.data, c.declared, uint16(0))
			f.Add(c.data, c.declared, uint16(7))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, declared string, piece uint16) {
		var r io.Reader = bytes.NewReader(data)
		if piece > 0 {
			r = &pieces{r: r, n: int(piece)}
		}
		v, err := Check(r, declared)
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		read := data[:min(len(data), MaxSize+1)]
		sum := sha256.Sum256(read)
		if v.Size != int64(len(read)) || v.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("verdict says %d bytes, SHA-256 %s; read %d bytes, SHA-256 %x", v.Size, v.SHA256, len(read), sum)
		}
		if !v.Accepted {
			if v.Reason == "" || v.Type != "" {
				t.Fatalf("refused with reason %q and type %q", v.Reason, v.Type)
			}
			return
		}
		if len(data) > MaxSize || len(data) == 0 || v.Reason != "" {
			t.Fatalf("accepted %d bytes with reason %q", len(data), v.Reason)
		}
		if _, ok := lookup(v.Type); !ok {
			t.Fatalf("accepted as %q, not an accepted type", v.Type)
		}
		if declaredType, _ := ParseType(declared); declaredType.MIME != v.Type {
			t.Fatalf("declared %q, accepted as %s", declared, v.Type)
		}
	})
}

// pieces returns at most n bytes a read, as networks do.
type pieces struct {
	r io.Reader
	n int
}

func (p *pieces) Read(b []byte) (int, error) {
	if len(b) > p.n {
		b = b[:p.n]
	}
	return p.r.Read(b)
}
