//! PMTiles v3 (<https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md>): the pyramid as one file
//! that a static web server (or object store) serves with HTTP range requests, no tile server needed.
//!
//! Layout: header (127 bytes), root directory, JSON metadata, leaf directories, tile data. Tiles are ordered
//! by Hilbert tile id; identical images are stored once (entries share an offset) and consecutive tiles with
//! the same image become one run, so the archive is "clustered". Directories are gzip-compressed (what
//! readers expect); leaves are used when the root would not fit the first 16 KiB. Deterministic: no
//! timestamps (the gzip header's mtime is 0), same inputs give the same bytes.

use super::error::TilesError;
use super::mbtiles::Metadata;
use super::tile::TileId;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const HEADER_LEN: usize = 127;
/// Header plus root directory must fit in the first 16 KiB.
const ROOT_LIMIT: usize = 16_384 - HEADER_LEN;

/// The PMTiles tile id: tiles of all lower zooms first, then the position on zoom `z`'s Hilbert curve.
pub fn tile_id(t: &TileId) -> u64 {
    let z = u32::from(t.z);
    let mut acc: u64 = ((1u64 << (2 * z)) - 1) / 3;
    let (mut x, mut y) = (u64::from(t.x), u64::from(t.y));
    for a in (0..z).rev() {
        let s = 1u64 << a;
        let rx = u64::from(x & s != 0);
        let ry = u64::from(y & s != 0);
        acc += ((3 * rx) ^ ry) << (2 * a);
        if ry == 0 {
            if rx == 1 {
                x = s - 1 - (x & (s - 1));
                y = s - 1 - (y & (s - 1));
            }
            std::mem::swap(&mut x, &mut y);
        }
        x &= s - 1;
        y &= s - 1;
    }
    acc
}

/// One directory entry: a run of tiles sharing an image, or (run 0) a leaf directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub tile_id: u64,
    pub offset: u64,
    pub length: u32,
    pub run_length: u32,
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes)?;
    enc.finish()
}

/// A directory serialised as the spec says (count, delta tile ids, run lengths, lengths, offsets), gzipped.
pub fn encode_directory(entries: &[Entry]) -> std::io::Result<Vec<u8>> {
    let mut raw = Vec::with_capacity(entries.len() * 6 + 8);
    varint(&mut raw, entries.len() as u64);
    let mut last = 0;
    for e in entries {
        varint(&mut raw, e.tile_id - last);
        last = e.tile_id;
    }
    for e in entries {
        varint(&mut raw, u64::from(e.run_length));
    }
    for e in entries {
        varint(&mut raw, u64::from(e.length));
    }
    for (i, e) in entries.iter().enumerate() {
        let contiguous = i > 0 && e.offset == entries[i - 1].offset + u64::from(entries[i - 1].length);
        varint(&mut raw, if contiguous { 0 } else { e.offset + 1 });
    }
    gzip(&raw)
}

/// What writing the archive did.
#[derive(Debug, Clone, PartialEq)]
pub struct PmtilesSummary {
    pub path: PathBuf,
    pub tiles: usize,
    pub entries: usize,
    pub images: usize,
    pub bytes: u64,
    pub written: bool,
    /// The archive's size and modification time once written: the next run takes the tiles it does not
    /// redraw from this file only if the file still has this stamp (no one wrote it since).
    pub stamp: Option<crate::incremental::Stamp>,
}

fn e7(v: f64) -> i32 {
    (v * 1e7).round().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
}

/// The root directory and the leaf directories section for `entries`: one root when it fits the first
/// 16 KiB, else leaves of a growing size until the root of leaf pointers fits.
fn directories(entries: &[Entry]) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let root = encode_directory(entries)?;
    if root.len() <= ROOT_LIMIT {
        return Ok((root, Vec::new()));
    }
    let mut leaf_size = 4096;
    loop {
        let mut leaves = Vec::new();
        let mut pointers = Vec::new();
        for chunk in entries.chunks(leaf_size) {
            let leaf = encode_directory(chunk)?;
            pointers.push(Entry {
                tile_id: chunk[0].tile_id,
                offset: leaves.len() as u64,
                length: u32::try_from(leaf.len()).map_err(std::io::Error::other)?,
                run_length: 0,
            });
            leaves.extend_from_slice(&leaf);
        }
        let root = encode_directory(&pointers)?;
        if root.len() <= ROOT_LIMIT {
            return Ok((root, leaves));
        }
        leaf_size *= 2;
    }
}

/// Hashes an image by its length and last 64 bytes only (a PNG ends with its compressed data's checksums),
/// not the whole of each of thousands of tiles; equal hashes are still compared byte for byte.
#[derive(Default)]
struct TailHasher(u64);

impl Hasher for TailHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let tail = &bytes[bytes.len().saturating_sub(64)..];
        for b in std::iter::once(bytes.len() as u64).chain(tail.iter().map(|b| u64::from(*b))) {
            self.0 = (self.0.rotate_left(5) ^ b).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
}

/// The whole archive in memory.
pub fn archive(meta: &Metadata, tiles: &[(TileId, Arc<Vec<u8>>)]) -> std::io::Result<(Vec<u8>, usize, usize)> {
    archive_sorted(meta, &sorted(tiles))
}

/// `(tile id, bytes)` of the tiles, in tile id order: what [`archive_sorted`] takes.
pub fn sorted(tiles: &[(TileId, Arc<Vec<u8>>)]) -> Vec<(u64, &[u8])> {
    let mut sorted: Vec<(u64, &[u8])> = tiles.iter().map(|(t, b)| (tile_id(t), b.as_slice())).collect();
    sorted.sort_by_key(|(id, _)| *id);
    sorted
}

/// The whole archive of tiles given in tile id order (the bytes may live anywhere: fresh tiles, or the
/// data section of the previous archive); same tiles, same bytes as [`archive`].
pub fn archive_sorted(meta: &Metadata, sorted: &[(u64, &[u8])]) -> std::io::Result<(Vec<u8>, usize, usize)> {
    let mut out = Vec::new();
    let (entries, images) = write_archive(meta, sorted, &mut out)?;
    Ok((out, entries, images))
}

/// [`archive_sorted`] streamed into `w`, the images straight from `sorted`: the archive (as large as every
/// distinct tile) is never held whole beside the tiles (issue 8). Returns the directory entries and images
/// written.
pub fn write_archive(meta: &Metadata, sorted: &[(u64, &[u8])], out: &mut dyn Write) -> std::io::Result<(usize, usize)> {
    // Identical images are stored once, in the order they first appear; the data section is copied straight
    // into the archive once the directories (whose size decides where it starts) are known.
    let mut images: Vec<&[u8]> = Vec::new();
    let mut data_len: u64 = 0;
    let mut seen: HashMap<&[u8], (u64, u32), BuildHasherDefault<TailHasher>> =
        HashMap::with_capacity_and_hasher(sorted.len(), BuildHasherDefault::default());
    let mut entries: Vec<Entry> = Vec::new();
    for &(id, bytes) in sorted {
        let (offset, length) = match seen.get(bytes) {
            Some(v) => *v,
            None => {
                let v = (data_len, u32::try_from(bytes.len()).map_err(std::io::Error::other)?);
                data_len += bytes.len() as u64;
                images.push(bytes);
                seen.insert(bytes, v);
                v
            }
        };
        match entries.last_mut() {
            Some(e) if e.offset == offset && e.tile_id + u64::from(e.run_length) == id => e.run_length += 1,
            _ => entries.push(Entry { tile_id: id, offset, length, run_length: 1 }),
        }
    }
    if entries.is_empty() {
        return Err(std::io::Error::other("no tiles to archive (a PMTiles directory cannot be empty)"));
    }
    let (root, leaves) = directories(&entries)?;
    let rows: serde_json::Map<String, serde_json::Value> =
        meta.rows().into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
    let metadata = gzip(serde_json::Value::Object(rows).to_string().as_bytes())?;
    let root_off = HEADER_LEN as u64;
    let meta_off = root_off + root.len() as u64;
    let leaf_off = meta_off + metadata.len() as u64;
    let data_off = leaf_off + leaves.len() as u64;
    let mut h: Vec<u8> = Vec::with_capacity(HEADER_LEN);
    h.extend_from_slice(b"PMTiles");
    h.push(3);
    for v in [
        root_off,
        root.len() as u64,
        meta_off,
        metadata.len() as u64,
        leaf_off,
        leaves.len() as u64,
        data_off,
        data_len,
        sorted.len() as u64,
        entries.len() as u64,
        seen.len() as u64,
    ] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    // clustered; internal compression gzip; tile compression none; PNG; zooms.
    h.extend_from_slice(&[1, 2, 1, 2, meta.minzoom, meta.maxzoom]);
    let [w, s, e, n] = meta.bounds;
    for v in [w, s, e, n] {
        h.extend_from_slice(&e7(v).to_le_bytes());
    }
    h.push(meta.center.2);
    h.extend_from_slice(&e7(meta.center.0).to_le_bytes());
    h.extend_from_slice(&e7(meta.center.1).to_le_bytes());
    debug_assert_eq!(h.len(), HEADER_LEN);
    for part in [&h, &root, &metadata, &leaves] {
        out.write_all(part)?;
    }
    for image in &images {
        out.write_all(image)?;
    }
    Ok((entries.len(), images.len()))
}

/// A writer that counts the bytes it passes on.
struct Counting<'a> {
    w: &'a mut dyn Write,
    len: u64,
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.w.write(buf)?;
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}

/// Write the archive to `path` atomically (unchanged files are left alone).
pub fn write(path: &Path, meta: &Metadata, tiles: &[(TileId, Arc<Vec<u8>>)]) -> Result<PmtilesSummary, TilesError> {
    write_sorted(path, meta, &sorted(tiles))
}

/// [`write()`] of tiles in tile id order, streamed into a temporary sibling that replaces the file only when
/// their bytes differ.
pub fn write_sorted(path: &Path, meta: &Metadata, sorted: &[(u64, &[u8])]) -> Result<PmtilesSummary, TilesError> {
    let werr = |source| TilesError::Write { path: path.to_path_buf(), source };
    let fill = |w: &mut dyn Write| {
        let mut w = Counting { w, len: 0 };
        let (entries, images) = write_archive(meta, sorted, &mut w).map_err(werr)?;
        Ok((entries, images, w.len))
    };
    let ((entries, images, bytes), written) = crate::atomic::write_streamed(path, werr, fill)?;
    let stamp = crate::incremental::Stamp::of(path);
    Ok(PmtilesSummary { path: path.to_path_buf(), tiles: sorted.len(), entries, images, bytes, written, stamp })
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 8).and_then(|s| s.try_into().ok()).map(u64::from_le_bytes)
}

fn read_varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Decode a gzipped directory (the inverse of [`encode_directory`]); `None` if it is not one.
pub fn decode_directory(gz: &[u8]) -> Option<Vec<Entry>> {
    use std::io::Read;
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(gz).read_to_end(&mut raw).ok()?;
    let mut p = 0;
    let n = usize::try_from(read_varint(&raw, &mut p)?).ok()?;
    if n > raw.len() {
        return None; // every entry takes at least one byte per column
    }
    let mut entries = vec![Entry { tile_id: 0, offset: 0, length: 0, run_length: 0 }; n];
    let mut last = 0u64;
    for e in entries.iter_mut() {
        last = last.checked_add(read_varint(&raw, &mut p)?)?;
        e.tile_id = last;
    }
    for e in entries.iter_mut() {
        e.run_length = u32::try_from(read_varint(&raw, &mut p)?).ok()?;
    }
    for e in entries.iter_mut() {
        e.length = u32::try_from(read_varint(&raw, &mut p)?).ok()?;
    }
    for i in 0..n {
        let v = read_varint(&raw, &mut p)?;
        entries[i].offset = match (i, v) {
            (0, 0) => return None,
            (_, 0) => entries[i - 1].offset.checked_add(u64::from(entries[i - 1].length))?,
            (_, v) => v - 1,
        };
    }
    (p == raw.len()).then_some(entries)
}

/// A PMTiles archive as this module writes it (clustered, gzipped directories, uncompressed PNG tiles),
/// read back so that a run can rewrite it from the previous one instead of reading every tile file again.
pub struct Archive<'a> {
    bytes: &'a [u8],
    data: std::ops::Range<usize>,
    /// Every tile entry (leaves resolved), in tile id order.
    entries: Vec<Entry>,
}

impl<'a> Archive<'a> {
    /// Parse `bytes`; `None` unless it is a v3 archive of the kind [`archive`] writes, whose every entry
    /// lies inside its data section.
    pub fn parse(bytes: &'a [u8]) -> Option<Archive<'a>> {
        if bytes.len() < HEADER_LEN || &bytes[..8] != b"PMTiles\x03" || bytes[96..100] != [1, 2, 1, 2] {
            return None;
        }
        let section = |at: usize| -> Option<std::ops::Range<usize>> {
            let off = usize::try_from(u64_at(bytes, at)?).ok()?;
            let len = usize::try_from(u64_at(bytes, at + 8)?).ok()?;
            let end = off.checked_add(len)?;
            (end <= bytes.len()).then_some(off..end)
        };
        let (root, leaves, data) = (section(8)?, section(40)?, section(56)?);
        let mut entries = Vec::new();
        for e in decode_directory(&bytes[root])? {
            if e.run_length > 0 {
                entries.push(e);
                continue;
            }
            let start = leaves.start.checked_add(usize::try_from(e.offset).ok()?)?;
            let end = start.checked_add(e.length as usize)?;
            if end > leaves.end {
                return None;
            }
            entries.extend(decode_directory(&bytes[start..end])?);
        }
        let data_len = data.len() as u64;
        let ordered = entries.windows(2).all(|w| w[0].tile_id + u64::from(w[0].run_length) <= w[1].tile_id);
        let inside = entries.iter().all(|e| e.run_length > 0 && e.offset + u64::from(e.length) <= data_len);
        (ordered && inside).then_some(Archive { bytes, data, entries })
    }

    /// The image of a tile id, if the archive has it.
    pub fn get(&self, id: u64) -> Option<&'a [u8]> {
        let i = self.entries.partition_point(|e| e.tile_id <= id).checked_sub(1)?;
        let e = self.entries[i];
        if id >= e.tile_id + u64::from(e.run_length) {
            return None;
        }
        let start = self.data.start + e.offset as usize;
        self.bytes.get(start..start + e.length as usize)
    }

    /// Tiles addressed.
    pub fn tiles(&self) -> u64 {
        self.entries.iter().map(|e| u64::from(e.run_length)).sum()
    }
}
