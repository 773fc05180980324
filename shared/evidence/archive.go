package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/tabular"
)

// ArchiveFile is one checked evidence file to put in an archive, with what was recorded
// about it when Check accepted it.
type ArchiveFile struct {
	// Path is where the file goes in the archive, folders separated by "/": a folder
	// per request or per cost line and the uploader's file name, as the caller
	// chooses ("2026-0042 PyCon travel/flight invoice.pdf"). WriteArchive makes it safe
	// and unique.
	Path string
	// Key is the caller's handle on the file, such as its object key; WriteArchive
	// only hands it back to open and names it in errors.
	Key string
	// Size and SHA256 (hex) are the Verdict's: the file must still have them.
	Size   int64
	SHA256 string
	// Type is the file's canonical MIME type: it decides whether the entry is stored
	// as it is or compressed.
	Type string
	// UploadedBy and UploadedAt say who sent the file and when; UploadedAt is also the
	// entry's modification time.
	UploadedBy string
	UploadedAt time.Time
}

// OpenFunc opens one file's content for WriteArchive, which closes it.
type OpenFunc func(ctx context.Context, f ArchiveFile) (io.ReadCloser, error)

// ErrChanged is wrapped by WriteArchive's error when a file is no longer the one that
// was checked: its size or SHA-256 differs from what was recorded.
var ErrChanged = errors.New("file changed since it was checked")

// manifestName is the manifest's entry name, at the top of the archive.
const manifestName = "MANIFEST.csv"

// manifestColumns are MANIFEST.csv's columns: with them finance can check the archive
// by itself (sha256sum over the extracted files) and knows who sent what, when.
var manifestColumns = []tabular.Column{
	{Name: "path"}, {Name: "size", Type: tabular.Integer}, {Name: "sha256"}, {Name: "type"},
	{Name: "uploaded_by"}, {Name: "uploaded_at", Type: tabular.DateTime},
}

// WriteArchive writes a ZIP archive of files to w: first MANIFEST.csv, a row per file
// (its entry path, size, SHA-256, type, who uploaded it and when), then each file under
// its path, in order. Each file is streamed from open into the archive through a
// SHA-256, never held whole, and must come out with the recorded size and hash: a file
// that differs fails the archive with an error wrapping ErrChanged that names it.
// Files already compressed (PDF, images, spreadsheets) are stored as they are; text is
// deflated. Times are the files' UploadedAt, and the manifest's the latest of them, so
// the same files make the same archive.
//
// On an error, what was written to w is not a valid archive and must be thrown away
// (an S3 multipart upload aborted, not completed).
func WriteArchive(ctx context.Context, w io.Writer, files []ArchiveFile, open OpenFunc) error {
	sums := make([][sha256.Size]byte, len(files))
	paths := make([]string, len(files))
	var newest time.Time
	for i, f := range files {
		if len(f.SHA256) != 2*sha256.Size || f.Size < 0 {
			return fmt.Errorf("archive %q (%s): the recorded size or SHA-256 is not valid", f.Path, f.Key)
		}
		if _, err := hex.Decode(sums[i][:], []byte(f.SHA256)); err != nil {
			return fmt.Errorf("archive %q (%s): the recorded size or SHA-256 is not valid", f.Path, f.Key)
		}
		paths[i] = f.Path
		if f.UploadedAt.After(newest) {
			newest = f.UploadedAt
		}
	}
	names := entryNames(paths)

	zw := zip.NewWriter(w)
	if err := writeManifest(zw, files, names, sums, newest); err != nil {
		return fmt.Errorf("archive manifest: %w", err)
	}
	v := &verifier{hash: sha256.New()}
	buf := make([]byte, 32<<10)
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := v.copy(ctx, zw, f, names[i], sums[i], open, buf); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	return nil
}

// writeManifest writes MANIFEST.csv, spreadsheet-safe: uploaders name their files and
// finance opens the manifest in a spreadsheet.
func writeManifest(zw *zip.Writer, files []ArchiveFile, names []string, sums [][sha256.Size]byte, at time.Time) error {
	ew, err := zw.CreateHeader(&zip.FileHeader{Name: manifestName, Method: zip.Deflate, Modified: at})
	if err != nil {
		return err
	}
	tw, err := tabular.New("csv", ew)
	if err != nil {
		return err
	}
	if err := tw.Header(tabular.Table{Columns: manifestColumns}); err != nil {
		return err
	}
	row := make([]string, len(manifestColumns))
	for i, f := range files {
		uploaded := ""
		if !f.UploadedAt.IsZero() {
			uploaded = f.UploadedAt.UTC().Format(time.RFC3339)
		}
		row[0], row[1], row[2], row[3], row[4], row[5] = names[i], strconv.FormatInt(f.Size, 10),
			hex.EncodeToString(sums[i][:]), f.Type, f.UploadedBy, uploaded
		if err := tw.Row(row); err != nil {
			return err
		}
	}
	return tw.Close()
}

// compressed are the types whose content is compressed already: deflating them again
// would cost time and save nothing.
var compressed = map[string]bool{PDF: true, PNG: true, JPEG: true, WebP: true, XLSX: true, ODS: true}

// verifier copies files into the archive through one SHA-256, reused from file to file.
type verifier struct {
	ctx  context.Context
	r    io.Reader
	hash hash.Hash
	n    int64
	left int64 // bytes still allowed: one more than the recorded size, to see a longer file
}

// copy adds one file to the archive and proves it is the recorded one.
func (v *verifier) copy(ctx context.Context, zw *zip.Writer, f ArchiveFile, name string, want [sha256.Size]byte, open OpenFunc, buf []byte) error {
	rc, err := open(ctx, f)
	if err != nil {
		return fmt.Errorf("archive %q (%s): open: %w", name, f.Key, err)
	}
	defer rc.Close()
	method := zip.Deflate
	if compressed[f.Type] {
		method = zip.Store
	}
	ew, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: f.UploadedAt})
	if err != nil {
		return fmt.Errorf("archive %q: %w", name, err)
	}
	v.ctx, v.r, v.n, v.left = ctx, rc, 0, f.Size+1
	v.hash.Reset()
	if _, err := io.CopyBuffer(ew, v, buf); err != nil {
		return fmt.Errorf("archive %q (%s): %w", name, f.Key, err)
	}
	if v.n > f.Size {
		return fmt.Errorf("archive %q (%s): %w: it is longer than the %d bytes recorded", name, f.Key, ErrChanged, f.Size)
	}
	if v.n < f.Size {
		return fmt.Errorf("archive %q (%s): %w: it has %d bytes, recorded %d", name, f.Key, ErrChanged, v.n, f.Size)
	}
	if got := v.hash.Sum(nil); !bytes.Equal(got, want[:]) {
		return fmt.Errorf("archive %q (%s): %w: its SHA-256 is %x, recorded %x", name, f.Key, ErrChanged, got, want)
	}
	return nil
}

// Read reads the file being copied, hashing it, and stops at the recorded size plus one
// byte or when the archive is cancelled.
func (v *verifier) Read(p []byte) (int, error) {
	if err := v.ctx.Err(); err != nil {
		return 0, err
	}
	if v.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > v.left {
		p = p[:v.left]
	}
	n, err := v.r.Read(p)
	v.hash.Write(p[:n])
	v.n += int64(n)
	v.left -= int64(n)
	return n, err
}
