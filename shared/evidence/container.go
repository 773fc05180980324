package evidence

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// An XLSX workbook and an ODS spreadsheet are ZIP archives of XML parts. What an
// archive holds is said inside it, not by its first bytes: OOXML files (ECMA-376 Part 2,
// Open Packaging Conventions) list each part's content type in [Content_Types].xml, and
// the main part's type tells a workbook from a macro-enabled workbook, a template or a
// Word document; ODF files (OASIS OpenDocument 1.3 Part 2) begin with an uncompressed
// "mimetype" entry naming the document's type, and list their parts in
// META-INF/manifest.xml.

const (
	damaged = "The file is not a readable spreadsheet: it is damaged or incomplete."
	// activeXLSX and activeODS refuse what runs or opens something when finance opens
	// the file: VBA macros, ActiveX controls, embedded OLE objects and packages (which
	// can carry a program), Basic and script libraries.
	activeXLSX = "The workbook contains macros, ActiveX controls or embedded objects, which are not accepted; remove them and save it as .xlsx again."
	activeODS  = "The spreadsheet contains macros, scripts or embedded objects, which are not accepted; remove them and save it as .ods again."
)

// partLimit bounds how much of a manifest part is read: a real one is a few kilobytes,
// and a compressed part could otherwise expand without end.
const partLimit = 1 << 20

// packageType is a type of OOXML or ODF package that is not accepted, as a reason names
// it.
type packageType struct{ mime, ext string }

// ooxmlMain maps the content type of an OOXML package's main part, in lower case (media
// types are case-insensitive), to the package's type.
var ooxmlMain = lowerKeys(map[string]packageType{
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml":         {XLSX, ".xlsx"},
	"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml":      {"application/vnd.openxmlformats-officedocument.spreadsheetml.template", ".xltx"},
	"application/vnd.ms-excel.sheet.macroEnabled.main+xml":                               {"application/vnd.ms-excel.sheet.macroEnabled.12", ".xlsm"},
	"application/vnd.ms-excel.template.macroEnabled.main+xml":                            {"application/vnd.ms-excel.template.macroEnabled.12", ".xltm"},
	"application/vnd.ms-excel.sheet.binary.macroEnabled.main":                            {"application/vnd.ms-excel.sheet.binary.macroEnabled.12", ".xlsb"},
	"application/vnd.ms-excel.addin.macroEnabled.main+xml":                               {"application/vnd.ms-excel.addin.macroEnabled.12", ".xlam"},
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml":   {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"},
	"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml":   {"application/vnd.openxmlformats-officedocument.wordprocessingml.template", ".dotx"},
	"application/vnd.ms-word.document.macroEnabled.main+xml":                             {"application/vnd.ms-word.document.macroEnabled.12", ".docm"},
	"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": {"application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"},
	"application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml":                   {"application/vnd.ms-powerpoint.presentation.macroEnabled.12", ".pptm"},
})

func lowerKeys(m map[string]packageType) map[string]packageType {
	out := make(map[string]packageType, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

// odfTypes gives the extensions of the ODF types a reason names.
var odfTypes = map[string]string{
	ODS: ".ods",
	"application/vnd.oasis.opendocument.spreadsheet-template":  ".ots",
	"application/vnd.oasis.opendocument.text":                  ".odt",
	"application/vnd.oasis.opendocument.presentation":          ".odp",
	"application/vnd.oasis.opendocument.graphics":              ".odg",
	"application/vnd.oasis.opendocument.formula":               ".odf",
	"application/vnd.oasis.opendocument.chart":                 ".odc",
	"application/vnd.oasis.opendocument.text-template":         ".ott",
	"application/vnd.oasis.opendocument.presentation-template": ".otp",
}

// inspectContainer says what a ZIP-based file of size bytes is: got is XLSX or ODS
// when it is a clean one of those; otherwise content names what else it is (or is
// empty when nothing inside says), or reason says why it cannot be accepted at all.
func inspectContainer(r io.ReaderAt, size int64) (got, content, reason string) {
	zr, err := zip.NewReader(r, size)
	if err != nil || len(zr.File) == 0 {
		return "", "", damaged
	}
	// Part names are case-insensitive (OPC), and two entries of one name are read
	// differently by different programs: a checker could see one and Excel the other.
	files := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		name := strings.ToLower(f.Name)
		if _, dup := files[name]; dup {
			return "", "", damaged
		}
		files[name] = f
	}
	if first := zr.File[0]; first.Name == "mimetype" {
		return inspectODF(first, files)
	}
	if f := files["[content_types].xml"]; f != nil {
		return inspectOOXML(f, files)
	}
	return "", "", "" // a ZIP of another kind, as mimetype names it
}

// inspectODF inspects an OpenDocument package whose first entry is mimetype.
func inspectODF(first *zip.File, files map[string]*zip.File) (got, content, reason string) {
	raw, err := readPart(first, 200)
	if err != nil || first.Method != zip.Store {
		return "", "", damaged
	}
	kind := string(raw)
	if kind != ODS {
		if ext, ok := odfTypes[kind]; ok {
			return "", unaccepted(kind, ext), ""
		}
		return "", "", damaged
	}
	if files["content.xml"] == nil || files["meta-inf/manifest.xml"] == nil {
		return "", "", damaged
	}
	for name := range files {
		if strings.HasPrefix(name, "basic/") || strings.HasPrefix(name, "scripts/") {
			return "", "", activeODS
		}
	}
	raw, err = readPart(files["meta-inf/manifest.xml"], partLimit)
	if err != nil {
		return "", "", damaged
	}
	var manifest struct {
		Entries []struct {
			Type string `xml:"media-type,attr"`
		} `xml:"file-entry"`
	}
	if xml.Unmarshal(raw, &manifest) != nil {
		return "", "", damaged
	}
	for _, e := range manifest.Entries {
		// Embedded OLE objects; charts and formulas are ODF documents of their own.
		if t := strings.ToLower(e.Type); strings.Contains(t, "oleobject") || strings.Contains(t, "basic") || strings.Contains(t, "script") {
			return "", "", activeODS
		}
	}
	return ODS, "", ""
}

// inspectOOXML inspects an OOXML package by its [Content_Types].xml.
func inspectOOXML(f *zip.File, files map[string]*zip.File) (got, content, reason string) {
	raw, err := readPart(f, partLimit)
	if err != nil {
		return "", "", damaged
	}
	var types struct {
		Defaults []struct {
			ContentType string `xml:"ContentType,attr"`
		} `xml:"Default"`
		Overrides []struct {
			PartName    string `xml:"PartName,attr"`
			ContentType string `xml:"ContentType,attr"`
		} `xml:"Override"`
	}
	if xml.Unmarshal(raw, &types) != nil {
		return "", "", damaged
	}
	var main packageType
	var mainPart string
	active := false
	for _, o := range types.Overrides {
		if p, ok := ooxmlMain[strings.ToLower(o.ContentType)]; ok {
			if mainPart != "" {
				return "", "", damaged // two main parts: no program agrees on which counts
			}
			main, mainPart = p, o.PartName
		}
		active = active || activeContentType(o.ContentType)
	}
	for _, d := range types.Defaults {
		active = active || activeContentType(d.ContentType)
	}
	if mainPart == "" {
		return "", "", damaged
	}
	if main.mime != XLSX {
		return "", unaccepted(main.mime, main.ext), ""
	}
	if files[strings.ToLower(strings.TrimPrefix(mainPart, "/"))] == nil || files["_rels/.rels"] == nil {
		return "", "", damaged
	}
	for name := range files {
		if strings.HasSuffix(name, "vbaproject.bin") || strings.Contains(name, "/activex/") || strings.Contains(name, "/embeddings/") {
			active = true
		}
	}
	if active {
		return "", "", activeXLSX
	}
	return XLSX, "", ""
}

// activeContentType reports whether an OOXML content type is of a part that runs or
// embeds something: a VBA project or its signature, an ActiveX control, an OLE object,
// or a macro-enabled part.
func activeContentType(ct string) bool {
	ct = strings.ToLower(ct)
	for _, s := range []string{"vbaproject", "macroenabled", "activex", "oleobject"} {
		if strings.Contains(ct, s) {
			return true
		}
	}
	return false
}

// errPartTooLarge is readPart's error for a part longer than its limit.
var errPartTooLarge = errors.New("part too large")

// readPart reads an entry of at most limit bytes.
func readPart(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errPartTooLarge
	}
	return b, nil
}
