package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// noise returns n pseudo-random bytes, the same every run: what compressed content
// (a PDF's streams, an image's pixels) looks like.
func noise(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{1})
	_, _ = r.Read(b)
	return b
}

// csvText returns about n bytes of CSV rows.
func csvText(n int) []byte {
	var b bytes.Buffer
	b.WriteString("date,description,amount,currency\r\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "2026-03-%02d,Cost line %d for the sprint,%d.%02d,EUR\r\n", 1+i%28, i, 10+i%900, i%100)
	}
	return b.Bytes()[:n]
}

// BenchmarkWriteArchive writes archives of generated files to io.Discard. Bytes
// allocated per archive stay flat whatever the files' number and size: each file
// streams through one 32 KiB buffer. PDFs are stored, CSV is deflated.
func BenchmarkWriteArchive(b *testing.B) {
	const mb = 1 << 20
	pdf := append([]byte("%PDF-1.7\n"), noise(10*mb)...)
	text := csvText(10 * mb)
	for _, c := range []struct {
		files, size int
		typ         string
	}{
		{1, 1 * mb, PDF},
		{30, 1 * mb, PDF},
		{30, 10 * mb, PDF},
		{300, 100 << 10, PDF},
		{1, 1 * mb, CSV},
		{30, 1 * mb, CSV},
	} {
		content := pdf[:c.size]
		ext := ".pdf"
		if c.typ == CSV {
			content, ext = text[:c.size], ".csv"
		}
		sum := sha256.Sum256(content)
		at := time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)
		files := make([]ArchiveFile, c.files)
		for i := range files {
			files[i] = ArchiveFile{
				Path: fmt.Sprintf("2026-%04d Travel grant/cost line %d/evidence%s", i/3, i%3, ext), Key: fmt.Sprint(i),
				Size: int64(c.size), SHA256: hex.EncodeToString(sum[:]), Type: c.typ,
				UploadedBy: "applicant@example.org", UploadedAt: at.Add(time.Duration(i) * time.Minute),
			}
		}
		open := func(context.Context, ArchiveFile) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(content)), nil
		}
		name := fmt.Sprintf("%dx%s/%s", c.files, sizeName(c.size), strings.TrimPrefix(ext, "."))
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(c.files * c.size))
			for b.Loop() {
				if err := WriteArchive(context.Background(), io.Discard, files, open); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCheck checks 10 MB files: a PDF and a CSV stream through in small memory;
// a workbook is held whole.
func BenchmarkCheck(b *testing.B) {
	const size = 10 << 20
	pdf := append(append([]byte("%PDF-1.7\n"), noise(size-16)...), "\n%%EOF\n"...)
	xlsx := zipOf(b, xlsxEntries(sheetMain, entry{name: "xl/media/image1.png", body: string(noise(size - 4096)), stored: true})...)
	for _, c := range []struct {
		name, typ string
		data      []byte
	}{
		{"pdf", PDF, pdf},
		{"csv", CSV, csvText(size)},
		{"xlsx", XLSX, xlsx},
	} {
		b.Run(fmt.Sprintf("%s-%s", c.name, sizeName(len(c.data))), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				v, err := Check(bytes.NewReader(c.data), c.typ)
				if err != nil || !v.Accepted {
					b.Fatalf("%+v, %v", v, err)
				}
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMB", (n+1<<19)>>20)
	}
	return fmt.Sprintf("%dKB", n>>10)
}
