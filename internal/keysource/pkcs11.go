//go:build cgo

package keysource

// The PKCS#11 backend: keys in hardware tokens, smart cards and HSMs,
// reached through a PKCS#11 module loaded with dlopen (hence cgo). See the
// comment at the top of pkcs11_uri.go for how a key, its certificate and
// the module are chosen.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/pkcs11"
)

func init() {
	Register(BackendPKCS11, BackendFunc(openPKCS11))
}

// maxObjects bounds how many objects one search collects, in case a module
// never says it is done.
const maxObjects = 10000

// p11Module is a loaded and initialised PKCS#11 module, shared by every
// Source that uses it: a module may be initialised once per process, and
// finalising it ends every session, so it is finalised when the last user
// releases it.
type p11Module struct {
	key  string
	path string
	ctx  *pkcs11.Ctx
	info pkcs11.Info
	refs int // guarded by p11Modules
}

var p11Modules = struct {
	sync.Mutex
	m map[string]*p11Module
}{m: make(map[string]*p11Module)}

// acquirePKCS11Module loads (or shares) the module at path: a file name
// looked up in the library search path, or a path.
func acquirePKCS11Module(path string) (*p11Module, error) {
	key := path
	if strings.ContainsRune(path, os.PathSeparator) || strings.ContainsRune(path, '/') {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("%w %s: %v", ErrPKCS11Module, path, err)
		}
		if p, err := filepath.EvalSymlinks(path); err == nil {
			key = p
		}
	}
	p11Modules.Lock()
	defer p11Modules.Unlock()
	if m := p11Modules.m[key]; m != nil {
		m.refs++
		return m, nil
	}
	ctx := pkcs11.New(path)
	if ctx == nil {
		return nil, fmt.Errorf("%w %s: it could not be loaded (it is not in the library search path, or is not a shared library); "+
			"name the module with --pkcs11-lib or the URI's module-path", ErrPKCS11Module, path)
	}
	if err := ctx.Initialize(); err != nil && !isP11(err, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		ctx.Destroy()
		return nil, fmt.Errorf("%w %s: C_Initialize: %v", ErrPKCS11Module, path, err)
	}
	info, _ := ctx.GetInfo() // only used to match library-* attributes
	m := &p11Module{key: key, path: path, ctx: ctx, info: info, refs: 1}
	p11Modules.m[key] = m
	return m, nil
}

// release gives up one reference, finalising and unloading the module
// after the last.
func (m *p11Module) release() {
	p11Modules.Lock()
	defer p11Modules.Unlock()
	if m.refs--; m.refs > 0 {
		return
	}
	delete(p11Modules.m, m.key)
	_ = m.ctx.Finalize() // nothing useful to do about a failure here
	m.ctx.Destroy()
}

// isP11 reports whether err is the PKCS#11 return value rv.
func isP11(err error, rv uint) bool {
	var e pkcs11.Error
	return errors.As(err, &e) && uint(e) == rv
}

// p11Slot is a slot with an initialised token in it.
type p11Slot struct {
	id    uint
	info  pkcs11.SlotInfo
	token pkcs11.TokenInfo
}

// label names the token for messages.
func (s p11Slot) label() string { return fmt.Sprintf("%q (slot %d)", clean(s.token.Label), s.id) }

// clean drops the blank (and, from some modules, NUL) padding of PKCS#11
// fixed-size strings.
func clean(s string) string { return strings.TrimRight(s, " \x00") }

func (m *p11Module) slots() ([]p11Slot, error) {
	ids, err := m.ctx.GetSlotList(true)
	if err != nil {
		return nil, fmt.Errorf("%w: C_GetSlotList: %v", ErrPKCS11Slot, err)
	}
	var slots []p11Slot
	for _, id := range ids {
		info, err := m.ctx.GetSlotInfo(id)
		if err != nil {
			continue // a slot that cannot be described cannot be matched
		}
		token, err := m.ctx.GetTokenInfo(id)
		if err != nil || token.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			continue // removed meanwhile, or a blank token (SoftHSM always offers one)
		}
		slots = append(slots, p11Slot{id: id, info: info, token: token})
	}
	return slots, nil
}

// matchSlots returns the slots whose library, slot and token attributes
// the URI accepts.
func (m *p11Module) matchSlots(slots []p11Slot, u *pkcs11URI) []p11Slot {
	eq := func(want *string, have string) bool { return want == nil || *want == clean(have) }
	if !eq(u.libraryManufacturer, m.info.ManufacturerID) || !eq(u.libraryDescription, m.info.LibraryDescription) {
		return nil
	}
	if v := u.libraryVersion; v != nil && (v.major != m.info.LibraryVersion.Major || v.minor != m.info.LibraryVersion.Minor) {
		return nil
	}
	var out []p11Slot
	for _, s := range slots {
		if u.slotID != nil && *u.slotID != uint64(s.id) {
			continue
		}
		if eq(u.slotDescription, s.info.SlotDescription) && eq(u.slotManufacturer, s.info.ManufacturerID) &&
			eq(u.token, s.token.Label) && eq(u.manufacturer, s.token.ManufacturerID) &&
			eq(u.model, s.token.Model) && eq(u.serial, s.token.SerialNumber) {
			out = append(out, s)
		}
	}
	return out
}

// p11Opener carries the state of one openPKCS11 call: the sessions it
// opened, which it closes unless they become the Source's.
type p11Opener struct {
	mod      *p11Module
	req      *Request
	keyURI   *pkcs11URI
	certURI  *pkcs11URI // nil when the certificate is not on the token
	pin      string
	hasPIN   bool
	slots    []p11Slot
	sessions map[uint]*p11Session
}

type p11Session struct {
	slot     p11Slot
	h        pkcs11.SessionHandle
	loggedIn bool
}

// p11Object is a key or certificate object found on a token.
type p11Object struct {
	h     pkcs11.ObjectHandle
	id    []byte
	label string
}

// p11Key is a private key object and what the backend learnt about it.
type p11Key struct {
	p11Object
	keyType    uint
	alwaysAuth bool
	pub        crypto.PublicKey // nil when the token does not reveal it
}

// p11Cert is a certificate object.
type p11Cert struct {
	p11Object
	cert *x509.Certificate
}

func openPKCS11(req *Request) (Source, error) {
	keyURI, err := parsePKCS11URI(req.KeyID)
	if err != nil {
		return nil, err
	}
	var certURI *pkcs11URI
	switch {
	case req.CertificateID == "":
	case req.CertificateID == req.KeyID:
		certURI = keyURI
	default:
		if certURI, err = parsePKCS11URI(req.CertificateID); err != nil {
			return nil, fmt.Errorf("certificate: %w", err)
		}
	}
	modPath, err := pkcs11ModulePath(req.Options.PKCS11Lib, keyURI, certURI)
	if err != nil {
		return nil, err
	}
	pin, hasPIN, err := keyURI.userPIN()
	if err == nil && !hasPIN && certURI != nil {
		pin, hasPIN, err = certURI.userPIN()
	}
	if err != nil {
		return nil, err
	}
	mod, err := acquirePKCS11Module(modPath)
	if err != nil {
		return nil, err
	}
	o := &p11Opener{mod: mod, req: req, keyURI: keyURI, certURI: certURI, pin: pin, hasPIN: hasPIN,
		sessions: make(map[uint]*p11Session)}
	src, err := o.open()
	o.closeSessions(src)
	if err != nil {
		mod.release()
		return nil, err
	}
	return src, nil
}

// closeSessions closes every session the opener opened except the one src
// keeps.
func (o *p11Opener) closeSessions(src *pkcs11Source) {
	for _, s := range o.sessions {
		if src == nil || s.h != src.session {
			_ = o.mod.ctx.CloseSession(s.h)
		}
	}
}

func (o *p11Opener) open() (*pkcs11Source, error) {
	var err error
	if o.slots, err = o.mod.slots(); err != nil {
		return nil, err
	}
	cert := o.req.Certificate
	var certObj *p11Cert
	var certSlot *p11Slot
	var tokenCerts []*x509.Certificate // every certificate on the certificate's token
	if cert == nil && o.certURI != nil {
		if certObj, certSlot, tokenCerts, err = o.findCertificate(); err != nil {
			return nil, err
		}
		cert = certObj.cert
	}

	slot, err := o.keySlot(certSlot)
	if err != nil {
		return nil, err
	}
	sess, err := o.session(slot, true)
	if err != nil {
		return nil, err
	}
	key, err := o.findKey(sess, cert, certObj)
	if err != nil {
		return nil, err
	}
	if key.alwaysAuth && !o.req.Options.ReusePIN {
		return nil, fmt.Errorf("%w: the private key %s needs a PIN for every signature (CKA_ALWAYS_AUTHENTICATE); "+
			"roam never prompts, so pass --reuse-pin to use the user PIN", ErrPKCS11PINRequired, o.objectName(slot, &key.p11Object))
	}
	if cert == nil {
		// Neither a certificate file nor a certificate URI: the key URI
		// names the certificate too, or the certificate is the one with
		// the key's CKA_ID.
		if certObj, tokenCerts, err = o.certificateForKey(sess, key); err != nil {
			return nil, err
		}
		cert = certObj.cert
	}

	src := &pkcs11Source{
		mod: o.mod, slot: slot, session: sess.h, pin: o.pin,
		key: key.h, keyName: o.objectName(slot, &key.p11Object), alwaysAuth: key.alwaysAuth,
		pub: key.pub, cert: cert,
	}
	switch {
	case len(o.req.Intermediates) > 0:
		src.chain = slices.Clone(o.req.Intermediates)
	case certObj != nil:
		src.chain = issuerChain(cert, tokenCerts)
	}
	if src.pub == nil {
		// The token does not reveal the public key: prove that the key
		// belongs to the certificate by signing.
		if err := src.proveKey(cert); err != nil {
			return nil, err
		}
		src.pub = cert.PublicKey
	} else if key.alwaysAuth {
		// Check now that the user PIN also unlocks each signature.
		if err := src.proveKey(nil); err != nil {
			return nil, err
		}
	}
	return src, nil
}

// keySlot chooses the token that holds the key: the one token the key URI
// matches or, when it matches several, the certificate's.
func (o *p11Opener) keySlot(certSlot *p11Slot) (p11Slot, error) {
	slots := o.mod.matchSlots(o.slots, o.keyURI)
	switch {
	case len(slots) == 1:
		return slots[0], nil
	case len(slots) == 0:
		return p11Slot{}, o.noSlot(o.keyURI)
	case certSlot != nil:
		for _, s := range slots {
			if s.id == certSlot.id {
				return s, nil
			}
		}
	}
	return p11Slot{}, fmt.Errorf("%w: %d tokens match %s (%s); add token= or serial= to the URI",
		ErrPKCS11Slot, len(slots), o.keyURI.describe(), o.labels(slots))
}

func (o *p11Opener) noSlot(u *pkcs11URI) error {
	if len(o.slots) == 0 {
		return fmt.Errorf("%w: module %s offers no token", ErrPKCS11Slot, o.mod.path)
	}
	return fmt.Errorf("%w: no token matches %s; tokens present: %s", ErrPKCS11Slot, u.describe(), o.labels(o.slots))
}

func (o *p11Opener) labels(slots []p11Slot) string {
	var names []string
	for _, s := range slots {
		names = append(names, s.label())
	}
	return strings.Join(names, ", ")
}

// session returns a session with slot's token, logged in as the user when
// logIn is set and the token needs it (or a PIN was given).
func (o *p11Opener) session(slot p11Slot, logIn bool) (*p11Session, error) {
	s := o.sessions[slot.id]
	if s == nil {
		h, err := o.mod.ctx.OpenSession(slot.id, pkcs11.CKF_SERIAL_SESSION)
		if err != nil {
			return nil, fmt.Errorf("%w: opening a session with token %s: %v", ErrPKCS11Slot, slot.label(), err)
		}
		s = &p11Session{slot: slot, h: h}
		o.sessions[slot.id] = s
	}
	if !logIn || s.loggedIn {
		return s, nil
	}
	if !o.hasPIN {
		if slot.token.Flags&pkcs11.CKF_LOGIN_REQUIRED == 0 {
			return s, nil
		}
		return nil, fmt.Errorf("%w: token %s needs the user PIN; add pin-value=... or pin-source=file:... to the pkcs11: URI "+
			"(roam never prompts for it)", ErrPKCS11PINRequired, slot.label())
	}
	if err := login(o.mod.ctx, s.h, pkcs11.CKU_USER, o.pin, slot); err != nil {
		return nil, err
	}
	s.loggedIn = true
	return s, nil
}

// login logs in to a session as userType and translates failures. The PIN
// is never part of the error.
func login(ctx *pkcs11.Ctx, h pkcs11.SessionHandle, userType uint, pin string, slot p11Slot) error {
	err := ctx.Login(h, userType, pin)
	what := "the user PIN"
	if userType == pkcs11.CKU_CONTEXT_SPECIFIC {
		what = "the context-specific PIN (the user PIN, as --reuse-pin asks)"
	}
	switch {
	case err == nil, isP11(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN):
		return nil
	case isP11(err, pkcs11.CKR_PIN_INCORRECT), isP11(err, pkcs11.CKR_PIN_LEN_RANGE):
		return fmt.Errorf("%w: token %s refused %s: it is incorrect", ErrPKCS11Login, slot.label(), what)
	case isP11(err, pkcs11.CKR_PIN_LOCKED):
		return fmt.Errorf("%w: the user PIN of token %s is locked", ErrPKCS11Login, slot.label())
	case isP11(err, pkcs11.CKR_PIN_EXPIRED):
		return fmt.Errorf("%w: the user PIN of token %s has expired", ErrPKCS11Login, slot.label())
	}
	return fmt.Errorf("%w: logging in to token %s with %s: %v", ErrPKCS11Login, slot.label(), what, err)
}

// findObjects returns the objects matching template.
func (o *p11Opener) findObjects(s *p11Session, template []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	ctx := o.mod.ctx
	if err := ctx.FindObjectsInit(s.h, template); err != nil {
		return nil, fmt.Errorf("C_FindObjectsInit on token %s: %w", s.slot.label(), err)
	}
	var all []pkcs11.ObjectHandle
	for len(all) < maxObjects {
		hs, _, err := ctx.FindObjects(s.h, 100)
		if err != nil {
			_ = ctx.FindObjectsFinal(s.h)
			return nil, fmt.Errorf("C_FindObjects on token %s: %w", s.slot.label(), err)
		}
		if len(hs) == 0 {
			break
		}
		all = append(all, hs...)
	}
	if err := ctx.FindObjectsFinal(s.h); err != nil {
		return nil, fmt.Errorf("C_FindObjectsFinal on token %s: %w", s.slot.label(), err)
	}
	return all, nil
}

// objectTemplate is the search template for objects of class that the
// URI's object (CKA_LABEL) and id (CKA_ID) select. The URI's type is not
// used: one URI often names both the certificate and its key.
func objectTemplate(u *pkcs11URI, class uint) []*pkcs11.Attribute {
	t := []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, class)}
	if class == pkcs11.CKO_CERTIFICATE {
		t = append(t, pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509))
	}
	if u == nil {
		return t
	}
	if u.object != nil {
		t = append(t, pkcs11.NewAttribute(pkcs11.CKA_LABEL, *u.object))
	}
	if u.hasID {
		t = append(t, pkcs11.NewAttribute(pkcs11.CKA_ID, u.id))
	}
	return t
}

// attr reads one attribute; ok is false when the object does not have it
// or does not reveal it.
func (o *p11Opener) attr(s *p11Session, h pkcs11.ObjectHandle, typ uint) ([]byte, bool) {
	attrs, err := o.mod.ctx.GetAttributeValue(s.h, h, []*pkcs11.Attribute{pkcs11.NewAttribute(typ, nil)})
	if err != nil || len(attrs) != 1 {
		return nil, false
	}
	return attrs[0].Value, true
}

// ulong decodes a CK_ULONG attribute value (native byte order).
func ulong(b []byte) (uint, bool) {
	switch len(b) {
	case 8:
		return uint(binary.NativeEndian.Uint64(b)), true
	case 4:
		return uint(binary.NativeEndian.Uint32(b)), true
	}
	return 0, false
}

func (o *p11Opener) object(s *p11Session, h pkcs11.ObjectHandle) p11Object {
	obj := p11Object{h: h}
	obj.id, _ = o.attr(s, h, pkcs11.CKA_ID)
	if label, ok := o.attr(s, h, pkcs11.CKA_LABEL); ok {
		obj.label = string(label)
	}
	return obj
}

// certificates returns the X.509 certificates the template selects.
// Certificates that do not parse are skipped unless strict is set.
func (o *p11Opener) certificates(s *p11Session, template []*pkcs11.Attribute, strict bool) ([]*p11Cert, error) {
	hs, err := o.findObjects(s, template)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPKCS11Certificate, err)
	}
	var certs []*p11Cert
	for _, h := range hs {
		obj := o.object(s, h)
		der, ok := o.attr(s, h, pkcs11.CKA_VALUE)
		var cert *x509.Certificate
		if ok {
			cert, err = x509.ParseCertificate(der)
		}
		if !ok || err != nil {
			if strict {
				return nil, fmt.Errorf("%w: certificate %s does not parse: %v", ErrCertificate, o.objectName(s.slot, &obj), err)
			}
			continue
		}
		certs = append(certs, &p11Cert{p11Object: obj, cert: cert})
	}
	return certs, nil
}

// allCertificates returns every parseable certificate the session sees.
func (o *p11Opener) allCertificates(s *p11Session) ([]*x509.Certificate, error) {
	certs, err := o.certificates(s, objectTemplate(nil, pkcs11.CKO_CERTIFICATE), false)
	if err != nil {
		return nil, err
	}
	out := make([]*x509.Certificate, len(certs))
	for i, c := range certs {
		out[i] = c.cert
	}
	return out, nil
}

// findCertificate finds the one certificate the certificate URI selects,
// following draft-woodhouse-cert-best-practice §8.1: search every matching
// token without logging in, and only when that finds nothing and exactly
// one token matches, log in to it and search again. It also returns every
// certificate on that token, for the chain.
func (o *p11Opener) findCertificate() (*p11Cert, *p11Slot, []*x509.Certificate, error) {
	slots := o.mod.matchSlots(o.slots, o.certURI)
	if len(slots) == 0 {
		return nil, nil, nil, o.noSlot(o.certURI)
	}
	matches, err := o.searchCertificates(slots, objectTemplate(o.certURI, pkcs11.CKO_CERTIFICATE), true)
	if err != nil {
		return nil, nil, nil, err
	}
	switch {
	case len(matches) == 0 && len(slots) == 1 && !o.hasPIN:
		return nil, nil, nil, fmt.Errorf("%w: no public certificate on token %s matches %s, and no PIN was given to look for private ones",
			ErrPKCS11Certificate, slots[0].label(), o.certURI.describe())
	case len(matches) == 0:
		return nil, nil, nil, fmt.Errorf("%w: no certificate on %s matches %s", ErrPKCS11Certificate, o.labels(slots), o.certURI.describe())
	case len(matches) > 1:
		return nil, nil, nil, fmt.Errorf("%w: %d certificates match %s; add object= or id= to the URI to choose one",
			ErrPKCS11Certificate, len(matches), o.certURI.describe())
	}
	m := matches[0]
	all, err := o.allCertificates(o.sessions[m.slot.id])
	if err != nil {
		return nil, nil, nil, err
	}
	return m.cert, &m.slot, all, nil
}

// slotCert is a certificate object and the token it was found on.
type slotCert struct {
	cert *p11Cert
	slot p11Slot
}

// searchCertificates returns the certificates template selects in slots
// (see certificates for strict), as draft-woodhouse-cert-best-practice §8.1
// and aws_signing_helper search: in every token without logging in and,
// when that finds nothing, exactly one token matches and a PIN was given,
// in that token again after logging in.
func (o *p11Opener) searchCertificates(slots []p11Slot, template []*pkcs11.Attribute, strict bool) ([]slotCert, error) {
	var found []slotCert
	search := func(slot p11Slot, logIn bool) error {
		s, err := o.session(slot, logIn)
		if err != nil {
			return err
		}
		certs, err := o.certificates(s, template, strict)
		if err != nil {
			return err
		}
		for _, c := range certs {
			found = append(found, slotCert{c, slot})
		}
		return nil
	}
	for _, slot := range slots {
		if err := search(slot, false); err != nil {
			return nil, err
		}
	}
	if len(found) == 0 && len(slots) == 1 && o.hasPIN {
		if err := search(slots[0], true); err != nil {
			return nil, err
		}
	}
	return found, nil
}

// certificateForKey finds the certificate of a key when none was named:
// the one the key URI selects or, failing that, the one with the key's
// CKA_ID or public key.
func (o *p11Opener) certificateForKey(s *p11Session, key *p11Key) (*p11Cert, []*x509.Certificate, error) {
	all, err := o.certificates(s, objectTemplate(nil, pkcs11.CKO_CERTIFICATE), false)
	if err != nil {
		return nil, nil, err
	}
	var byURI, byKey []*p11Cert
	for _, c := range all {
		if (o.keyURI.object == nil || c.label == *o.keyURI.object) && (!o.keyURI.hasID || string(c.id) == string(o.keyURI.id)) &&
			o.keyURI.hasObjectFilter() {
			byURI = append(byURI, c)
		}
		if key.pub != nil && publicKeyMatches(key.pub, c.cert) || key.pub == nil && len(key.id) > 0 && string(c.id) == string(key.id) {
			byKey = append(byKey, c)
		}
	}
	certs := make([]*x509.Certificate, len(all))
	for i, c := range all {
		certs[i] = c.cert
	}
	for _, set := range [][]*p11Cert{byKey, byURI} {
		if len(set) == 1 {
			return set[0], certs, nil
		}
	}
	if len(byKey) > 1 {
		// The same certificate stored twice is harmless; different ones
		// (renewals) are ambiguous.
		if !slices.ContainsFunc(byKey, func(c *p11Cert) bool { return !c.cert.Equal(byKey[0].cert) }) {
			return byKey[0], certs, nil
		}
		return nil, nil, fmt.Errorf("%w: %d certificates on token %s belong to the private key %s; pass the certificate with --certificate",
			ErrNoCertificate, len(byKey), s.slot.label(), o.objectName(s.slot, &key.p11Object))
	}
	return nil, nil, fmt.Errorf("%w: token %s holds no certificate for the private key %s; pass it with --certificate",
		ErrNoCertificate, s.slot.label(), o.objectName(s.slot, &key.p11Object))
}

// findKey finds the private key the key URI selects. When several match,
// the one that belongs to cert is chosen.
func (o *p11Opener) findKey(s *p11Session, cert *x509.Certificate, certObj *p11Cert) (*p11Key, error) {
	hs, err := o.findObjects(s, objectTemplate(o.keyURI, pkcs11.CKO_PRIVATE_KEY))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPKCS11Key, err)
	}
	searched := o.keyURI.describe()
	if len(hs) == 0 && o.keyURI == o.certURI && certObj != nil && o.keyURI.object != nil && len(certObj.id) > 0 {
		// draft-woodhouse-cert-best-practice §8.2: when the certificate
		// was found by label and no key has that label, look for the key
		// with the certificate's CKA_ID.
		byID := &pkcs11URI{id: certObj.id, hasID: true}
		if hs, err = o.findObjects(s, objectTemplate(byID, pkcs11.CKO_PRIVATE_KEY)); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrPKCS11Key, err)
		}
		searched += " or id=" + pctEncode(certObj.id)
	}
	if len(hs) == 0 {
		return nil, fmt.Errorf("%w: no private key on token %s matches %s", ErrPKCS11Key, s.slot.label(), searched)
	}
	var keys []*p11Key
	for _, h := range hs {
		k := o.keyObject(s, h)
		if k.keyType != pkcs11.CKK_RSA && k.keyType != pkcs11.CKK_EC {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: the private keys on token %s that match %s are neither RSA nor EC keys", ErrPKCS11Key, s.slot.label(), searched)
	}
	if len(keys) == 1 {
		return keys[0], nil
	}
	if cert != nil {
		var unknown []*p11Key
		for _, k := range keys {
			if k.pub != nil && publicKeyMatches(k.pub, cert) {
				return k, nil
			}
			if k.pub == nil {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) == 1 {
			return unknown[0], nil // open proves it belongs to cert by signing
		}
	}
	return nil, fmt.Errorf("%w: %d private keys on token %s match %s; add object= or id= to the URI to choose one",
		ErrPKCS11Key, len(keys), s.slot.label(), searched)
}

// keyObject reads what the backend needs to know about a private key.
func (o *p11Opener) keyObject(s *p11Session, h pkcs11.ObjectHandle) *p11Key {
	k := &p11Key{p11Object: o.object(s, h), keyType: ^uint(0)}
	if v, ok := o.attr(s, h, pkcs11.CKA_KEY_TYPE); ok {
		k.keyType, _ = ulong(v)
	}
	if v, ok := o.attr(s, h, pkcs11.CKA_ALWAYS_AUTHENTICATE); ok && len(v) == 1 {
		k.alwaysAuth = v[0] != 0
	}
	k.pub = o.publicKey(s, k)
	return k
}

// publicKey finds a private key's public key: in the private key object
// itself (RSA modulus and exponent, or CKA_PUBLIC_KEY_INFO), in the public
// key object with the same CKA_ID, or in the certificate with that CKA_ID.
// It returns nil when the token reveals none of these.
func (o *p11Opener) publicKey(s *p11Session, k *p11Key) crypto.PublicKey {
	if pub := o.objectPublicKey(s, k.h, k.keyType); pub != nil {
		return pub
	}
	if len(k.id) == 0 {
		return nil
	}
	byID := &pkcs11URI{id: k.id, hasID: true}
	if hs, err := o.findObjects(s, objectTemplate(byID, pkcs11.CKO_PUBLIC_KEY)); err == nil {
		for _, h := range hs {
			if pub := o.objectPublicKey(s, h, k.keyType); pub != nil {
				return pub
			}
		}
	}
	if certs, err := o.certificates(s, objectTemplate(byID, pkcs11.CKO_CERTIFICATE), false); err == nil && len(certs) == 1 {
		return certs[0].cert.PublicKey
	}
	return nil
}

// objectPublicKey reads the public key from a key object's attributes.
func (o *p11Opener) objectPublicKey(s *p11Session, h pkcs11.ObjectHandle, keyType uint) crypto.PublicKey {
	if spki, ok := o.attr(s, h, pkcs11.CKA_PUBLIC_KEY_INFO); ok && len(spki) > 0 {
		if pub, err := x509.ParsePKIXPublicKey(spki); err == nil {
			return pub
		}
	}
	switch keyType {
	case pkcs11.CKK_RSA:
		n, ok1 := o.attr(s, h, pkcs11.CKA_MODULUS)
		e, ok2 := o.attr(s, h, pkcs11.CKA_PUBLIC_EXPONENT)
		if !ok1 || !ok2 || len(n) == 0 || len(e) == 0 || len(e) > 4 {
			return nil
		}
		exp := new(big.Int).SetBytes(e)
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}
	case pkcs11.CKK_EC:
		params, ok1 := o.attr(s, h, pkcs11.CKA_EC_PARAMS)
		point, ok2 := o.attr(s, h, pkcs11.CKA_EC_POINT)
		if !ok1 || !ok2 {
			return nil
		}
		return ecPublicKey(params, point)
	}
	return nil
}

// Named curves by their DER-encoded OID, as CKA_EC_PARAMS holds them.
var (
	oidP256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidP384 = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
	oidP521 = asn1.ObjectIdentifier{1, 3, 132, 0, 35}
)

// ecPublicKey decodes CKA_EC_PARAMS (a named-curve OID) and CKA_EC_POINT
// (an uncompressed point, DER-wrapped in an OCTET STRING as PKCS#11
// requires, or bare as some modules return it).
func ecPublicKey(params, point []byte) *ecdsa.PublicKey {
	var oid asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(params, &oid); err != nil || len(rest) > 0 {
		return nil
	}
	var curve elliptic.Curve
	switch {
	case oid.Equal(oidP256):
		curve = elliptic.P256()
	case oid.Equal(oidP384):
		curve = elliptic.P384()
	case oid.Equal(oidP521):
		curve = elliptic.P521()
	default:
		return nil
	}
	var inner []byte
	if rest, err := asn1.Unmarshal(point, &inner); err == nil && len(rest) == 0 {
		point = inner
	}
	size := (curve.Params().BitSize + 7) / 8
	if len(point) != 1+2*size || point[0] != 4 {
		return nil
	}
	pub := &ecdsa.PublicKey{Curve: curve, X: new(big.Int).SetBytes(point[1 : 1+size]), Y: new(big.Int).SetBytes(point[1+size:])}
	if !curve.IsOnCurve(pub.X, pub.Y) {
		return nil
	}
	return pub
}

// objectName renders an object as a pkcs11: URI for messages.
func (o *p11Opener) objectName(slot p11Slot, obj *p11Object) string {
	parts := []string{"token=" + pctEncode([]byte(clean(slot.token.Label)))}
	if obj.label != "" {
		parts = append(parts, "object="+pctEncode([]byte(obj.label)))
	}
	if len(obj.id) > 0 {
		parts = append(parts, "id="+pctEncode(obj.id))
	}
	return "pkcs11:" + strings.Join(parts, ";")
}

// pkcs11Source is a private key in a PKCS#11 token, with its certificate
// and chain. It keeps one logged-in session open until Close; Sign
// serialises its use, as PKCS#11 sessions are not safe for concurrent use.
type pkcs11Source struct {
	mod        *p11Module
	slot       p11Slot
	key        pkcs11.ObjectHandle
	keyName    string
	alwaysAuth bool
	pub        crypto.PublicKey
	cert       *x509.Certificate
	chain      []*x509.Certificate

	mu      sync.Mutex
	session pkcs11.SessionHandle
	pin     string // the user PIN, for CKU_CONTEXT_SPECIFIC logins (--reuse-pin)
	closed  bool
}

// Public returns the key's public key.
func (s *pkcs11Source) Public() crypto.PublicKey { return s.pub }

// Certificate returns the end-entity certificate.
func (s *pkcs11Source) Certificate() (*x509.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	return s.cert, nil
}

// Chain returns the intermediates: those of --intermediates or, for a
// certificate read from the token, its issuers found on the token.
func (s *pkcs11Source) Chain() ([]*x509.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	return slices.Clone(s.chain), nil
}

// Close closes the session (which logs out when it is the application's
// last with the token) and releases the module.
func (s *pkcs11Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed, s.pin = true, ""
	err := s.mod.ctx.CloseSession(s.session)
	s.mod.release()
	if err != nil {
		return fmt.Errorf("keysource: closing the PKCS#11 session: %w", err)
	}
	return nil
}

// Sign signs digest with CKM_RSA_PKCS over its DigestInfo (PKCS#1 v1.5)
// or CKM_ECDSA (returning ASN.1 DER). RSA-PSS is not supported.
func (s *pkcs11Source) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	return s.signAs(s.pub, digest, opts)
}

// signAs signs digest with the token's key, taken to be a key of pub's
// type. The caller holds s.mu, or has not handed s out yet.
func (s *pkcs11Source) signAs(pub crypto.PublicKey, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if _, ok := opts.(*rsa.PSSOptions); ok {
			return nil, errors.New("keysource: RSA-PSS signatures are not supported with PKCS#11 keys")
		}
		input, err := pkcs1DigestInfo(hashOf(opts), digest)
		if err != nil {
			return nil, err
		}
		return s.signLocked(pkcs11.CKM_RSA_PKCS, input)
	case *ecdsa.PublicKey:
		if err := checkDigestLength(digest, opts); err != nil {
			return nil, err
		}
		raw, err := s.signLocked(pkcs11.CKM_ECDSA, digest)
		if err != nil {
			return nil, err
		}
		return ecdsaRawToDER(raw, (k.Curve.Params().N.BitLen()+7)/8)
	}
	return nil, fmt.Errorf("keysource: unsupported PKCS#11 key type %T", pub)
}

// signLocked runs one C_SignInit/C_Sign, with the context-specific login a
// CKA_ALWAYS_AUTHENTICATE key needs in between.
func (s *pkcs11Source) signLocked(mech uint, input []byte) ([]byte, error) {
	ctx := s.mod.ctx
	if err := ctx.SignInit(s.session, []*pkcs11.Mechanism{pkcs11.NewMechanism(mech, nil)}, s.key); err != nil {
		return nil, fmt.Errorf("%w (%s): C_SignInit: %v", ErrPKCS11Sign, s.keyName, err)
	}
	if s.alwaysAuth {
		if err := login(ctx, s.session, pkcs11.CKU_CONTEXT_SPECIFIC, s.pin, s.slot); err != nil {
			// A C_Sign that fails ends the pending operation, so that the
			// next SignInit does not meet CKR_OPERATION_ACTIVE.
			_, _ = ctx.Sign(s.session, input)
			return nil, err
		}
	}
	sig, err := ctx.Sign(s.session, input)
	if err != nil {
		return nil, fmt.Errorf("%w (%s): %v", ErrPKCS11Sign, s.keyName, err)
	}
	return sig, nil
}

// proveKey signs a test digest and, when cert is given, checks the
// signature with its public key, for keys whose public part the token does
// not reveal. It also shows that the key signs at all (for
// CKA_ALWAYS_AUTHENTICATE keys, that the user PIN unlocks it). It is
// called before the Source is handed out, so it takes no lock.
func (s *pkcs11Source) proveKey(cert *x509.Certificate) error {
	pub := s.pub
	if cert != nil {
		pub = cert.PublicKey
	}
	switch pub.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
	default:
		return fmt.Errorf("%w: the certificate's %s key cannot be used with a PKCS#11 key", ErrKeyMismatch, describePublicKey(pub))
	}
	digest := sha256.Sum256([]byte("roam: prove possession of the PKCS#11 private key"))
	sig, err := s.signAs(pub, digest[:], crypto.SHA256)
	// A raw ECDSA signature of the wrong size comes from a key on another
	// curve: it does not verify either.
	if err != nil && !errors.Is(err, errBadECDSASignature) {
		return err
	}
	switch {
	case err == nil && verifyDigest(pub, digest[:], sig):
		return nil
	case cert == nil:
		return fmt.Errorf("%w (%s): a test signature does not verify with the key's public key", ErrPKCS11Sign, s.keyName)
	}
	return fmt.Errorf("%w: the private key %s does not belong to the %s certificate (subject %q, serial %s)",
		ErrKeyMismatch, s.keyName, describePublicKey(pub), cert.Subject.String(), cert.SerialNumber)
}

// ListPKCS11Certificates returns the certificates that uri selects, in
// every token that matches it, as read-certificate-data lists them. Like
// aws_signing_helper, it searches without logging in, and when that finds
// nothing and exactly one token matches, logs in with the URI's PIN and
// searches again. pkcs11Lib is --pkcs11-lib ("" for the URI's module-path
// or the default module).
func ListPKCS11Certificates(uri, pkcs11Lib string) ([]TokenCertificate, error) {
	u, err := parsePKCS11URI(uri)
	if err != nil {
		return nil, err
	}
	modPath, err := pkcs11ModulePath(pkcs11Lib, u)
	if err != nil {
		return nil, err
	}
	pin, hasPIN, err := u.userPIN()
	if err != nil {
		return nil, err
	}
	mod, err := acquirePKCS11Module(modPath)
	if err != nil {
		return nil, err
	}
	defer mod.release()
	o := &p11Opener{mod: mod, keyURI: u, pin: pin, hasPIN: hasPIN, sessions: make(map[uint]*p11Session)}
	defer o.closeSessions(nil)
	if o.slots, err = mod.slots(); err != nil {
		return nil, err
	}
	slots := mod.matchSlots(o.slots, u)
	if len(slots) == 0 {
		return nil, o.noSlot(u)
	}
	found, err := o.searchCertificates(slots, objectTemplate(u, pkcs11.CKO_CERTIFICATE), false)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 && len(slots) == 1 && !hasPIN {
		return nil, fmt.Errorf("%w: no public certificate on token %s matches %s; add pin-value=... to the URI to look for private ones",
			ErrPKCS11PINRequired, slots[0].label(), u.describe())
	}
	out := make([]TokenCertificate, len(found))
	for i, f := range found {
		out[i] = TokenCertificate{Certificate: f.cert.cert, URI: certificateURI(f.slot, &f.cert.p11Object)}
	}
	return out, nil
}

// certificateURI names a certificate object the way aws_signing_helper's
// read-certificate-data does.
func certificateURI(slot p11Slot, obj *p11Object) string {
	var parts []string
	add := func(name, v string) { parts = append(parts, name+"="+pctEncode([]byte(v))) }
	add("model", clean(slot.token.Model))
	add("manufacturer", clean(slot.token.ManufacturerID))
	add("serial", clean(slot.token.SerialNumber))
	add("slot-description", clean(slot.info.SlotDescription))
	add("slot-manufacturer", clean(slot.info.ManufacturerID))
	if len(obj.id) > 0 {
		add("id", string(obj.id))
	}
	if obj.label != "" {
		add("object", obj.label)
	}
	parts = append(parts, "type=cert")
	return "pkcs11:" + strings.Join(parts, ";")
}
