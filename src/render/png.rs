//! PNG encoding: fdeflate's fast coding ([`super::deflate`]), the `png` crate's adaptive row filters, RGB
//! when the image is opaque (a quarter fewer bytes to compress), no timestamps or other varying chunks, so
//! identical inputs give byte-identical files. A sheet keeps its compressed bands of rows between builds
//! ([`encode_keeping`]): an edit that moves one place re-encodes the few bands it touched.

use super::deflate::{Bits, Stream};
use std::collections::HashMap;
use std::path::Path;
use tiny_skia::Pixmap;

/// Largest IDAT chunk (the `png` crate's default, 4 KiB, would spend a chunk header and CRC per 4 KiB).
const CHUNK: usize = 1 << 20;

/// Rows per kept band: small enough that a moved label re-encodes little, large enough that a sheet's
/// bands stay a few dozen.
const BAND: usize = 16;

/// First bytes of a file of kept bands (format version included: bump on any change of layout or coding).
const MAGIC: &[u8; 8] = b"FMPNGB2\n";

/// Encode a pixmap (premultiplied RGBA) as PNG.
pub fn encode(pixmap: &Pixmap) -> Vec<u8> {
    let image = Image::of(pixmap);
    let mut stream = Stream::new();
    let mut rows = Filter::new(&image);
    for y in 0..image.height {
        stream.row(rows.next(&image, y));
    }
    image.png(stream.finish())
}

/// [`encode`], keeping the compressed bands of rows in `file` and reusing those whose pixels (and the row
/// above, which the filters read) are unchanged since they were kept. The bits of a row do not depend on
/// where it lies in the stream, so the file is byte-identical to [`encode`]'s. A damaged or missing file
/// only means every band is encoded; one that cannot be written only makes the next encoding slower.
pub fn encode_keeping(pixmap: &Pixmap, file: &Path) -> Vec<u8> {
    use rayon::prelude::*;
    let image = Image::of(pixmap);
    let salt = band_salt(&image);
    let kept = read_kept(file, &salt);
    // Bands are keyed, and encoded when not kept, on every core: the last sheet of a build is often drawn
    // while the other cores are idle.
    let starts: Vec<usize> = (0..image.height).step_by(BAND).collect();
    let bands: Vec<([u8; 16], Option<Band>)> = starts
        .par_iter()
        .map(|&y0| {
            let y1 = (y0 + BAND).min(image.height);
            let key = band_key(&salt, &image, y0, y1);
            let fresh = (!kept.contains_key(&key)).then(|| encode_band(&image, y0, y1));
            (key, fresh)
        })
        .collect();
    let mut stream = Stream::new();
    let mut keep: Vec<([u8; 16], &Band)> = Vec::with_capacity(bands.len());
    for (key, fresh) in &bands {
        let Some(band) = fresh.as_ref().or_else(|| kept.get(key)) else { continue };
        stream.splice(&band.bits, band.adler.finish(), band.len);
        keep.push((*key, band));
    }
    // Identical bands (blank ones, say) share a key: each is kept once.
    keep.sort_by_key(|(k, _)| *k);
    keep.dedup_by_key(|(k, _)| *k);
    if bands.iter().any(|(_, f)| f.is_some()) || keep.len() != kept.len() {
        write_kept(file, &salt, &keep);
    }
    image.png(stream.finish())
}

/// Rows `y0..y1`, filtered and coded.
fn encode_band(image: &Image<'_>, y0: usize, y1: usize) -> Band {
    let mut rows = Filter::new(image);
    rows.restart(image, y0);
    let mut band = Band { bits: Bits::default(), adler: simd_adler32::Adler32::new(), len: 0 };
    for y in y0..y1 {
        let row = rows.next(image, y);
        band.bits.code(row);
        band.adler.write(row);
        band.len += row.len() as u64;
    }
    band
}

/// The rows of a pixmap as PNG sees them.
struct Image<'a> {
    rgba: &'a [u8],
    width: usize,
    height: usize,
    /// RGB when every pixel is opaque, straight RGBA otherwise.
    opaque: bool,
}

impl<'a> Image<'a> {
    fn of(pixmap: &'a Pixmap) -> Image<'a> {
        let rgba = pixmap.data();
        Image { rgba, width: pixmap.width() as usize, height: pixmap.height() as usize, opaque: is_opaque(rgba) }
    }

    fn bpp(&self) -> usize {
        if self.opaque { 3 } else { 4 }
    }

    /// Premultiplied RGBA bytes of rows `y0..y1`.
    fn raw(&self, y0: usize, y1: usize) -> &[u8] {
        &self.rgba[y0 * self.width * 4..y1 * self.width * 4]
    }

    /// Row `y` as PNG bytes, into `out` (cleared first).
    fn convert(&self, y: usize, out: &mut Vec<u8>) {
        out.clear();
        if self.opaque {
            rgb_into(self.raw(y, y + 1), out);
        } else {
            straight_into(self.raw(y, y + 1), out);
        }
    }

    /// The PNG file around a finished zlib stream: signature, IHDR, IDAT chunks, IEND.
    fn png(&self, zlib: Vec<u8>) -> Vec<u8> {
        let mut out = Vec::with_capacity(zlib.len() + 64 + zlib.len() / CHUNK * 12);
        out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
        let mut ihdr = Vec::with_capacity(13);
        ihdr.extend_from_slice(&(self.width as u32).to_be_bytes());
        ihdr.extend_from_slice(&(self.height as u32).to_be_bytes());
        // Depth 8; colour type RGB (2) or RGBA (6); deflate, adaptive filtering, no interlace.
        ihdr.extend_from_slice(&[8, if self.opaque { 2 } else { 6 }, 0, 0, 0]);
        chunk(&mut out, b"IHDR", &ihdr);
        for part in zlib.chunks(CHUNK) {
            chunk(&mut out, b"IDAT", part);
        }
        chunk(&mut out, b"IEND", &[]);
        out
    }
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let at = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32fast::hash(&out[at..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// Rows filtered as the `png` crate's adaptive filter does: of Up, Sub, Average and Paeth, the one whose
/// output has the smallest sum of absolute (signed) bytes, the later on a tie, the first that sums to 0.
struct Filter {
    bpp: usize,
    prev: Vec<u8>,
    cur: Vec<u8>,
    best: Vec<u8>,
    trial: Vec<u8>,
}

impl Filter {
    fn new(image: &Image<'_>) -> Filter {
        let len = image.width * image.bpp();
        Filter {
            bpp: image.bpp(),
            prev: vec![0; len],
            cur: Vec::with_capacity(len),
            best: vec![0; len + 1],
            trial: vec![0; len + 1],
        }
    }

    /// Start again at row `y` (the row above is read back from the image).
    fn restart(&mut self, image: &Image<'_>, y: usize) {
        if y == 0 {
            self.prev.fill(0);
        } else {
            image.convert(y - 1, &mut self.prev);
        }
    }

    /// Row `y`, filtered, filter byte first (rows must come in order, or after [`Filter::restart`]).
    fn next(&mut self, image: &Image<'_>, y: usize) -> &[u8] {
        image.convert(y, &mut self.cur);
        let mut min = u64::MAX;
        for kind in [2u8, 1, 3, 4] {
            self.trial[0] = kind;
            apply(kind, self.bpp, &self.prev, &self.cur, &mut self.trial[1..]);
            let cost = cost(&self.trial[1..]);
            if cost <= min {
                min = cost;
                std::mem::swap(&mut self.best, &mut self.trial);
                if cost == 0 {
                    break;
                }
            }
        }
        std::mem::swap(&mut self.prev, &mut self.cur);
        &self.best
    }
}

/// PNG filter `kind` (1 Sub, 2 Up, 3 Average, 4 Paeth) of row `cur` under row `prev`.
///
/// Written over zipped slices (byte `i`, its left neighbour `a`, the byte above `b`, above-left `c`), with
/// no bounds check inside the loops, so the compiler vectorises them.
fn apply(kind: u8, bpp: usize, prev: &[u8], cur: &[u8], out: &mut [u8]) {
    let n = cur.len().min(prev.len()).min(out.len());
    let bpp = bpp.min(n);
    let (x, a) = (&cur[bpp..n], &cur[..n - bpp]);
    let (b, c) = (&prev[bpp..n], &prev[..n - bpp]);
    let (head, o) = out[..n].split_at_mut(bpp);
    match kind {
        1 => {
            head.copy_from_slice(&cur[..bpp]);
            for ((o, &x), &a) in o.iter_mut().zip(x).zip(a) {
                *o = x.wrapping_sub(a);
            }
        }
        2 => {
            for ((o, &x), &b) in out[..n].iter_mut().zip(&cur[..n]).zip(&prev[..n]) {
                *o = x.wrapping_sub(b);
            }
        }
        3 => {
            for ((h, &x), &b) in head.iter_mut().zip(&cur[..bpp]).zip(&prev[..bpp]) {
                *h = x.wrapping_sub(b >> 1);
            }
            for (((o, &x), &a), &b) in o.iter_mut().zip(x).zip(a).zip(b) {
                *o = x.wrapping_sub(((u16::from(a) + u16::from(b)) >> 1) as u8);
            }
        }
        _ => {
            for ((h, &x), &b) in head.iter_mut().zip(&cur[..bpp]).zip(&prev[..bpp]) {
                *h = x.wrapping_sub(b);
            }
            for ((((o, &x), &a), &b), &c) in o.iter_mut().zip(x).zip(a).zip(b).zip(c) {
                *o = x.wrapping_sub(paeth(a, b, c));
            }
        }
    }
}

/// The Paeth predictor (PNG §9.4) on bytes alone, as FPNGE computes it (the `png` crate's
/// `filter_paeth_fpnge`): |p − a| = |b − c|, |p − b| = |a − c|, and |p − c| matters only when c lies between
/// a and b, where it is the difference of the other two. Sixteen lanes to a vector instead of eight.
#[inline]
fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let pa = b.max(c) - b.min(c);
    let pb = a.max(c) - a.min(c);
    let pc = if (a < c) == (c < b) { pa.max(pb) - pa.min(pb) } else { 255 };
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// Sum of the bytes taken as signed magnitudes (the adaptive filter's heuristic).
fn cost(row: &[u8]) -> u64 {
    // In runs of 32 bytes (at most 32 × 128, no overflow), which the compiler vectorises.
    let mut blocks = row.chunks_exact(32);
    let mut total = 0u64;
    for block in &mut blocks {
        total += u64::from(block.iter().map(|&b| u16::from((b as i8).unsigned_abs())).sum::<u16>());
    }
    total + blocks.remainder().iter().map(|&b| u64::from((b as i8).unsigned_abs())).sum::<u64>()
}

/// A band of rows, coded.
struct Band {
    bits: Bits,
    adler: simd_adler32::Adler32,
    len: u64,
}

/// What every band key of an image shares: the binary (the coding may change with it), the layout.
fn band_salt(image: &Image<'_>) -> [u8; 16] {
    let mut h = blake3::Hasher::new();
    h.update(MAGIC);
    h.update(crate::identity::binary().as_bytes());
    h.update(&[u8::from(image.opaque)]);
    h.update(&(image.width as u64).to_le_bytes());
    super::source::short(h.finalize())
}

/// The key of rows `y0..y1`: their pixels and those of the row above (the filters read it). XXH3-128, not
/// blake3: the key guards our own cache against our own pixels, not against an adversary, and 128 bits keep
/// an accidental collision out of reach, while an edit keys every band of each sheet it redraws (30 MB for
/// the bundled four), which XXH3 does ten times faster.
fn band_key(salt: &[u8; 16], image: &Image<'_>, y0: usize, y1: usize) -> [u8; 16] {
    let mut h = twox_hash::XxHash3_128::new();
    h.write(salt);
    h.write(&[u8::from(y0 == 0)]);
    h.write(image.raw(y0.saturating_sub(1), y1));
    h.finish_128().to_le_bytes()
}

/// The bands kept in `file` for this `salt` (none when the file is missing, damaged or for another salt).
fn read_kept(file: &Path, salt: &[u8; 16]) -> HashMap<[u8; 16], Band> {
    let mut kept = HashMap::new();
    let Ok(bytes) = std::fs::read(file) else { return kept };
    let mut r = Reader(&bytes);
    if r.take(8) != Some(MAGIC.as_slice()) || r.take(16) != Some(salt.as_slice()) {
        return kept;
    }
    while !r.0.is_empty() {
        let band = (|| {
            let key: [u8; 16] = r.take(16)?.try_into().ok()?;
            let adler = r.u64()? as u32;
            let len = r.u64()?;
            let nbits = r.u64()?;
            let bytes = r.take(usize::try_from(nbits.div_ceil(8)).ok()?)?.to_vec();
            let bits = Bits::from_parts(bytes, nbits)?;
            Some((key, Band { bits, adler: simd_adler32::Adler32::from_checksum(adler), len }))
        })();
        match band {
            Some((k, b)) => kept.insert(k, b),
            None => return HashMap::new(),
        };
    }
    kept
}

fn write_kept(file: &Path, salt: &[u8; 16], bands: &[([u8; 16], &Band)]) {
    let mut out = Vec::with_capacity(24 + bands.iter().map(|(_, b)| 40 + b.bits.len() as usize / 8).sum::<usize>());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(salt);
    for (key, b) in bands {
        out.extend_from_slice(key);
        for v in [u64::from(b.adler.finish()), b.len, b.bits.len()] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&b.bits.bytes());
    }
    if let Some(dir) = file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = crate::atomic::write(file, &out);
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (a, b) = self.0.split_at_checked(n)?;
        self.0 = b;
        Some(a)
    }

    fn u64(&mut self) -> Option<u64> {
        self.take(8)?.try_into().ok().map(u64::from_le_bytes)
    }
}

/// Whether every pixel is opaque (read-only, eight pixels at a time).
fn is_opaque(rgba: &[u8]) -> bool {
    // A transparent corner says so at once (tiles at the edge of the data often have one).
    if rgba.get(3).is_some_and(|&a| a != 255) || rgba.last().is_some_and(|&a| a != 255) {
        return false;
    }
    let mut alpha = 255u8;
    let mut blocks = rgba.chunks_exact(32);
    for b in &mut blocks {
        alpha &= b[3] & b[7] & b[11] & b[15] & b[19] & b[23] & b[27] & b[31];
    }
    for p in blocks.remainder().chunks_exact(4) {
        alpha &= p[3];
    }
    alpha == 255
}

/// Append the RGB bytes of opaque RGBA pixels (premultiplied and straight are the same when opaque), four
/// pixels (three output words) at a time: a sheet is millions of pixels, and a byte-wise loop cost a fifth
/// of its encoding.
fn rgb_into(rgba: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + rgba.len() / 4 * 3, 0);
    let dst = &mut out[start..];
    let mut quads = rgba.chunks_exact(16);
    let mut words = dst.chunks_exact_mut(12);
    let word = |s: &[u8], i: usize| u32::from_le_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]]);
    for (s, d) in (&mut quads).zip(&mut words) {
        let (p0, p1, p2, p3) = (word(s, 0), word(s, 4), word(s, 8), word(s, 12));
        d[0..4].copy_from_slice(&((p0 & 0x00ff_ffff) | (p1 << 24)).to_le_bytes());
        d[4..8].copy_from_slice(&(((p1 >> 8) & 0xffff) | (p2 << 16)).to_le_bytes());
        d[8..12].copy_from_slice(&(((p2 >> 16) & 0xff) | (p3 << 8)).to_le_bytes());
    }
    for (s, d) in quads.remainder().chunks_exact(4).zip(words.into_remainder().chunks_exact_mut(3)) {
        d.copy_from_slice(&s[..3]);
    }
}

/// Append premultiplied RGBA pixels as straight (PNG) RGBA.
fn straight_into(rgba: &[u8], out: &mut Vec<u8>) {
    for p in rgba.chunks_exact(4) {
        let c = tiny_skia::PremultipliedColorU8::from_rgba(p[0], p[1], p[2], p[3])
            .map(|c| c.demultiply())
            .map_or([0, 0, 0, 0], |c| [c.red(), c.green(), c.blue(), c.alpha()]);
        out.extend_from_slice(&c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_pixels_become_rgb_and_any_translucent_pixel_keeps_rgba() {
        for n in [0usize, 1, 3, 4, 5, 8, 9, 17, 64] {
            let rgba: Vec<u8> = (0..n).flat_map(|i| [i as u8, (i * 7) as u8, (i * 13) as u8, 255]).collect();
            let want: Vec<u8> = rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
            let mut rgb = Vec::new();
            rgb_into(&rgba, &mut rgb);
            assert_eq!((is_opaque(&rgba), rgb), (true, want), "{n} pixels");
            for hole in 0..n {
                let mut t = rgba.clone();
                t[hole * 4 + 3] = 254;
                assert!(!is_opaque(&t), "pixel {hole} of {n}");
            }
        }
    }

    #[test]
    fn the_byte_paeth_predictor_is_the_specifications_for_every_input() {
        let spec = |a: u8, b: u8, c: u8| {
            let p = i16::from(a) + i16::from(b) - i16::from(c);
            let (pa, pb, pc) = ((p - i16::from(a)).abs(), (p - i16::from(b)).abs(), (p - i16::from(c)).abs());
            if pa <= pb && pa <= pc {
                a
            } else if pb <= pc {
                b
            } else {
                c
            }
        };
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                for c in 0..=255u8 {
                    assert_eq!(paeth(a, b, c), spec(a, b, c), "a={a} b={b} c={c}");
                }
            }
        }
    }

    #[test]
    fn bands_kept_from_another_image_give_the_bytes_of_a_fresh_encoding() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("sheet.png.kept");
        let Some(mut pm) = Pixmap::new(97, 83) else { panic!("pixmap") };
        for (i, p) in pm.data_mut().chunks_exact_mut(4).enumerate() {
            p.copy_from_slice(&[(i % 7) as u8 * 30, (i / 97 % 5) as u8 * 40, 90, 255]);
        }
        // Nothing kept, then everything kept.
        assert_eq!(encode_keeping(&pm, &file), encode(&pm));
        assert_eq!(encode_keeping(&pm, &file), encode(&pm));
        // A few pixels changed (in one band, then at a band's edge row, whose next band reads it), then a
        // translucent pixel (RGBA instead of RGB: no band is reused), then damaged files.
        for (x, y) in [(5usize, 40usize), (96, 47), (0, 0), (50, 82)] {
            pm.data_mut()[(y * 97 + x) * 4] ^= 0xff;
            assert_eq!(encode_keeping(&pm, &file), encode(&pm), "pixel {x},{y}");
        }
        pm.data_mut()[3] = 128;
        assert_eq!(encode_keeping(&pm, &file), encode(&pm));
        let bytes = std::fs::read(&file).unwrap_or_default();
        for damaged in [bytes[..bytes.len() / 2].to_vec(), vec![0x5a; bytes.len()], Vec::new()] {
            std::fs::write(&file, damaged).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(encode_keeping(&pm, &file), encode(&pm));
        }
    }

    #[test]
    fn an_encoded_pixmap_decodes_to_the_same_pixels() {
        for (w, h, opaque) in [(1u32, 1u32, true), (37, 40, true), (37, 40, false), (256, 256, false)] {
            let Some(mut pm) = Pixmap::new(w, h) else { panic!("pixmap {w}x{h}") };
            for (i, p) in pm.data_mut().chunks_exact_mut(4).enumerate() {
                let a = if opaque || i % 3 == 0 { 255 } else { (i % 200) as u8 };
                let c = |v: usize| ((v % 256) as u32 * a as u32 / 255) as u8;
                p.copy_from_slice(&[c(i), c(i * 7), c(i / 5), a]);
            }
            let bytes = encode(&pm);
            let mut dec = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap_or_else(|e| panic!("{e}"));
            let mut buf = vec![0; dec.output_buffer_size().unwrap_or(0)];
            let info = dec.next_frame(&mut buf).unwrap_or_else(|e| panic!("{e}"));
            let want_color = if opaque { png::ColorType::Rgb } else { png::ColorType::Rgba };
            assert_eq!((info.width, info.height, info.color_type), (w, h, want_color));
            let mut want = Vec::new();
            if opaque {
                rgb_into(pm.data(), &mut want);
            } else {
                straight_into(pm.data(), &mut want);
            }
            assert_eq!(&buf[..info.buffer_size()], &want[..], "{w}x{h}");
        }
    }
}
