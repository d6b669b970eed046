//! Deflate with one fixed set of Huffman codes for filtered PNG rows, written so compressed pieces join
//! at any bit: a sheet re-encodes only the bands of rows an edit changed and splices the others back.
//!
//! The coding is fdeflate's "ultra fast" one (the `fdeflate` crate, MIT/Apache-2.0, which the `png` crate
//! uses for `Compression::Fast`): a single dynamic-Huffman block whose code lengths are fixed in advance
//! and tuned for filtered image data, every byte a literal except runs of zeros, coded as a literal zero
//! and copies at distance one. No code depends on what came before, so the bits of a row are the same
//! wherever the row lies in the stream: a stream assembled from kept pieces is bit for bit the stream
//! coded in one go. Only the Adler-32 checksum spans the whole stream, and it combines from the pieces'.
//!
//! ```
//! use frontmap::render::deflate::{Bits, Stream};
//! let rows: [&[u8]; 3] = [b"\x00abc", b"\x02\x00\x00\x00", b"\x01xyz"];
//! let mut whole = Stream::new();
//! let mut pieces = Vec::new();
//! for r in rows {
//!     whole.row(r);
//!     let mut p = Bits::default();
//!     p.code(r);
//!     pieces.push((p, frontmap::render::deflate::adler32(r), r.len() as u64));
//! }
//! let mut joined = Stream::new();
//! for (bits, adler, len) in &pieces {
//!     joined.splice(bits, *adler, *len);
//! }
//! assert_eq!(joined.finish(), whole.finish());
//! ```

/// Code lengths of literals 0…255, end of block (256) and lengths 257…285, fixed for every stream
/// (fdeflate's `HUFFMAN_LENGTHS`).
const LENGTHS: [u8; 286] = [
    2, 3, 4, 5, 5, 6, 6, 7, 7, 7, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 10, 10, 10, 10, 10, 10, 10, 10, 10, 11, 11, 11,
    11, 11, 11, 11, 11, 11, 11, 11, 11, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 10, 11, 10, 10, 10, 10, 10, 10, 10, 10, 10, 9, 9,
    9, 9, 9, 8, 9, 8, 8, 8, 8, 8, 7, 7, 7, 6, 6, 6, 5, 4, 3, 12, 12, 12, 9, 9, 11, 10, 11, 11, 10, 11, 11, 11, 11, 11,
    11, 12, 11, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 9,
];

/// The zlib header and the block header declaring [`LENGTHS`] (and one distance code, distance 1, one bit
/// long): 53 bytes and 5 bits (fdeflate's `write_headers`).
const HEADER: [u8; 54] = [
    120, 1, 237, 192, 3, 160, 36, 89, 150, 198, 241, 255, 119, 238, 141, 200, 204, 167, 114, 75, 99, 174, 109, 219,
    182, 109, 219, 182, 109, 219, 182, 109, 105, 140, 158, 150, 74, 175, 158, 50, 51, 34, 238, 249, 118, 183, 106, 122,
    166, 135, 59, 107, 213, 15,
];

/// Canonical codes for [`LENGTHS`], bit-reversed (deflate sends Huffman codes most significant bit first
/// into a least-significant-first bit stream).
const CODES: [u16; 286] = {
    let mut codes = [0u16; 286];
    let mut code = 0u32;
    let mut len = 1;
    while len <= 15 {
        let mut i = 0;
        while i < LENGTHS.len() {
            if LENGTHS[i] == len {
                codes[i] = (code as u16).reverse_bits() >> (16 - len);
                code += 1;
            }
            i += 1;
        }
        code <<= 1;
        len += 1;
    }
    codes
};

/// Deflate's length symbols 257…284: the first length each covers (285 is 258 alone).
const LENGTH_BASE: [u16; 28] =
    [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227];

/// The symbol and extra-bit count of a copy length 3…258 (RFC 1951 §3.2.5).
fn length_symbol(len: u32) -> (usize, u8, u32) {
    if len >= 258 {
        return (285, 0, 0);
    }
    let i = LENGTH_BASE.iter().rposition(|&b| u32::from(b) <= len).unwrap_or(0);
    let extra = if i < 8 { 0 } else { ((i - 4) / 4) as u8 };
    (257 + i, extra, len - u32::from(LENGTH_BASE[i]))
}

/// A string of bits, least significant first, as deflate writes them.
#[derive(Debug, Clone, Default)]
pub struct Bits {
    bytes: Vec<u8>,
    /// Bits not yet in `bytes` (the low `pending` bits).
    acc: u64,
    pending: u8,
}

impl Bits {
    /// Bits from their bytes and length (as [`Bits::bytes`] and [`Bits::len`] give them); `None` when the
    /// length does not fit the bytes.
    pub fn from_parts(mut bytes: Vec<u8>, len: u64) -> Option<Bits> {
        let whole = usize::try_from(len / 8).ok()?;
        let rest = (len % 8) as u8;
        if bytes.len() != whole + usize::from(rest > 0) {
            return None;
        }
        let acc = if rest > 0 { u64::from(bytes.pop()? & ((1u8 << rest) - 1)) } else { 0 };
        Some(Bits { bytes, acc, pending: rest })
    }

    /// How many bits.
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64 * 8 + u64::from(self.pending)
    }

    /// Whether there is no bit.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bits as bytes, the last one padded with zeros.
    pub fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(self.bytes.len() + 8);
        b.extend_from_slice(&self.bytes);
        b.extend_from_slice(&self.acc.to_le_bytes()[..usize::from(self.pending).div_ceil(8)]);
        b
    }

    /// Append the low `n` (≤ 64) bits of `bits` (higher bits must be zero).
    #[inline]
    fn push(&mut self, bits: u64, n: u8) {
        debug_assert!(n <= 64 && (n == 64 || bits >> n == 0));
        self.acc |= bits.checked_shl(u32::from(self.pending)).unwrap_or(0);
        let total = self.pending + n;
        if total >= 64 {
            self.bytes.extend_from_slice(&self.acc.to_le_bytes());
            self.pending = total - 64;
            self.acc = bits.checked_shr(u32::from(n - self.pending)).unwrap_or(0);
        } else {
            self.pending = total;
        }
    }

    /// Append another string of bits, wherever this one ends.
    pub fn append(&mut self, other: &Bits) {
        self.bytes.reserve(other.bytes.len() + 8);
        let mut words = other.bytes.chunks_exact(8);
        for w in &mut words {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            self.push(u64::from_le_bytes(word), 64);
        }
        for &b in words.remainder() {
            self.push(u64::from(b), 8);
        }
        self.push(other.acc, other.pending);
    }

    /// Pad with zero bits to a whole byte.
    fn align(&mut self) {
        let pad = (8 - self.pending % 8) % 8;
        self.push(0, pad);
    }

    fn symbol(&mut self, s: usize) {
        self.push(u64::from(CODES[s]), LENGTHS[s]);
    }

    /// A run of `run` (≥ 1) zero bytes: a literal zero, then copies of the byte before.
    fn zeros(&mut self, mut run: u32) {
        self.symbol(0);
        run -= 1;
        while run >= 258 {
            // Length 258, then distance code 0 (distance 1), a single zero bit.
            self.push(u64::from(CODES[285]), LENGTHS[285] + 1);
            run -= 258;
        }
        if run > 4 {
            let (sym, extra_bits, extra) = length_symbol(run);
            self.symbol(sym);
            self.push(u64::from(extra), extra_bits + 1);
        } else {
            // Literal zeros: code 0 is all zero bits.
            debug_assert_eq!(CODES[0], 0);
            self.push(0, (run as u8) * LENGTHS[0]);
        }
    }

    /// Code `data` (one filtered row, filter byte first), as fdeflate's `Compressor::write_data` does:
    /// eight bytes at a time, runs of zeros as copies.
    pub fn code(&mut self, data: &[u8]) {
        let mut run = 0u32;
        let mut chunks = data.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let w = u64::from_le_bytes(word);
            if w == 0 {
                run += 8;
                continue;
            } else if run > 0 {
                let run_extra = w.trailing_zeros() / 8;
                self.zeros(run + run_extra);
                run = 0;
                if run_extra > 0 {
                    run = w.leading_zeros() / 8;
                    for &b in &chunk[run_extra as usize..8 - run as usize] {
                        self.symbol(usize::from(b));
                    }
                    continue;
                }
            }
            let run_start = w.leading_zeros() / 8;
            if run_start > 0 {
                for &b in &chunk[..8 - run_start as usize] {
                    self.symbol(usize::from(b));
                }
                run = run_start;
                continue;
            }
            let (lo, hi) = chunk.split_at(4);
            for half in [lo, hi] {
                let (mut bits, mut n) = (0u64, 0u8);
                for &b in half {
                    bits |= u64::from(CODES[usize::from(b)]) << n;
                    n += LENGTHS[usize::from(b)];
                }
                self.push(bits, n);
            }
        }
        if run > 0 {
            self.zeros(run);
        }
        for &b in chunks.remainder() {
            self.symbol(usize::from(b));
        }
    }
}

/// Adler-32 of `data` (the zlib checksum).
pub fn adler32(data: &[u8]) -> u32 {
    let mut a = simd_adler32::Adler32::new();
    a.write(data);
    a.finish()
}

/// The Adler-32 of `x` followed by `y`, from the checksum of each and the length of `y` (zlib's
/// `adler32_combine`).
pub fn adler32_combine(x: u32, y: u32, y_len: u64) -> u32 {
    const BASE: u64 = 65521;
    let rem = y_len % BASE;
    let (x_lo, x_hi) = (u64::from(x & 0xffff), u64::from(x >> 16));
    let (y_lo, y_hi) = (u64::from(y & 0xffff), u64::from(y >> 16));
    let lo = (x_lo + y_lo + BASE - 1) % BASE;
    let hi = (rem * x_lo % BASE + x_hi + y_hi + BASE - rem) % BASE;
    (lo | (hi << 16)) as u32
}

/// A zlib stream being written: headers, then coded rows or spliced pieces, then the end.
#[derive(Clone)]
pub struct Stream {
    bits: Bits,
    adler: simd_adler32::Adler32,
}

impl Default for Stream {
    fn default() -> Self {
        Stream::new()
    }
}

impl Stream {
    /// A stream with its headers written.
    pub fn new() -> Stream {
        let mut bits = Bits { bytes: HEADER[..53].to_vec(), acc: 0, pending: 0 };
        bits.push(u64::from(HEADER[53]), 5);
        Stream { bits, adler: simd_adler32::Adler32::new() }
    }

    /// Code one row (filter byte first).
    pub fn row(&mut self, data: &[u8]) {
        self.bits.code(data);
        self.adler.write(data);
    }

    /// Append rows coded elsewhere ([`Bits::code`]), with the checksum and length of what they code.
    pub fn splice(&mut self, bits: &Bits, adler: u32, len: u64) {
        self.bits.append(bits);
        self.adler = simd_adler32::Adler32::from_checksum(adler32_combine(self.adler.finish(), adler, len));
    }

    /// End of block, padding and checksum: the finished zlib stream.
    pub fn finish(mut self) -> Vec<u8> {
        self.bits.symbol(256);
        self.bits.align();
        let mut out = self.bits.bytes();
        out.extend_from_slice(&self.adler.finish().to_be_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fdeflate_rows(rows: &[Vec<u8>]) -> Vec<u8> {
        let mut c = fdeflate::Compressor::new(Vec::new()).unwrap_or_else(|e| panic!("{e}"));
        for r in rows {
            c.write_data(r).unwrap_or_else(|e| panic!("{e}"));
        }
        c.finish().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn length_symbols_follow_rfc_1951() {
        assert_eq!(length_symbol(3), (257, 0, 0));
        assert_eq!(length_symbol(10), (264, 0, 0));
        assert_eq!(length_symbol(12), (265, 1, 1));
        assert_eq!(length_symbol(130), (280, 4, 15));
        assert_eq!(length_symbol(257), (284, 5, 30));
        assert_eq!(length_symbol(258), (285, 0, 0));
    }

    proptest! {
        #[test]
        fn a_stream_is_fdeflates_and_pieces_join_at_any_bit(
            rows in prop::collection::vec(
                prop::collection::vec(prop_oneof![Just(0u8), any::<u8>()], 0..700), 0..12),
            cut in 0usize..12,
        ) {
            let mut whole = Stream::new();
            for r in &rows {
                whole.row(r);
            }
            let want = fdeflate_rows(&rows);
            let mut joined = Stream::new();
            let cut = cut.min(rows.len());
            for r in &rows[..cut] {
                joined.row(r);
            }
            let mut piece = Bits::default();
            let mut adler = 1;
            let mut len = 0u64;
            for r in &rows[cut..] {
                piece.code(r);
                adler = adler32_combine(adler, adler32(r), r.len() as u64);
                len += r.len() as u64;
            }
            let piece = Bits::from_parts(piece.bytes(), piece.len()).unwrap_or_else(|| panic!("parts"));
            joined.splice(&piece, adler, len);
            prop_assert_eq!(whole.finish(), want.clone());
            prop_assert_eq!(joined.finish(), want.clone());
            let data: Vec<u8> = rows.concat();
            prop_assert_eq!(fdeflate::decompress_to_vec(&want).ok(), Some(data));
        }

        #[test]
        fn adler32_combines(x in prop::collection::vec(any::<u8>(), 0..300), y in prop::collection::vec(any::<u8>(), 0..300)) {
            let both = [x.as_slice(), y.as_slice()].concat();
            prop_assert_eq!(adler32_combine(adler32(&x), adler32(&y), y.len() as u64), adler32(&both));
        }
    }
}
