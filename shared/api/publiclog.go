package api

import (
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sponsorship-tracker/sponsorship-tracker/shared/ledger"
)

// NewPublic builds the public function's API, answered to anyone without signing in:
// the verifiable log of the audit trail under /log/ (C2SP tlog-tiles and
// tlog-checkpoint, the verifier key, and inclusion proofs) and, WithRegister, the
// public register under /register.
func NewPublic(log ledger.Reader, verifierKey string, logger *slog.Logger, opts ...PublicOption) http.Handler {
	rt := newRouter()
	l := &publicLog{log: log, key: verifierKey}
	rt.handle("GET /log/checkpoint", l.checkpoint)
	rt.handle("GET /log/key", l.verifierKey)
	rt.handle("GET /log/tile/{path...}", l.tile)
	rt.handle("GET /log/proof/{index}", l.proof)
	reg := &publicRegister{pages: map[string]*template.Template{}}
	for _, o := range opts {
		o(reg)
	}
	if reg.store != nil {
		reg.routes(rt)
	}
	rt.api = everyRoute
	return withBasics(logger, rt)
}

type publicLog struct {
	log ledger.Reader
	key string
}

// cacheable writes a public response that caches may keep for maxAge seconds (0:
// revalidate each time), with an ETag of its bytes, or 304 when the caller has them.
func cacheable(w http.ResponseWriter, r *http.Request, contentType string, maxAge int, immutable bool, body []byte) error {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	cc := "public, max-age=" + strconv.Itoa(maxAge)
	if immutable {
		cc += ", immutable"
	} else if maxAge == 0 {
		cc = "public, no-cache"
	}
	h.Set("Cache-Control", cc)
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return nil
}

func (l *publicLog) checkpoint(w http.ResponseWriter, r *http.Request) error {
	signed, _, err := l.log.Checkpoint(r.Context())
	if err != nil {
		return err
	}
	if signed == nil {
		return newHTTPError(http.StatusNotFound, "not-found", "No checkpoint yet",
			"The log has no signed checkpoint yet; one follows its first event within seconds.")
	}
	// A checkpoint changes as the log grows: caches may keep it a few seconds.
	return cacheable(w, r, "text/plain; charset=utf-8", 5, false, signed)
}

func (l *publicLog) verifierKey(w http.ResponseWriter, r *http.Request) error {
	return cacheable(w, r, "text/plain; charset=utf-8", 3600, false, []byte(l.key+"\n"))
}

// tile answers a hash tile or an entry bundle, full or partial. A partial tile is the
// first W hashes or entries of what is stored, which later appends only extend: once
// served, its bytes never change, and neither do a full tile's.
func (l *publicLog) tile(w http.ResponseWriter, r *http.Request) error {
	t, err := ledger.ParsePath("tile/" + r.PathValue("path"))
	if err != nil {
		return newHTTPError(http.StatusNotFound, "not-found", "No such tile",
			"Tile paths are tile/<level>/<N>[.p/<width>] and tile/entries/<N>[.p/<width>], as C2SP tlog-tiles defines them.")
	}
	data, err := l.log.ReadTiles(r.Context(), []tlog.Tile{t})
	if err != nil {
		return err
	}
	body, ok := ledger.TilePrefix(t, data[0])
	if !ok {
		return newHTTPError(http.StatusNotFound, "not-found", "No such tile",
			"The log is not that large yet: read its checkpoint for the tree size.")
	}
	return cacheable(w, r, "application/octet-stream", 31536000, true, body)
}

// proof answers a leaf's inclusion proof in the tree of the current checkpoint.
func (l *publicLog) proof(w http.ResponseWriter, r *http.Request) error {
	index, err := strconv.ParseInt(r.PathValue("index"), 10, 64)
	if err != nil || index < 0 {
		return newHTTPError(http.StatusNotFound, "not-found", "No such leaf", "Leaves are numbered 0, 1, 2, … in the order they were appended.")
	}
	p, err := ledger.Prove(r.Context(), l.log, index)
	if err != nil {
		return err
	}
	if p == nil {
		return newHTTPError(http.StatusNotFound, "not-found", "No such leaf",
			"The current checkpoint's tree has no leaf with this index yet.")
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}
