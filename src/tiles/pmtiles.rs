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

/// The whole archive in memory.
pub fn archive(meta: &Metadata, tiles: &[(TileId, Arc<Vec<u8>>)]) -> std::io::Result<(Vec<u8>, usize, usize)> {
    let mut sorted: Vec<(u64, &Arc<Vec<u8>>)> = tiles.iter().map(|(t, b)| (tile_id(t), b)).collect();
    sorted.sort_by_key(|(id, _)| *id);
    let mut data: Vec<u8> = Vec::new();
    let mut seen: HashMap<&[u8], (u64, u32)> = HashMap::new();
    let mut entries: Vec<Entry> = Vec::new();
    for (id, bytes) in &sorted {
        let (offset, length) = match seen.get(bytes.as_slice()) {
            Some(v) => *v,
            None => {
                let v = (data.len() as u64, u32::try_from(bytes.len()).map_err(std::io::Error::other)?);
                data.extend_from_slice(bytes);
                seen.insert(bytes.as_slice(), v);
                v
            }
        };
        match entries.last_mut() {
            Some(e) if e.offset == offset && e.tile_id + u64::from(e.run_length) == *id => e.run_length += 1,
            _ => entries.push(Entry { tile_id: *id, offset, length, run_length: 1 }),
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
        data.len() as u64,
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
    let mut out = Vec::with_capacity(data_off as usize + data.len());
    for part in [&h, &root, &metadata, &leaves, &data] {
        out.extend_from_slice(part);
    }
    Ok((out, entries.len(), seen.len()))
}

/// Write the archive to `path` atomically (unchanged files are left alone).
pub fn write(path: &Path, meta: &Metadata, tiles: &[(TileId, Arc<Vec<u8>>)]) -> Result<PmtilesSummary, TilesError> {
    let werr = |source| TilesError::Write { path: path.to_path_buf(), source };
    let (bytes, entries, images) = archive(meta, tiles).map_err(werr)?;
    let written = crate::atomic::write(path, &bytes).map_err(werr)?;
    Ok(PmtilesSummary {
        path: path.to_path_buf(),
        tiles: tiles.len(),
        entries,
        images,
        bytes: bytes.len() as u64,
        written,
    })
}
