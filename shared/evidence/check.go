package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
)

// Verdict is what Check decided about one file.
type Verdict struct {
	// Accepted is true when the file may be kept and served as Type.
	Accepted bool
	// Type is the canonical MIME type the file is served as, one of the accepted
	// types; empty unless Accepted. For text it is the declared one of text/plain and
	// text/csv, since a CSV is also plain text.
	Type string
	// Size is how many bytes were read: the file's size, or MaxSize+1 for a file
	// larger than MaxSize (Check stops there).
	Size int64
	// SHA256 is the hex SHA-256 of the bytes read, which for an accepted file are all
	// of it: the archive proves against it that a file is still the one checked.
	SHA256 string
	// Reason says why the file was refused, in one sentence the uploader can act on;
	// empty when accepted.
	Reason string
}

// headSize is how much of a file decides its type: what mimetype reads by default.
const headSize = 4096

// Check reads at most MaxSize+1 bytes of r, hashes them, and decides by their content
// whether they are a file of an accepted type that agrees with declaredType, the
// Content-Type the uploader announced. A refusal is a Verdict with a Reason, not an
// error: the error is for a failure to read r.
//
// mimetype names the type from the first bytes; Check then holds the file to that
// type in full, where the library is loose or looks at the start only: a PDF must
// begin with its header and end with its end-of-file marker, a PNG or JPEG header
// must decode, a WebP's RIFF size must be the file's, text must be UTF-8 without
// control characters other than tab, CR and LF from its first byte to its last, and a
// ZIP-based file must be an XLSX workbook without macros or embedded objects or an ODS
// spreadsheet without macros, as its own manifest says. A file with a ZIP archive
// attached to its end, or whose start a browser would sniff as HTML or XML, is
// refused whatever it starts as.
//
// Memory stays small for every type but the spreadsheets, which are held whole (at
// most MaxSize+1 bytes) because a ZIP's directory is at its end.
func Check(r io.Reader, declaredType string) (Verdict, error) {
	m := &meter{r: io.LimitReader(r, MaxSize+1), hash: sha256.New()}
	head := make([]byte, headSize)
	n, err := io.ReadFull(m, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return Verdict{}, fmt.Errorf("check evidence: %w", err)
	}
	head = head[:n]

	declared, declaredOK := ParseType(declaredType)
	var as, refusal string
	var detected *mimetype.MIME
	if declaredOK && n > 0 {
		detected = mimetype.Detect(head)
		as, refusal = classify(head, detected, declared)
	}
	switch {
	case isText(as):
		m.text = &textCheck{}
	case isSpreadsheet(as):
		m.spool = &spool{}
	case as != "":
		m.tail = &tail{}
	}
	m.feed(head)
	imageOK := true
	switch as {
	case PNG:
		_, err := png.DecodeConfig(io.MultiReader(bytes.NewReader(head), m))
		imageOK = err == nil
	case JPEG:
		_, err := jpeg.DecodeConfig(io.MultiReader(bytes.NewReader(head), m))
		imageOK = err == nil
	}
	if _, err := io.CopyBuffer(io.Discard, m, make([]byte, 32<<10)); err != nil {
		return Verdict{}, fmt.Errorf("check evidence: %w", err)
	}
	if m.err != nil {
		return Verdict{}, fmt.Errorf("check evidence: %w", m.err)
	}

	v := Verdict{Size: m.n, SHA256: hex.EncodeToString(m.hash.Sum(nil))}
	switch {
	case m.n == 0:
		v.Reason = "The file is empty."
	case m.n > MaxSize:
		v.Reason = fmt.Sprintf("The file is larger than %d MB, the most a file may be.", MaxSize>>20)
	case !declaredOK:
		v.Reason = notAccepted(declaredType)
	case refusal != "":
		v.Reason = refusal
	default:
		v.Reason = m.finish(as, head, imageOK, detected, declared)
	}
	if v.Reason == "" {
		v.Accepted, v.Type = true, as
	}
	return v, nil
}

// classify returns the accepted type the file's content is checked as, given its first
// bytes, what mimetype made of them, and the declared type, or why the file is refused
// already: exactly one of the two is set.
func classify(head []byte, detected *mimetype.MIME, declared Type) (as, refusal string) {
	if markup(head) {
		content := describe(detected)
		if acceptedMIME(detected) {
			content = "HTML or XML markup, which is not accepted"
		}
		return "", mismatch(declared, content)
	}
	switch {
	case detected.Is(PDF):
		// mimetype takes "%PDF-" anywhere in the first 1024 bytes, before it looks
		// for executables: a program carrying the marker is "a PDF" to it.
		if bytes.HasPrefix(head, []byte("%PDF-")) {
			return agree(PDF, declared)
		}
		if isText(declared.MIME) {
			return declared.MIME, "" // text that mentions the marker; the text check decides
		}
		if declared.MIME == PDF {
			return "", "The file is not a well-formed PDF document: it does not begin with a PDF header."
		}
	case detected.Is(PNG), detected.Is("image/apng"):
		return agree(PNG, declared)
	case detected.Is(JPEG):
		return agree(JPEG, declared)
	case detected.Is(WebP):
		return agree(WebP, declared)
	case detected.Is(Text), detected.Is(CSV), detected.Is("text/tab-separated-values"):
		if isText(declared.MIME) {
			return declared.MIME, ""
		}
		kind := "plain text (text/plain)"
		if detected.Is(CSV) {
			kind = "a CSV file (text/csv)"
		}
		return "", mismatch(declared, kind)
	case detected.Parent() == nil:
		// Bytes no text file has: the text check says which.
		if isText(declared.MIME) {
			return declared.MIME, ""
		}
	case isZip(detected) && bytes.HasPrefix(head, []byte("PK\x03\x04")):
		// mimetype names OOXML and ODF files by their first entries only, and calls a
		// workbook whose "xl/" entries come late a plain ZIP: the file's own manifest
		// decides, once it is read whole.
		if isSpreadsheet(declared.MIME) {
			return declared.MIME, ""
		}
	}
	return "", mismatch(declared, describe(detected))
}

// markup reports whether a file starts as HTML, SVG or XML does: as a browser that
// ignored the Content-Type would sniff it (the WHATWG algorithm, net/http's), or with
// a tag after blank space, which no text or CSV evidence does and which an HTML
// parser would take for one (an "<svg onload=…>" without its namespace is plain text
// to both sniffers).
func markup(head []byte) bool {
	if sniffed := http.DetectContentType(head); strings.HasPrefix(sniffed, "text/html") || strings.HasPrefix(sniffed, "text/xml") {
		return true
	}
	rest := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\ufeff")), " \t\r\n\f")
	if len(rest) < 2 || rest[0] != '<' {
		return false
	}
	c := rest[1] | 0x20 // lower case, for letters
	return (c >= 'a' && c <= 'z') || rest[1] == '!' || rest[1] == '?' || rest[1] == '/'
}

// agree returns the content's type when it is the declared one, or why not.
func agree(content string, declared Type) (as, refusal string) {
	if content == declared.MIME {
		return content, ""
	}
	t, _ := lookup(content)
	return "", mismatch(declared, label(t))
}

// isZip reports whether mimetype's result is a ZIP archive or a format built on one.
func isZip(m *mimetype.MIME) bool {
	for ; m != nil; m = m.Parent() {
		if m.Is("application/zip") {
			return true
		}
	}
	return false
}

// acceptedMIME reports whether mimetype's result is one of the accepted types.
func acceptedMIME(m *mimetype.MIME) bool {
	for _, t := range types {
		if m.Is(t.MIME) {
			return true
		}
	}
	return false
}

// describe says what mimetype found, for a reason: "an Excel workbook (application/…)",
// "image/svg+xml (.svg), which is not accepted".
func describe(m *mimetype.MIME) string {
	for _, t := range types {
		if m.Is(t.MIME) {
			return label(t)
		}
	}
	if m.Parent() == nil {
		return "of a type we do not recognise"
	}
	media, _, err := mime.ParseMediaType(m.String())
	if err != nil {
		media = m.String()
	}
	return unaccepted(media, m.Extension())
}

// unaccepted names a type that is not accepted, for a reason.
func unaccepted(media, ext string) string {
	if ext != "" {
		media += " (" + ext + ")"
	}
	return media + ", which is not accepted"
}

// label names an accepted type in a sentence: "a PDF document (application/pdf)".
func label(t Type) string {
	article := "a "
	if strings.ContainsRune("AEIOUaeiou", rune(t.Name[0])) {
		article = "an "
	}
	return article + t.Name + " (" + t.MIME + ")"
}

// mismatch is the reason for a file whose content is not what was declared.
func mismatch(declared Type, content string) string {
	return fmt.Sprintf("The file was declared as %s but its content is %s.", label(declared), content)
}

// notAccepted is the reason for a declared type that is none of the accepted ones. It
// repeats the declared media type only as parsed, so nothing but a token of MIME
// characters goes back to the uploader.
func notAccepted(declaredType string) string {
	var exts []string
	for _, t := range types {
		exts = append(exts, t.Extensions[0])
	}
	list := strings.Join(exts[:len(exts)-1], ", ") + " or " + exts[len(exts)-1]
	media, _, err := mime.ParseMediaType(declaredType)
	if err != nil || len(media) > 100 {
		return "The file was sent without a type that is accepted; send a " + list + " file."
	}
	return fmt.Sprintf("Files of type %s are not accepted; send a %s file.", media, list)
}

// finish decides, once the whole file is read, whether it holds to the type it was
// checked as; it returns the reason for a refusal, or "".
func (m *meter) finish(as string, head []byte, imageOK bool, detected *mimetype.MIME, declared Type) string {
	switch as {
	case Text, CSV:
		if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
			return "The file is UTF-16 text; save it as UTF-8 and send it again."
		}
		return m.text.close()
	case XLSX, ODS:
		got, content, reason := inspectContainer(m.spool, m.spool.size)
		switch {
		case reason != "":
			return reason
		case got == declared.MIME:
			return ""
		case got != "":
			t, _ := lookup(got)
			content = label(t)
		case content != "":
		case acceptedMIME(detected):
			return damaged // mimetype saw a spreadsheet's first entries; nothing inside agrees
		default:
			content = describe(detected)
		}
		return mismatch(declared, content)
	}
	end := m.tail.bytes()
	switch as {
	case PDF:
		// The marker ends the file (PDF 32000-1, 7.5.5); readers look for it in the
		// last 1024 bytes, as Adobe's implementation notes say Acrobat does.
		if !bytes.Contains(end[max(0, len(end)-1024):], []byte("%%EOF")) {
			return "The file is not a complete PDF document: its end-of-file marker is missing."
		}
	case PNG, JPEG:
		if !imageOK {
			t, _ := lookup(as)
			return "The file is not a readable " + t.Name + "."
		}
	case WebP:
		if !webpHeader(head, m.n) {
			return "The file is not a well-formed WebP image."
		}
	}
	if zipEnd(end) {
		return "The file has a ZIP archive attached to its end, which is not accepted."
	}
	return ""
}

// webpHeader reports whether a WebP file's RIFF header is whole: "RIFF", the size of
// what follows, which must be the rest of the file (no data after the image), "WEBP",
// and a first chunk of a kind WebP defines.
func webpHeader(head []byte, size int64) bool {
	if len(head) < 20 || string(head[:4]) != "RIFF" || string(head[8:12]) != "WEBP" {
		return false
	}
	if int64(binary.LittleEndian.Uint32(head[4:8]))+8 != size {
		return false
	}
	switch string(head[12:16]) {
	case "VP8 ", "VP8L", "VP8X":
		return true
	}
	return false
}

// zipEndLen is the length of a ZIP end-of-central-directory record without its comment.
const zipEndLen = 22

// tailLen is how much of a file's end is kept: enough to hold a ZIP end record with the
// longest comment, which zip readers look for from the end of the file.
const tailLen = zipEndLen + 0xFFFF

// zipEnd reports whether b, the end of a file, holds a ZIP end-of-central-directory
// record that a zip reader would take: its signature, a comment that fits in the file,
// and disk numbers of a single-disk archive (0, or 0xFFFF throughout for ZIP64). These
// ten fixed bytes make a chance match in a compressed image or PDF all but impossible.
func zipEnd(b []byte) bool {
	sig := []byte("PK\x05\x06")
	for end := len(b); ; {
		i := bytes.LastIndex(b[:end], sig)
		if i < 0 {
			return false
		}
		end = i
		if len(b)-i < zipEndLen {
			continue
		}
		e := b[i:]
		disk, dirDisk := binary.LittleEndian.Uint16(e[4:]), binary.LittleEndian.Uint16(e[6:])
		onDisk, total := binary.LittleEndian.Uint16(e[8:]), binary.LittleEndian.Uint16(e[10:])
		comment := int(binary.LittleEndian.Uint16(e[20:]))
		if zipEndLen+comment <= len(e) && onDisk == total &&
			((disk == 0 && dirDisk == 0) || (disk == 0xFFFF && dirDisk == 0xFFFF && total == 0xFFFF)) {
			return true
		}
	}
}

// meter reads the file once, hashing and counting every byte, and hands the bytes to
// whichever checks the file's type needs.
type meter struct {
	r    io.Reader
	hash hash.Hash
	n    int64
	// err is the first read error other than EOF, kept because an image decoder that
	// meets it reports a broken image instead.
	err error

	text  *textCheck // text: UTF-8 and control characters
	tail  *tail      // PDF and images: the end of the file
	spool *spool     // spreadsheets: the whole file
}

func (m *meter) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	if n > 0 {
		m.hash.Write(p[:n])
		m.n += int64(n)
		m.feed(p[:n])
	}
	if err != nil && err != io.EOF && m.err == nil {
		m.err = err
	}
	return n, err
}

// feed hands bytes to the checks that are on.
func (m *meter) feed(p []byte) {
	if m.text != nil {
		m.text.write(p)
	}
	if m.tail != nil {
		m.tail.write(p)
	}
	if m.spool != nil {
		m.spool.write(p)
	}
}

// tail keeps the last tailLen bytes written to it.
type tail struct{ buf []byte }

func (t *tail) write(p []byte) {
	if t.buf == nil {
		t.buf = make([]byte, 0, 2*tailLen)
	}
	if len(p) >= tailLen {
		t.buf = append(t.buf[:0], p[len(p)-tailLen:]...)
		return
	}
	if len(t.buf)+len(p) > cap(t.buf) {
		keep := min(len(t.buf), tailLen-len(p))
		t.buf = t.buf[:copy(t.buf, t.buf[len(t.buf)-keep:])]
	}
	t.buf = append(t.buf, p...)
}

func (t *tail) bytes() []byte { return t.buf[max(0, len(t.buf)-tailLen):] }

// spool holds a whole file in chunks of spoolChunk bytes, so that holding one costs
// about its size (a growing slice would allocate twice that on the way), and reads it
// back at any offset, as a ZIP reader does.
type spool struct {
	chunks [][]byte
	size   int64
}

const spoolChunk = 256 << 10

func (s *spool) write(p []byte) {
	for len(p) > 0 {
		if len(s.chunks) == 0 || len(s.chunks[len(s.chunks)-1]) == spoolChunk {
			s.chunks = append(s.chunks, make([]byte, 0, spoolChunk))
		}
		last := &s.chunks[len(s.chunks)-1]
		n := min(len(p), spoolChunk-len(*last))
		*last = append(*last, p[:n]...)
		p = p[n:]
		s.size += int64(n)
	}
}

func (s *spool) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("spool: negative offset")
	}
	n := 0
	for n < len(p) && off < s.size {
		chunk := s.chunks[off/spoolChunk][off%spoolChunk:]
		c := copy(p[n:], chunk)
		n += c
		off += int64(c)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// textCheck follows text as it streams by: valid UTF-8, and no control character but
// tab, line feed and carriage return (no NUL, no escape, no C1 control), which
// spreadsheets and terminals would act on. A character cut between two reads is kept
// until its end arrives.
type textCheck struct {
	pending  [utf8.UTFMax]byte
	npending int
	reason   string
}

const (
	notUTF8     = "The file is not UTF-8 text; save it as UTF-8 and send it again."
	controlChar = "The file contains control characters (such as NUL bytes) that a text or CSV file cannot have."
)

func (t *textCheck) write(p []byte) {
	if t.reason != "" {
		return
	}
	for t.npending > 0 && len(p) > 0 {
		t.pending[t.npending] = p[0]
		t.npending++
		p = p[1:]
		if !utf8.FullRune(t.pending[:t.npending]) {
			continue
		}
		// The bytes came one at a time, so a valid character is all of them.
		if !t.char(utf8.DecodeRune(t.pending[:t.npending])) {
			return
		}
		t.npending = 0
	}
	for i := 0; i < len(p); {
		if c := p[i]; c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F {
				t.reason = controlChar
				return
			}
			i++
			continue
		}
		if !utf8.FullRune(p[i:]) {
			t.npending = copy(t.pending[:], p[i:])
			return
		}
		r, size := utf8.DecodeRune(p[i:])
		if !t.char(r, size) {
			return
		}
		i += size
	}
}

// char checks one character beyond ASCII.
func (t *textCheck) char(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size == 1:
		t.reason = notUTF8
	case r >= 0x80 && r <= 0x9F:
		t.reason = controlChar
	default:
		return true
	}
	return false
}

// close returns why the text is refused, or "": a character cut off by the end of the
// file is not UTF-8.
func (t *textCheck) close() string {
	if t.reason == "" && t.npending > 0 {
		t.reason = notUTF8
	}
	return t.reason
}
