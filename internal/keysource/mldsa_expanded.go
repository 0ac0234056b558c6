package keysource

import (
	"crypto/sha3"
	"errors"
	"fmt"
	"math/bits"
)

// Checking an expanded ML-DSA private key (FIPS 204 §7.2 skEncode:
// ρ ‖ K ‖ tr ‖ s₁ ‖ s₂ ‖ t₀). FIPS 204 warns that skDecode does not reject
// malformed input, and circl does not either: a key whose s₁ or s₂
// coefficients are out of range, or whose t₀ is not the low part of
// A·s₁ + s₂, loads but makes signatures that do not verify (or verify only
// sometimes). A seed always expands to a valid key, so only keys without
// one need this. The check recomputes t = A·s₁ + s₂, as Go's own ML-DSA
// does for such keys; the tr check in mldsaFromExpanded covers t₁.

const (
	mldsaQ = 8380417 // the modulus q = 2²³ − 2¹³ + 1
	mldsaN = 256     // coefficients per polynomial
	mldsaD = 13      // bits dropped from t (t₀ holds them)
)

// mldsaPoly is a polynomial with coefficients in [0, q).
type mldsaPoly [mldsaN]uint32

// mldsaZetas[i] = ζ^BitRev₈(i) mod q, with ζ = 1753 the 512th root of unity
// (FIPS 204 Appendix B).
var mldsaZetas = func() (z [mldsaN]uint32) {
	for i := range z {
		z[i] = powModQ(1753, uint64(bits.Reverse8(uint8(i))))
	}
	return z
}()

func powModQ(base, exp uint64) uint32 {
	r := uint64(1)
	for ; exp > 0; exp >>= 1 {
		if exp&1 == 1 {
			r = r * base % mldsaQ
		}
		base = base * base % mldsaQ
	}
	return uint32(r)
}

func mulModQ(a, b uint32) uint32 { return uint32(uint64(a) * uint64(b) % mldsaQ) }
func addModQ(a, b uint32) uint32 { return (a + b) % mldsaQ }
func subModQ(a, b uint32) uint32 { return (a + mldsaQ - b) % mldsaQ }

// ntt transforms p in place (FIPS 204 Algorithm 41).
func (p *mldsaPoly) ntt() {
	m := 0
	for length := 128; length >= 1; length /= 2 {
		for start := 0; start < mldsaN; start += 2 * length {
			m++
			z := mldsaZetas[m]
			for j := start; j < start+length; j++ {
				t := mulModQ(z, p[j+length])
				p[j+length] = subModQ(p[j], t)
				p[j] = addModQ(p[j], t)
			}
		}
	}
}

// invNTT transforms p back in place (FIPS 204 Algorithm 42).
func (p *mldsaPoly) invNTT() {
	m := mldsaN
	for length := 1; length < mldsaN; length *= 2 {
		for start := 0; start < mldsaN; start += 2 * length {
			m--
			z := mldsaQ - mldsaZetas[m]
			for j := start; j < start+length; j++ {
				t := p[j]
				p[j] = addModQ(t, p[j+length])
				p[j+length] = mulModQ(z, subModQ(t, p[j+length]))
			}
		}
	}
	const nInv = 8347681 // 256⁻¹ mod q
	for j := range p {
		p[j] = mulModQ(p[j], nInv)
	}
}

// expandA returns the entry (r, s) of the matrix Â, in the NTT domain
// (FIPS 204 Algorithms 30 and 32).
func expandA(rho []byte, r, s int) *mldsaPoly {
	h := sha3.NewSHAKE128()
	h.Write(rho)
	h.Write([]byte{byte(s), byte(r)})
	var p mldsaPoly
	var buf [168]byte // one SHAKE128 block
	for j := 0; j < mldsaN; {
		h.Read(buf[:])
		for i := 0; i+3 <= len(buf) && j < mldsaN; i += 3 {
			z := uint32(buf[i]) | uint32(buf[i+1])<<8 | uint32(buf[i+2]&0x7f)<<16
			if z < mldsaQ {
				p[j] = z
				j++
			}
		}
	}
	return &p
}

// unpackBits returns the n coefficients of width bits packed little-endian
// at the start of b.
func unpackBits(b []byte, width int) [mldsaN]uint32 {
	var out [mldsaN]uint32
	var acc uint64
	var accBits int
	for i := range out {
		for accBits < width {
			acc |= uint64(b[0]) << accBits
			b = b[1:]
			accBits += 8
		}
		out[i] = uint32(acc & (1<<width - 1))
		acc >>= width
		accBits -= width
	}
	return out
}

// mldsaDims are the dimensions of an ML-DSA parameter set.
type mldsaDims struct{ k, l, eta int }

// checkMLDSAExpanded checks an expanded private key of the parameter set
// with dims, whose length the caller has checked.
func checkMLDSAExpanded(b []byte, dims mldsaDims) error {
	etaBits := bits.Len(uint(2 * dims.eta))
	polyEta, polyT0 := mldsaN*etaBits/8, mldsaN*mldsaD/8
	rho := b[:32]
	b = b[128:] // ρ, K, tr

	// s₁ and s₂ coefficients are packed as η − c, which must lie in [0, 2η].
	s := make([]mldsaPoly, dims.l+dims.k)
	for i := range s {
		packed := unpackBits(b[i*polyEta:], etaBits)
		for j, w := range packed {
			if w > uint32(2*dims.eta) {
				return errors.New("a coefficient of s1 or s2 is out of range")
			}
			s[i][j] = subModQ(uint32(dims.eta), w)
		}
	}
	s1, s2 := s[:dims.l], s[dims.l:]
	b = b[len(s)*polyEta:]

	for j := range s1 {
		s1[j].ntt()
	}
	for r := range dims.k {
		// t = A·s₁ + s₂; its low 13 bits, centred, must be t₀, packed as
		// 2¹² − t₀.
		var t mldsaPoly
		for c := range dims.l {
			a := expandA(rho, r, c)
			for j := range t {
				t[j] = addModQ(t[j], mulModQ(a[j], s1[c][j]))
			}
		}
		t.invNTT()
		t0 := unpackBits(b[r*polyT0:], mldsaD)
		for j := range t {
			low := int32(addModQ(t[j], s2[r][j]) & (1<<mldsaD - 1))
			if low > 1<<(mldsaD-1) {
				low -= 1 << mldsaD
			}
			if int32(1<<(mldsaD-1))-int32(t0[j]) != low {
				return fmt.Errorf("t0 does not match s1 and s2 (row %d)", r)
			}
		}
	}
	return nil
}
