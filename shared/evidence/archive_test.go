package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// stored is a bucket for tests: content by key.
type stored map[string][]byte

func (s stored) open(_ context.Context, f ArchiveFile) (io.ReadCloser, error) {
	b, ok := s[f.Key]
	if !ok {
		return nil, fmt.Errorf("no such key %s", f.Key)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// put stores content under key and returns the file as Check recorded it.
func (s stored) put(t testing.TB, key, path, declared string, content []byte, by string, at time.Time) ArchiveFile {
	t.Helper()
	v, err := Check(bytes.NewReader(content), declared)
	if err != nil || !v.Accepted {
		t.Fatalf("%s: %+v, %v", key, v, err)
	}
	s[key] = content
	return ArchiveFile{Path: path, Key: key, Size: v.Size, SHA256: v.SHA256, Type: v.Type, UploadedBy: by, UploadedAt: at}
}

func TestWriteArchive(t *testing.T) {
	bucket := stored{}
	at := time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)
	files := []ArchiveFile{
		bucket.put(t, "k1", "2026-0042 PyCon travel/quote.pdf", PDF, samplePDF(), "ana@example.org", at),
		bucket.put(t, "k2", "2026-0042 PyCon travel/Quote.PDF", PDF, append(samplePDF(), '\n'), "ana@example.org", at.Add(time.Hour)),
		bucket.put(t, "k3", "2026-0042 PyCon travel/cost line 2/receipt.png", PNG, samplePNG(t), "ana@example.org", at.Add(2*time.Hour)),
		bucket.put(t, "k4", "2026-0042 PyCon travel/costs.csv", CSV, []byte(sampleCSV), "=HYPERLINK(\"http://evil\")", at.Add(3*time.Hour)),
		bucket.put(t, "k5", "2026-0051 Sprint/../../etc/budget.xlsx", XLSX, sampleXLSX(t), "finance@example.org", at.Add(4*time.Hour)),
		bucket.put(t, "k6", "MANIFEST.csv", CSV, []byte(sampleCSV), "bob@example.org", at.Add(5*time.Hour)),
	}
	var out bytes.Buffer
	if err := WriteArchive(context.Background(), &out, files, bucket.open); err != nil {
		t.Fatal(err)
	}

	zr, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{
		"MANIFEST.csv",
		"2026-0042 PyCon travel/quote.pdf",
		"2026-0042 PyCon travel/Quote (2).PDF",
		"2026-0042 PyCon travel/cost line 2/receipt.png",
		"2026-0042 PyCon travel/costs.csv",
		"2026-0051 Sprint/etc/budget.xlsx",
		"MANIFEST (2).csv",
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Fatalf("entries (-want +got):\n%s", diff)
	}

	for i, f := range files {
		e := zr.File[i+1]
		got := read(t, e)
		if !bytes.Equal(got, bucket[f.Key]) {
			t.Errorf("%s: the entry's bytes differ from %s's", e.Name, f.Key)
		}
		wantMethod := zip.Store
		if f.Type == CSV {
			wantMethod = zip.Deflate
		}
		if e.Method != wantMethod {
			t.Errorf("%s: method %d, want %d", e.Name, e.Method, wantMethod)
		}
		if !e.Modified.Equal(f.UploadedAt) {
			t.Errorf("%s: modified %v, want %v", e.Name, e.Modified, f.UploadedAt)
		}
	}

	// The manifest lists every file, and checks the archive by itself.
	manifest := zr.File[0]
	if !manifest.Modified.Equal(at.Add(5 * time.Hour)) {
		t.Errorf("manifest modified %v, want the newest upload", manifest.Modified)
	}
	rows, err := csv.NewReader(bytes.NewReader(read(t, manifest))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"path", "size", "sha256", "type", "uploaded_by", "uploaded_at"}}
	for i, f := range files {
		want = append(want, []string{wantNames[i+1], fmt.Sprint(f.Size), f.SHA256, f.Type, f.UploadedBy, f.UploadedAt.Format(time.RFC3339)})
	}
	want[4][4] = `'=HYPERLINK("http://evil")` // what a spreadsheet would run is kept inert
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}
	byName := map[string]*zip.File{}
	for _, f := range zr.File {
		byName[f.Name] = f
	}
	for _, row := range rows[1:] {
		sum := sha256.Sum256(read(t, byName[row[0]]))
		if hex.EncodeToString(sum[:]) != row[2] {
			t.Errorf("%s: SHA-256 differs from the manifest's", row[0])
		}
	}

	// The same files make the same archive.
	var again bytes.Buffer
	if err := WriteArchive(context.Background(), &again, files, bucket.open); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), again.Bytes()) {
		t.Error("two archives of the same files differ")
	}
}

func TestWriteArchiveOfNoFiles(t *testing.T) {
	var out bytes.Buffer
	if err := WriteArchive(context.Background(), &out, nil, stored{}.open); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || string(read(t, zr.File[0])) != "path,size,sha256,type,uploaded_by,uploaded_at\r\n" {
		t.Errorf("want a manifest with its header alone, got %d entries", len(zr.File))
	}
}

// A file that is no longer the one checked fails the archive, naming the file.
func TestWriteArchiveRefusesChangedFiles(t *testing.T) {
	at := time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)
	for name, change := range map[string]func([]byte) []byte{
		"a byte changed": func(b []byte) []byte { b = bytes.Clone(b); b[len(b)/2] ^= 1; return b },
		"longer":         func(b []byte) []byte { return append(bytes.Clone(b), 0) },
		"shorter":        func(b []byte) []byte { return b[:len(b)-1] },
		"replaced":       func([]byte) []byte { return bytes.Repeat([]byte{'x'}, 5<<20) },
	} {
		t.Run(name, func(t *testing.T) {
			bucket := stored{}
			files := []ArchiveFile{
				bucket.put(t, "k1", "r1/quote.pdf", PDF, samplePDF(), "ana@example.org", at),
				bucket.put(t, "k2", "r1/receipt.png", PNG, samplePNG(t), "ana@example.org", at),
			}
			bucket["k2"] = change(bucket["k2"])
			err := WriteArchive(context.Background(), io.Discard, files, bucket.open)
			if !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), "r1/receipt.png") || !strings.Contains(err.Error(), "k2") {
				t.Errorf("got %v, want ErrChanged naming r1/receipt.png (k2)", err)
			}
		})
	}
}

func TestWriteArchiveFailures(t *testing.T) {
	at := time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)
	bucket := stored{}
	good := bucket.put(t, "k1", "r1/quote.pdf", PDF, samplePDF(), "ana@example.org", at)

	missing := good
	missing.Key, missing.Path = "gone", "r1/gone.pdf"
	var out bytes.Buffer
	if err := WriteArchive(context.Background(), &out, []ArchiveFile{good, missing}, bucket.open); err == nil || !strings.Contains(err.Error(), "r1/gone.pdf") {
		t.Errorf("missing file: got %v, want an error naming it", err)
	}

	for _, bad := range []ArchiveFile{
		{Path: "a.pdf", Key: "k1", Size: good.Size, SHA256: "not hex"},
		{Path: "a.pdf", Key: "k1", Size: good.Size, SHA256: good.SHA256[:10]},
		{Path: "a.pdf", Key: "k1", Size: good.Size, SHA256: good.SHA256 + "00"},
		{Path: "a.pdf", Key: "k1", Size: good.Size, SHA256: good.SHA256[:62] + "zz"},
		{Path: "a.pdf", Key: "k1", Size: -1, SHA256: good.SHA256},
	} {
		out.Reset()
		if err := WriteArchive(context.Background(), &out, []ArchiveFile{good, bad}, bucket.open); err == nil {
			t.Errorf("%+v: no error", bad)
		} else if out.Len() != 0 {
			t.Errorf("%+v: wrote %d bytes before refusing", bad, out.Len())
		}
	}

	upper := good
	upper.SHA256 = strings.ToUpper(good.SHA256)
	if err := WriteArchive(context.Background(), io.Discard, []ArchiveFile{upper}, bucket.open); err != nil {
		t.Errorf("an upper-case SHA-256: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WriteArchive(ctx, io.Discard, []ArchiveFile{good}, bucket.open); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v", err)
	}
}

func TestEntryNames(t *testing.T) {
	long := strings.Repeat("é", 100) + ".pdf"
	for _, c := range []struct{ in, want string }{
		{"r1/quote.pdf", "r1/quote.pdf"},
		{"../../etc/passwd", "etc/passwd"},
		{"/abs/x.pdf", "abs/x.pdf"},
		{"r1/./a/../b.pdf", "r1/a/b.pdf"},
		{`C:\Users\ana\invoice.pdf`, "C_/Users/ana/invoice.pdf"},
		{"a\x00b\tc\nd.pdf", "a_b_c_d.pdf"},
		{"invoice\u202Efdp.exe", "invoice_fdp.exe"},
		{"r1/CON.txt", "r1/_CON.txt"},
		{"r1/lpt1", "r1/_lpt1"},
		{"r1/-rf.csv", "r1/_-rf.csv"},
		{"=cmd|' /C calc'!A0.csv", "_=cmd_'/C calc'!A0.csv"},
		{"r1/trailing dot. ", "r1/trailing dot"},
		{"r1/what?.pdf", "r1/what_.pdf"},
		{"bad\xffutf8.txt", "bad\uFFFDutf8.txt"},
		{"", "file"},
		{"..", "file"},
		{"/./../", "file"},
		{"r1/" + long, "r1/" + strings.Repeat("é", 58) + ".pdf"},
	} {
		if got := entryNames([]string{c.in})[0]; got != c.want {
			t.Errorf("entryNames(%q) = %q, want %q", c.in, got, c.want)
		}
	}

	got := entryNames([]string{"r1/quote.pdf", "R1/Quote.pdf", "r1/quote.pdf", "r1", "manifest.csv", "r1/.profile", "r1/.profile", "r1/quote (2).pdf"})
	want := []string{"r1/quote.pdf", "R1/Quote (2).pdf", "r1/quote (3).pdf", "r1 (2)", "manifest (2).csv", "r1/.profile", "r1/.profile (2)", "r1/quote (2) (2).pdf"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unique names (-want +got):\n%s", diff)
	}
}

// Whatever callers pass, names are local, unique without case, valid UTF-8, free of
// backslashes and control characters, and short.
func TestEntryNamesAreSafe(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("aB./\\.. :*?\"<>|\x00\x1b\x7f\u0085\u202e=+-@éЖ東🎉CON")
	for range 200 {
		paths := make([]string, 1+r.IntN(8))
		for i := range paths {
			var b strings.Builder
			for range r.IntN(200) {
				b.WriteRune(alphabet[r.IntN(len(alphabet))])
			}
			if r.IntN(10) == 0 {
				b.WriteByte(0xff)
			}
			paths[i] = b.String()
		}
		seen := map[string]bool{strings.ToLower(manifestName): true}
		for _, name := range entryNames(paths) {
			lower := strings.ToLower(name)
			if seen[lower] {
				t.Fatalf("%q: a duplicate, from %q", name, paths)
			}
			seen[lower] = true
			if !filepath.IsLocal(name) || strings.ContainsAny(name, `\:*?"<>|`) || !utf8.ValidString(name) {
				t.Fatalf("%q: not a safe name, from %q", name, paths)
			}
			for _, seg := range strings.Split(name, "/") {
				if seg == "" || seg == "." || seg == ".." || len(seg) > maxSegment+len(" (99)") || strings.HasSuffix(seg, ".") {
					t.Fatalf("%q: segment %q, from %q", name, seg, paths)
				}
			}
			for _, c := range name {
				if unicode.IsControl(c) || (c >= 0x202A && c <= 0x202E) {
					t.Fatalf("%q: holds %U, from %q", name, c, paths)
				}
			}
		}
	}
}

func read(t testing.TB, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return b
}
