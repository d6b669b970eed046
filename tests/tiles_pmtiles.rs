//! PMTiles v3: Hilbert tile ids against the reference implementation (PyPI pmtiles 3.4.1,
//! `pmtiles.tile.zxy_to_tileid`, values computed once and written here), and an archive read back by
//! decoding its header and directories as the spec describes: every tile found, identical images stored once.

use frontmap::tiles::TileId;
use frontmap::tiles::mbtiles::Metadata;
use frontmap::tiles::pmtiles::{self, tile_id};
use std::io::Read;
use std::sync::Arc;

#[test]
fn tile_ids_follow_the_reference_hilbert_numbering() {
    for (z, x, y, id) in [
        (0u8, 0u32, 0u32, 0u64),
        (1, 0, 0, 1),
        (1, 0, 1, 2),
        (1, 1, 1, 3),
        (1, 1, 0, 4),
        (2, 0, 0, 5),
        (3, 7, 0, 84),
        (10, 628, 407, 1_233_370),
        (13, 5028, 3261, 78_935_712),
        (20, 123_456, 654_321, 652_812_043_350),
    ] {
        assert_eq!(tile_id(&TileId { z, x, y }), id, "{z}/{x}/{y}");
    }
}

fn varint(b: &[u8], pos: &mut usize) -> u64 {
    let (mut v, mut shift) = (0u64, 0);
    loop {
        let byte = b[*pos];
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            return v;
        }
    }
}

/// (tile id, offset, length, run length) of a gzipped directory.
fn directory(gz: &[u8]) -> Vec<(u64, u64, u64, u64)> {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(gz).read_to_end(&mut raw).expect("gzip");
    let mut p = 0;
    let n = varint(&raw, &mut p) as usize;
    let mut e = vec![(0u64, 0u64, 0u64, 0u64); n];
    let mut last = 0;
    for x in e.iter_mut() {
        last += varint(&raw, &mut p);
        x.0 = last;
    }
    for x in e.iter_mut() {
        x.3 = varint(&raw, &mut p);
    }
    for x in e.iter_mut() {
        x.2 = varint(&raw, &mut p);
    }
    for i in 0..n {
        let v = varint(&raw, &mut p);
        e[i].1 = if i > 0 && v == 0 { e[i - 1].1 + e[i - 1].2 } else { v - 1 };
    }
    e
}

/// Archive `tiles`, read every one back through the directories as a reader would; returns whether leaf
/// directories were needed.
fn round_trip(tiles: &[(TileId, Arc<Vec<u8>>)], zoom: u8) -> bool {
    let meta = meta(zoom);
    let (bytes, _, images) = pmtiles::archive(&meta, tiles).expect("archive");
    assert_eq!(&bytes[..8], b"PMTiles\x03");
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().expect("8 bytes"));
    let (root_off, root_len, leaf_off, data_off) = (u64_at(8), u64_at(16), u64_at(40), u64_at(56));
    assert!(root_off + root_len <= 16_384, "root beyond the first 16 KiB");
    assert_eq!(u64_at(72), tiles.len() as u64, "addressed tiles");
    assert_eq!(u64_at(88), images as u64, "tile contents");
    assert_eq!((bytes[96], bytes[97], bytes[98], bytes[99], bytes[100], bytes[101]), (1, 2, 1, 2, zoom, zoom));
    let distinct: std::collections::BTreeSet<&[u8]> = tiles.iter().map(|(_, b)| b.as_slice()).collect();
    assert_eq!(images, distinct.len());
    // Resolve every tile through root (and leaves) as a reader would.
    let mut entries = Vec::new();
    let mut leaves = false;
    for e in directory(&bytes[root_off as usize..(root_off + root_len) as usize]) {
        if e.3 == 0 {
            leaves = true;
            let s = (leaf_off + e.1) as usize;
            entries.extend(directory(&bytes[s..s + e.2 as usize]));
        } else {
            entries.push(e);
        }
    }
    assert!(entries.windows(2).all(|w| w[0].0 < w[1].0), "entries not sorted by tile id");
    for (t, want) in tiles {
        let id = tile_id(t);
        let e = entries.iter().rev().find(|e| e.0 <= id).expect("an entry at or before");
        assert!(id < e.0 + e.3, "{t} not covered by a run");
        let s = (data_off + e.1) as usize;
        assert_eq!(&bytes[s..s + e.2 as usize], want.as_slice(), "{t}");
    }
    let again = pmtiles::archive(&meta, tiles).expect("archive").0;
    assert!(again == bytes, "not deterministic");
    leaves
}

#[test]
fn an_archive_reads_back_every_tile_and_stores_repeated_images_once() {
    // A 64×64 block at zoom 8: a few distinct images among many repeats (runs of one image).
    let flat = Arc::new(vec![7u8; 40]);
    let mut tiles = Vec::new();
    for x in 0..64u32 {
        for y in 0..64u32 {
            let bytes =
                if (x * 7 + y) % 97 == 0 { Arc::new(format!("tile {x} {y}").into_bytes()) } else { flat.clone() };
            tiles.push((TileId { z: 8, x, y }, bytes));
        }
    }
    assert!(!round_trip(&tiles, 8), "a small archive needs no leaf directory");
}

#[test]
fn a_big_archive_spills_into_leaf_directories_and_still_reads_back() {
    // 32,768 distinct images of pseudo-random lengths: the root directory cannot hold them in 16 KiB.
    let mut seed = 12345u32;
    let mut tiles = Vec::new();
    for x in 0..256u32 {
        for y in 0..128u32 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let len = 8 + (seed >> 16) as usize % 300;
            let mut b = format!("{x}/{y}").into_bytes();
            b.resize(len, b'.');
            tiles.push((TileId { z: 9, x, y }, Arc::new(b)));
        }
    }
    assert!(round_trip(&tiles, 9), "expected leaf directories");
}

fn meta(zoom: u8) -> Metadata {
    Metadata {
        name: "test".into(),
        description: "d".into(),
        attribution: "a".into(),
        bounds: [-180.0, 0.0, -90.0, 66.5],
        center: (-135.0, 40.0, 8),
        minzoom: zoom,
        maxzoom: zoom,
    }
}

/// Tiles of a `w`×`h` block at `z`, every `every`-th one a distinct image, the others one shared image.
fn block(z: u8, w: u32, h: u32, every: u32, salt: &str) -> Vec<(TileId, Arc<Vec<u8>>)> {
    let flat = Arc::new(vec![7u8; 40]);
    let mut tiles = Vec::new();
    for x in 0..w {
        for y in 0..h {
            let bytes = if (x * 7 + y) % every == 0 {
                Arc::new(format!("tile {x} {y} {salt}").repeat(1 + (x as usize % 5)).into_bytes())
            } else {
                flat.clone()
            };
            tiles.push((TileId { z, x, y }, bytes));
        }
    }
    tiles
}

/// Rewrite `old` (the archive of `before`) into the archive of `after`, taking every tile `changed` does
/// not name from the old archive, as an incremental build does.
fn rewrite(old: &[u8], after: &[(TileId, Arc<Vec<u8>>)], changed: &[TileId], zoom: u8) -> Vec<u8> {
    let archive = pmtiles::Archive::parse(old).expect("the previous archive parses");
    let mut sorted: Vec<(u64, &[u8])> = after
        .iter()
        .map(|(t, b)| {
            let bytes = if changed.contains(t) {
                b.as_slice()
            } else {
                archive.get(tile_id(t)).expect("an unchanged tile is in the previous archive")
            };
            (tile_id(t), bytes)
        })
        .collect();
    sorted.sort_by_key(|(id, _)| *id);
    pmtiles::archive_sorted(&meta(zoom), &sorted).expect("archive").0
}

#[test]
fn an_archive_rewritten_from_the_previous_one_equals_one_written_from_scratch() {
    for (z, w, h, every) in [(8u8, 64u32, 64u32, 97u32), (9, 256, 128, 1)] {
        let before = block(z, w, h, every, "a");
        let (old, _, _) = pmtiles::archive(&meta(z), &before).expect("archive");
        let parsed = pmtiles::Archive::parse(&old).expect("parses");
        assert_eq!(parsed.tiles(), before.len() as u64);
        for (t, b) in &before {
            assert_eq!(parsed.get(tile_id(t)), Some(b.as_slice()), "{t}");
        }
        assert_eq!(parsed.get(tile_id(&TileId { z, x: w, y: 0 })), None, "a tile outside the block");
        // Some tiles redrawn (new images, and one now equal to the shared image), a column dropped.
        let mut after: Vec<(TileId, Arc<Vec<u8>>)> = before.iter().filter(|(t, _)| t.x != 3).cloned().collect();
        let mut changed = Vec::new();
        for (i, (t, b)) in after.iter_mut().enumerate() {
            if i % 41 == 5 {
                *b = if i % 2 == 0 { Arc::new(vec![7u8; 40]) } else { Arc::new(format!("new {t}").into_bytes()) };
                changed.push(*t);
            }
        }
        let scratch = pmtiles::archive(&meta(z), &after).expect("archive").0;
        assert!(rewrite(&old, &after, &changed, z) == scratch, "z{z}: rewritten archive differs from a fresh one");
    }
}

#[test]
fn a_damaged_archive_is_not_read() {
    let tiles = block(8, 16, 16, 3, "a");
    let (good, _, _) = pmtiles::archive(&meta(8), &tiles).expect("archive");
    assert!(pmtiles::Archive::parse(&good).is_some());
    let root_len = u64::from_le_bytes(good[16..24].try_into().expect("8 bytes")) as usize;
    let mut damaged: Vec<Vec<u8>> = vec![
        good[..100].to_vec(),            // truncated header
        good[..good.len() - 1].to_vec(), // truncated data
        Vec::new(),
    ];
    let mut magic = good.clone();
    magic[0] = b'X';
    damaged.push(magic);
    let mut dir = good.clone();
    dir[127 + root_len / 2] ^= 0x55; // inside the gzipped root directory
    damaged.push(dir);
    let mut compression = good.clone();
    compression[98] = 2; // gzipped tiles: not what this writer makes
    damaged.push(compression);
    for (i, bytes) in damaged.iter().enumerate() {
        assert!(pmtiles::Archive::parse(bytes).is_none(), "damaged archive {i} parsed");
    }
}
