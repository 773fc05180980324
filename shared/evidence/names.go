package evidence

import (
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxSegment bounds each folder or file name of an entry, in bytes: file systems allow
// 255, and the folder finance extracts into takes its share of a path.
const maxSegment = 120

// entryNames returns a safe, unique entry name for each path, in order. Uploaders name
// their files, and an archive is extracted by programs that trust names: a name with
// ".." or a leading "/" writes outside the folder it is extracted into, a backslash is
// a separator on Windows, control characters and Unicode direction overrides hide what
// a name says ("invoice\u202Efdp.exe" reads "invoiceexe.pdf"). Names are compared
// without case, as Windows and macOS file systems do, and a name taken by an earlier
// entry, by a folder, or by the manifest gets a suffix: "quote (2).pdf".
func entryNames(paths []string) []string {
	names := make([]string, len(paths))
	folders := make(map[string]bool)
	for i, p := range paths {
		names[i] = safePath(p)
		for dir := path.Dir(names[i]); dir != "."; dir = path.Dir(dir) {
			folders[strings.ToLower(dir)] = true
		}
	}
	taken := map[string]bool{strings.ToLower(manifestName): true}
	for i, name := range names {
		unique := name
		for n := 2; taken[strings.ToLower(unique)] || folders[strings.ToLower(unique)]; n++ {
			unique = withSuffix(name, n)
		}
		taken[strings.ToLower(unique)] = true
		names[i] = unique
	}
	return names
}

// safePath makes a caller's path a relative, clean entry name of safe folder and file
// names separated by "/".
func safePath(p string) string {
	p = strings.ReplaceAll(strings.ToValidUTF8(p, "\uFFFD"), `\`, "/")
	var segments []string
	for _, s := range strings.Split(p, "/") {
		if s = safeSegment(s); s != "" {
			segments = append(segments, s)
		}
	}
	if len(segments) == 0 {
		return "file"
	}
	return strings.Join(segments, "/")
}

// safeSegment makes one folder or file name safe: control and direction-override
// characters and the characters Windows forbids become "_", leading spaces and
// trailing dots and spaces go (Windows drops them, so "..", "." and "a. " would mean
// something else once extracted), a Windows device name or a name that starts with
// = + - or @ (a formula to a spreadsheet, an option to a command) gets a "_" in front,
// and a long name is cut, keeping its extension.
func safeSegment(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r < 0x20, r == 0x7F, r >= 0x80 && r <= 0x9F,
			r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F,
			strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		}
		return r
	}, s)
	s = strings.TrimRight(strings.TrimLeft(s, " "), ". ")
	if s == "" {
		return ""
	}
	if stem, _, _ := strings.Cut(s, "."); windowsDevice(stem) || strings.ContainsRune("=+-@", rune(s[0])) {
		s = "_" + s
	}
	if len(s) > maxSegment {
		ext := path.Ext(s)
		if len(ext) > 16 {
			ext = ""
		}
		s = strings.TrimRight(truncate(s[:len(s)-len(ext)], maxSegment-len(ext))+ext, ". ")
	}
	return s
}

// windowsDevice reports whether a name's stem is one Windows reserves for a device
// whatever the extension: CON, PRN, AUX, NUL, COM1-9, LPT1-9.
func windowsDevice(stem string) bool {
	switch strings.ToUpper(strings.TrimRight(stem, " ")) {
	case "CON", "PRN", "AUX", "NUL",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return true
	}
	return false
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// withSuffix numbers a name before its extension: "a/quote.pdf", 2 -> "a/quote (2).pdf".
func withSuffix(name string, n int) string {
	dir, file := path.Split(name)
	ext := path.Ext(file)
	if ext == file {
		ext = "" // ".profile" is all stem
	}
	return dir + file[:len(file)-len(ext)] + " (" + strconv.Itoa(n) + ")" + ext
}
