package server

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/luaws/luaws/errlog"
)

// Dav is ngx_http_dav_module in front of a location's static files: the methods
// dav_methods names (PUT, DELETE, MKCOL, COPY, MOVE) change the files under the root with
// nginx's statuses and error lines; other methods go to the static handler. Files and
// directories it creates get dav_access's permissions; create_full_put_path makes a PUT's
// missing directories; min_delete_depth guards DELETE. Locks and properties (PROPFIND,
// LOCK...) are not part of nginx's module either.
type Dav struct {
	*Static
	Methods        map[string]bool
	Access         os.FileMode // dav_access, for files (directories add x where r is)
	CreateFullPath bool
	MinDeleteDepth int
}

func (d *Dav) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !d.Methods[r.Method] {
		d.Static.ServeHTTP(w, r)
		return
	}
	uri := r.URL.Path
	if uri == "" {
		uri = "/"
	}
	status := 0
	switch r.Method {
	case "PUT":
		status = d.put(w, r, uri)
	case "DELETE":
		status = d.delete(r, uri)
	case "MKCOL":
		status = d.mkcol(w, r, uri)
	default:
		status = d.copyMove(r, uri)
	}
	if status == http.StatusCreated || status == http.StatusNoContent {
		if status == http.StatusCreated {
			w.Header().Set("Content-Length", "0")
		}
		w.WriteHeader(status)
		return
	}
	writeSpecial(w, r, status)
}

func (d *Dav) errf(r *http.Request, level int, format string, args ...any) {
	d.logf(r, level, format, args...)
}

func hasBody(r *http.Request) bool { return r.ContentLength > 0 || len(r.TransferEncoding) > 0 }

// davError is ngx_http_dav_error: the status and log level for a failed file operation.
func (d *Dav) davError(r *http.Request, err error, notFound int, op, path string) int {
	rc, level := http.StatusInternalServerError, errlog.Crit
	switch {
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.ENAMETOOLONG):
		rc, level = notFound, errlog.Err
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		rc, level = http.StatusForbidden, errlog.Err
	case errors.Is(err, syscall.EEXIST):
		rc, level = http.StatusMethodNotAllowed, errlog.Err
	case errors.Is(err, syscall.ENOSPC):
		rc = http.StatusInsufficientStorage
	}
	d.errf(r, level, "%s \"%s\" failed (%s)", op, path, errnoText(err))
	return rc
}

func dirAccess(m os.FileMode) os.FileMode { return m | (m&0444)>>2 }

func (d *Dav) put(w http.ResponseWriter, r *http.Request, uri string) int {
	if strings.HasSuffix(uri, "/") {
		d.errf(r, errlog.Err, "cannot PUT to a collection")
		return http.StatusConflict
	}
	if r.Header.Get("Content-Range") != "" {
		d.errf(r, errlog.Err, "PUT with range is unsupported")
		return http.StatusNotImplemented
	}
	path := d.file(uri)
	status := http.StatusCreated
	if st, err := os.Stat(path); err == nil {
		status = http.StatusNoContent
		if st.IsDir() {
			d.errf(r, errlog.Err, "\"%s\" could not be created (21: Is a directory)", path)
			return http.StatusConflict
		}
	}
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); err != nil && !d.CreateFullPath {
		// nginx's body is in a temporary file whose rename fails
		d.errf(r, errlog.Crit, "rename() of the request body to \"%s\" failed (%s)", path, errnoText(err))
		return http.StatusInternalServerError
	}
	if d.CreateFullPath {
		if err := os.MkdirAll(dir, dirAccess(d.Access)); err != nil {
			return d.davError(r, err, http.StatusConflict, "mkdir()", dir)
		}
	}
	tmp, err := os.CreateTemp(dir, ".luaws-put-")
	if err != nil {
		return d.davError(r, err, http.StatusConflict, "open()", dir)
	}
	defer os.Remove(tmp.Name())
	if r.Body != nil {
		if _, err := io.Copy(tmp, r.Body); err != nil {
			tmp.Close()
			return http.StatusBadRequest
		}
	}
	tmp.Close()
	_ = os.Chmod(tmp.Name(), d.Access)
	if t, err := http.ParseTime(r.Header.Get("Date")); err == nil {
		_ = os.Chtimes(tmp.Name(), t, t)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return d.davError(r, err, http.StatusInternalServerError, "rename()", path)
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", absoluteLocation(r, (&url.URL{Path: uri}).EscapedPath()))
	}
	return status
}

func (d *Dav) delete(r *http.Request, uri string) int {
	if hasBody(r) {
		d.errf(r, errlog.Err, "DELETE with body is unsupported")
		return http.StatusUnsupportedMediaType
	}
	if d.MinDeleteDepth > 0 {
		depth, ok := 0, false
		for i := 0; i < len(uri); i++ {
			if uri[i] == '/' {
				depth++
				if depth >= d.MinDeleteDepth && i+1 < len(uri) {
					ok = true
					break
				}
			}
		}
		if !ok {
			d.errf(r, errlog.Err, "insufficient URI depth:%d to DELETE", depth)
			return http.StatusConflict
		}
	}
	path := d.file(uri)
	st, err := os.Lstat(path)
	if err != nil {
		nf := http.StatusNotFound
		if errors.Is(err, syscall.ENOTDIR) {
			nf = http.StatusConflict
		}
		return d.davError(r, err, nf, "lstat()", path)
	}
	depth := r.Header.Get("Depth")
	if st.IsDir() {
		if !strings.HasSuffix(uri, "/") {
			d.errf(r, errlog.Err, "DELETE \"%s\" failed (21: Is a directory)", path)
			return http.StatusConflict
		}
		if depth != "" && depth != "infinity" {
			d.errf(r, errlog.Err, "\"Depth\" header must be infinity")
			return http.StatusBadRequest
		}
	} else if depth != "" && depth != "0" && depth != "infinity" {
		d.errf(r, errlog.Err, "\"Depth\" header must be 0 or infinity")
		return http.StatusBadRequest
	}
	if err := os.RemoveAll(strings.TrimSuffix(path, "/")); err != nil {
		return d.davError(r, err, http.StatusNotFound, "unlink()", path)
	}
	return http.StatusNoContent
}

func (d *Dav) mkcol(w http.ResponseWriter, r *http.Request, uri string) int {
	if hasBody(r) {
		d.errf(r, errlog.Err, "MKCOL with body is unsupported")
		return http.StatusUnsupportedMediaType
	}
	if !strings.HasSuffix(uri, "/") {
		d.errf(r, errlog.Err, "MKCOL can create a collection only")
		return http.StatusConflict
	}
	path := strings.TrimSuffix(d.file(uri), "/")
	if err := os.Mkdir(path, dirAccess(d.Access)); err != nil {
		return d.davError(r, err, http.StatusConflict, "mkdir()", path)
	}
	w.Header().Set("Location", absoluteLocation(r, (&url.URL{Path: uri}).EscapedPath()))
	return http.StatusCreated
}

// destination is the path part of the Destination header, checked as nginx does.
func (d *Dav) destination(r *http.Request) (string, int) {
	dest := r.Header.Get("Destination")
	if _, ok := r.Header["Destination"]; !ok {
		d.errf(r, errlog.Err, "client sent no \"Destination\" header")
		return "", http.StatusBadRequest
	}
	p := dest
	if !strings.HasPrefix(dest, "/") {
		if r.Host == "" {
			d.errf(r, errlog.Err, "client sent no \"Host\" header")
			return "", http.StatusBadRequest
		}
		host, ok := strings.CutPrefix(dest, "http://")
		if !ok {
			d.errf(r, errlog.Err, "client sent invalid \"Destination\" header: \"%s\"", dest)
			return "", http.StatusBadRequest
		}
		if !strings.HasPrefix(host, r.Host) {
			d.errf(r, errlog.Err, "\"Destination\" URI \"%s\" is handled by different repository than the source URI", dest)
			return "", http.StatusBadRequest
		}
		i := strings.IndexByte(host[len(r.Host):], '/')
		if i < 0 {
			d.errf(r, errlog.Err, "client sent invalid \"Destination\" header: \"%s\"", dest)
			return "", http.StatusBadRequest
		}
		p = host[len(r.Host)+i:]
	}
	p, _, _ = strings.Cut(p, "?")
	u, err := url.PathUnescape(p)
	if err != nil || strings.Contains("/"+u+"/", "/../") {
		d.errf(r, errlog.Err, "client sent invalid \"Destination\" header: \"%s\"", dest)
		return "", http.StatusBadRequest
	}
	return u, 0
}

func (d *Dav) copyMove(r *http.Request, uri string) int {
	if hasBody(r) {
		d.errf(r, errlog.Err, "COPY and MOVE with body are unsupported")
		return http.StatusUnsupportedMediaType
	}
	duri, rc := d.destination(r)
	if rc != 0 {
		return rc
	}
	if strings.HasSuffix(uri, "/") != strings.HasSuffix(duri, "/") {
		d.errf(r, errlog.Err, "both URI \"%s\" and \"Destination\" URI \"%s\" should be either collections or non-collections", uri, r.Header.Get("Destination"))
		return http.StatusConflict
	}
	if depth := r.Header.Get("Depth"); depth != "" && depth != "infinity" {
		if r.Method == "MOVE" || depth != "0" {
			msg := "\"Depth\" header must be infinity"
			if r.Method == "COPY" {
				msg = "\"Depth\" header must be 0 or infinity"
			}
			d.errf(r, errlog.Err, "%s", msg)
			return http.StatusBadRequest
		}
	}
	overwrite := true
	if o, ok := r.Header["Overwrite"]; ok {
		switch strings.ToUpper(strings.Join(o, "")) {
		case "T":
		case "F":
			overwrite = false
		default:
			d.errf(r, errlog.Err, "client sent invalid \"Overwrite\" header: \"%s\"", strings.Join(o, ""))
			return http.StatusBadRequest
		}
	}
	src := strings.TrimSuffix(d.file(uri), "/")
	dst := strings.TrimSuffix(d.file(duri), "/")
	if st, err := os.Lstat(dst); err == nil {
		if st.IsDir() && !strings.HasSuffix(duri, "/") {
			d.errf(r, errlog.Err, "\"%s\" could not be %sed to collection \"%s\"", uri, r.Method, r.Header.Get("Destination"))
			return http.StatusConflict
		}
		if !overwrite {
			d.errf(r, errlog.Err, "\"%s\" could not be created (17: File exists)", dst)
			return http.StatusPreconditionFailed
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return d.davError(r, err, http.StatusNotFound, "lstat()", dst)
	} else {
		overwrite = false
	}
	st, err := os.Lstat(src)
	if err != nil {
		return d.davError(r, err, http.StatusNotFound, "lstat()", src)
	}
	if st.IsDir() {
		if !strings.HasSuffix(uri, "/") {
			d.errf(r, errlog.Err, "\"%s\" is collection", uri)
			return http.StatusBadRequest
		}
		if overwrite {
			if err := os.RemoveAll(dst); err != nil {
				return d.davError(r, err, http.StatusNotFound, "rmdir()", dst)
			}
		}
		if r.Method == "MOVE" && os.Rename(src, dst) == nil {
			return http.StatusCreated
		}
		if err := copyTree(src, dst); err != nil {
			return d.davError(r, err, http.StatusNotFound, "copy", dst)
		}
		if r.Method == "MOVE" {
			_ = os.RemoveAll(src)
		}
		return http.StatusCreated
	}
	if r.Method == "MOVE" {
		if err := os.MkdirAll(filepath.Dir(dst), dirAccess(d.Access)); err != nil {
			return d.davError(r, err, http.StatusConflict, "mkdir()", filepath.Dir(dst))
		}
		if err := os.Rename(src, dst); err != nil {
			d.errf(r, errlog.Crit, "rename() \"%s\" to \"%s\" failed (%s)", src, dst, errnoText(err))
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	}
	if err := copyFile(src, dst, st); err != nil {
		d.errf(r, errlog.Crit, "%v", err)
		return http.StatusInternalServerError
	}
	return http.StatusNoContent
}

// copyFile copies src to dst with src's permissions and modification time.
func copyFile(src, dst string, st fs.FileInfo) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("open() \"%s\" failed (%s)", src, errnoText(err))
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		return fmt.Errorf("open() \"%s\" failed (%s)", dst, errnoText(err))
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("write() \"%s\" failed (%s)", dst, errnoText(err))
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("close() \"%s\" failed (%s)", dst, errnoText(err))
	}
	return os.Chtimes(dst, time.Now(), st.ModTime())
}

// copyTree copies the directory src to dst, files and directories.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, err := e.Info()
		if err != nil {
			return err
		}
		target := dst + strings.TrimPrefix(p, src)
		if e.IsDir() {
			return os.MkdirAll(target, st.Mode().Perm())
		}
		if !st.Mode().IsRegular() {
			return nil
		}
		return copyFile(p, target, st)
	})
}

// parseDavAccess reads dav_access's "user:rw group:r all:r" (user may be left out).
func parseDavAccess(args []string) (os.FileMode, error) {
	m := os.FileMode(0600)
	for _, a := range args {
		who, perm, ok := strings.Cut(a, ":")
		if !ok || (perm != "r" && perm != "rw") {
			return 0, fmt.Errorf("invalid value \"%s\"", a)
		}
		bits := os.FileMode(4)
		if perm == "rw" {
			bits = 6
		}
		switch who {
		case "user":
			m = m&^0700 | bits<<6
		case "group":
			m |= bits << 3
		case "all":
			m |= bits
		default:
			return 0, fmt.Errorf("invalid value \"%s\"", a)
		}
	}
	return m, nil
}
