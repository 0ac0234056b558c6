package keysource

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Environment variables holding PEM text, consulted only when the
// corresponding option (flag) is empty.
const (
	EnvCertificate   = "ROAM_CERTIFICATE"
	EnvPrivateKey    = "ROAM_PRIVATE_KEY"
	EnvIntermediates = "ROAM_INTERMEDIATES"
)

// StdinName is the option value that reads standard input.
const StdinName = "-"

// maxInputSize bounds what is read from any one input, so that a device or
// an endless pipe named by mistake fails instead of exhausting memory.
const maxInputSize = 4 << 20

// inputKind says where an input's bytes come from.
type inputKind int

const (
	inputNone inputKind = iota // not given
	inputFile                  // a regular file, re-read when it changes
	inputData                  // fixed bytes: stdin, environment, or a pipe read at Open
	inputURI                   // a pkcs11: or handle: identifier
)

// input is one of the certificate, key and intermediates inputs.
type input struct {
	kind inputKind
	// name says where the input comes from in messages: a path, "standard
	// input" or "$ROAM_PRIVATE_KEY". It is never a URI (which may hold a PIN).
	name   string
	path   string // inputFile
	data   []byte // inputData
	uri    string // inputURI; may hold a PIN, never print it
	scheme string // inputURI: "pkcs11" or "handle"
}

func (in *input) given() bool { return in.kind != inputNone }

// read returns the input's current bytes.
func (in *input) read() ([]byte, error) {
	switch in.kind {
	case inputFile:
		return readFile(in.path)
	case inputData:
		return in.data, nil
	}
	return nil, fmt.Errorf("%s is not a file", in.name)
}

// inputs are the three inputs Open works from.
type inputs struct {
	cert, key, chain input
}

// keyInput returns the input holding the key: the private key if given,
// otherwise the certificate.
func (in *inputs) keyInput() *input {
	if in.key.given() {
		return &in.key
	}
	return &in.cert
}

// files returns the inputs to watch for changes.
func (in *inputs) files() []*input {
	var fs []*input
	for _, i := range []*input{&in.cert, &in.key, &in.chain} {
		if i.kind == inputFile {
			fs = append(fs, i)
		}
	}
	return fs
}

// resolveInputs turns the options into inputs, applying the flag > env
// precedence and reading standard input (once) and non-regular files.
func resolveInputs(opts Options) (*inputs, error) {
	r := &resolver{opts: opts}
	var in inputs
	var err error
	if in.cert, err = r.resolve(opts.Certificate, EnvCertificate, ErrCertificatePEM); err != nil {
		return nil, err
	}
	if in.key, err = r.resolve(opts.PrivateKey, EnvPrivateKey, ErrPrivateKey); err != nil {
		return nil, err
	}
	if opts.Intermediates == StdinName {
		data, err := r.readStdin(ErrChain)
		if err != nil {
			return nil, err
		}
		// Standard input is split by block type: the intermediates are its
		// certificates, less the leaf when that comes from there too.
		in.chain = input{kind: inputData, name: "standard input",
			data: certificateBlocks(data, opts.Certificate == StdinName)}
	} else if in.chain, err = r.resolve(opts.Intermediates, EnvIntermediates, ErrChain); err != nil {
		return nil, err
	}
	if in.cert.kind == inputURI && in.cert.scheme != BackendPKCS11 {
		return nil, failf(ErrCertificatePEM, "a certificate cannot be a TPM handle; pass the certificate file with --certificate")
	}
	if in.chain.kind == inputURI {
		return nil, failf(ErrChain, "--intermediates must name a PEM file, not a URI")
	}
	return &in, nil
}

// resolver resolves option values, reading standard input at most once.
type resolver struct {
	opts      Options
	stdin     []byte
	stdinErr  error
	stdinDone bool
}

// resolve turns one option value into an input. An empty value falls back
// to the environment variable env. Errors wrap sentinel.
func (r *resolver) resolve(value, env string, sentinel error) (input, error) {
	switch {
	case value == StdinName:
		data, err := r.readStdin(sentinel)
		if err != nil {
			return input{}, err
		}
		return input{kind: inputData, name: "standard input", data: data}, nil
	case strings.HasPrefix(value, "pkcs11:"):
		return input{kind: inputURI, name: "the pkcs11: URI", uri: value, scheme: BackendPKCS11}, nil
	case strings.HasPrefix(value, "handle:"):
		return input{kind: inputURI, name: "TPM handle " + value, uri: value, scheme: "handle"}, nil
	case value != "":
		return resolveFile(value, sentinel)
	}
	if r.opts.Getenv == nil {
		return input{}, nil
	}
	text := r.opts.Getenv(env)
	if text == "" {
		return input{}, nil
	}
	name := "$" + env
	if !strings.Contains(text, "-----BEGIN") {
		return input{}, failf(sentinel, "%s holds no PEM data; it must hold PEM text (-----BEGIN ...), not a file name", name)
	}
	// Some CI systems flatten multi-line secrets into literal "\n" escapes.
	if !strings.Contains(text, "\n") {
		text = strings.ReplaceAll(text, `\n`, "\n")
	}
	return input{kind: inputData, name: name, data: []byte(text)}, nil
}

// resolveFile returns a file input. Regular files are re-read when they
// change; anything else (a pipe from process substitution, a device) can be
// read only once, so it is read now.
func resolveFile(path string, sentinel error) (input, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return input{}, failf(sentinel, "%w", err)
	}
	if fi.Mode().IsRegular() {
		return input{kind: inputFile, name: path, path: path}, nil
	}
	if fi.IsDir() {
		return input{}, failf(sentinel, "%s is a directory", path)
	}
	data, err := readFile(path)
	if err != nil {
		return input{}, failf(sentinel, "%w", err)
	}
	return input{kind: inputData, name: path, data: data}, nil
}

func (r *resolver) readStdin(sentinel error) ([]byte, error) {
	if !r.stdinDone {
		r.stdinDone = true
		if r.opts.Stdin == nil {
			r.stdinErr = fmt.Errorf("standard input is not available")
		} else {
			r.stdin, r.stdinErr = readLimited(r.opts.Stdin, "standard input")
		}
	}
	if r.stdinErr != nil {
		return nil, failf(sentinel, "%w", r.stdinErr)
	}
	return r.stdin, nil
}

// readFile reads a whole file of at most maxInputSize bytes.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, path)
}

func readLimited(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxInputSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(data) > maxInputSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, maxInputSize>>20)
	}
	return data, nil
}

// certificateBlocks returns the CERTIFICATE blocks of data re-encoded as
// PEM, without the first one if skipFirst.
func certificateBlocks(data []byte, skipFirst bool) []byte {
	var out bytes.Buffer
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != pemCertificate {
			continue
		}
		if skipFirst {
			skipFirst = false
			continue
		}
		_ = pem.Encode(&out, &pem.Block{Type: b.Type, Bytes: b.Bytes}) // writes to a bytes.Buffer cannot fail
	}
	return out.Bytes()
}

// racyWindow is how close to the time it is examined a file's modification
// time must be for the file to count as possibly still changing. File
// systems record modification times in coarse ticks (a few milliseconds on
// Linux), so a file rewritten twice within a tick, with the same size,
// looks unchanged; a load from such a file is not trusted, and the next
// access loads again, as git does for its index.
const racyWindow = 2 * time.Second

// stamp records what a file looked like when it was last read.
type stamp struct {
	info os.FileInfo // nil when the file could not be examined
	racy bool        // modified within racyWindow of being examined
}

func statFile(path string) stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}
	}
	age := time.Since(fi.ModTime())
	return stamp{info: fi, racy: age < racyWindow && age > -racyWindow}
}

// unchanged reports whether the file now, as described by cur, is certainly
// the file that was read when prev was taken.
func (prev stamp) unchanged(cur stamp) bool {
	return prev.info != nil && cur.info != nil && !prev.racy &&
		prev.info.Size() == cur.info.Size() &&
		prev.info.ModTime().Equal(cur.info.ModTime()) &&
		os.SameFile(prev.info, cur.info)
}
