//! MBTiles 1.3 (<https://github.com/mapbox/mbtiles-spec/blob/master/1.3/spec.md>): one SQLite file that
//! GDAL, QGIS and tile servers read.
//!
//! Layout: `metadata(name, value)`; tiles deduplicated through `map(zoom_level, tile_column, tile_row,
//! tile_id)` and `images(tile_data, tile_id)`, joined by the `tiles` view the spec requires. Rows are TMS
//! (counted from the south). A flat desert tile repeated thousands of times is stored once.
//!
//! Determinism: rows are inserted in (zoom, column, row) order, an image's id is the hash of its bytes
//! (so an incremental update names a new image exactly as a full write would) and the metadata holds no
//! date, so two builds of the same inputs have the same *contents* (every table, row for row). The file's bytes are identical too in practice
//! (same SQLite, same statements), but SQLite does not promise byte-stable files across versions, so the
//! checks compare contents, never file hashes.
//!
//! Writing: a temporary file beside the target, filled in one transaction, closed, then renamed over the
//! target — unless its contents equal the existing file's, in which case the old file stays untouched.
//! Updating ([`update`]): the changed tiles and metadata in one transaction of the existing file (SQLite's
//! journal makes it all or nothing), then images no tile uses any more are deleted.

use super::error::TilesError;
use super::tile::TileId;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The metadata rows (spec 1.3), all required or recommended ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    pub name: String,
    pub description: String,
    pub attribution: String,
    /// West, south, east, north in degrees.
    pub bounds: [f64; 4],
    /// Longitude, latitude and zoom a client should open at.
    pub center: (f64, f64, u8),
    pub minzoom: u8,
    pub maxzoom: u8,
}

impl Metadata {
    /// The `metadata` table as (name, value) rows, sorted by name.
    pub fn rows(&self) -> Vec<(String, String)> {
        let [w, s, e, n] = self.bounds;
        let mut rows = vec![
            ("attribution".to_string(), self.attribution.clone()),
            ("bounds".to_string(), format!("{w:.6},{s:.6},{e:.6},{n:.6}")),
            ("center".to_string(), format!("{:.6},{:.6},{}", self.center.0, self.center.1, self.center.2)),
            ("description".to_string(), self.description.clone()),
            ("format".to_string(), "png".to_string()),
            ("maxzoom".to_string(), self.maxzoom.to_string()),
            ("minzoom".to_string(), self.minzoom.to_string()),
            ("name".to_string(), self.name.clone()),
            ("type".to_string(), "baselayer".to_string()),
            ("version".to_string(), "1".to_string()),
        ];
        rows.sort();
        rows
    }
}

/// What writing the file did.
#[derive(Debug, Clone, PartialEq)]
pub struct MbtilesSummary {
    pub path: PathBuf,
    pub tiles: usize,
    /// Distinct images stored.
    pub images: usize,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// False when the existing file already held the same contents.
    pub written: bool,
}

const SCHEMA: &str = "
    PRAGMA application_id = 0x4d504258;
    CREATE TABLE metadata (name TEXT, value TEXT);
    CREATE UNIQUE INDEX metadata_name ON metadata (name);
    CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_id TEXT);
    CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);
    CREATE INDEX map_tile_id ON map (tile_id);
    CREATE TABLE images (tile_data BLOB, tile_id TEXT);
    CREATE UNIQUE INDEX images_id ON images (tile_id);
    CREATE VIEW tiles AS
        SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column, map.tile_row AS tile_row,
               images.tile_data AS tile_data
        FROM map JOIN images ON images.tile_id = map.tile_id;
";

fn sql_err(path: &Path, what: &str) -> impl Fn(rusqlite::Error) -> TilesError {
    let path = path.to_path_buf();
    let what = what.to_string();
    move |source| TilesError::Mbtiles { path: path.clone(), what: what.clone(), source }
}

/// Write `tiles` (XYZ ids, any order) with `meta` to `path`.
pub fn write(path: &Path, meta: &Metadata, tiles: &[(TileId, Arc<Vec<u8>>)]) -> Result<MbtilesSummary, TilesError> {
    let mut sorted: Vec<&(TileId, Arc<Vec<u8>>)> = tiles.iter().collect();
    sorted.sort_by_key(|(t, _)| (t.z, t.x, t.tms_y()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| TilesError::Write { path: dir.to_path_buf(), source: e })?;
    }
    let tmp = crate::atomic::temp_path(path);
    let _ = std::fs::remove_file(&tmp);
    let result = fill(&tmp, meta, &sorted);
    let images = match result {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let same = path.exists() && contents(path).ok().zip(contents(&tmp).ok()).is_some_and(|(a, b)| a == b);
    let written = if same {
        let _ = std::fs::remove_file(&tmp);
        false
    } else {
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            TilesError::Write { path: path.to_path_buf(), source: e }
        })?;
        true
    };
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(MbtilesSummary { path: path.to_path_buf(), tiles: sorted.len(), images, bytes, written })
}

fn fill(tmp: &Path, meta: &Metadata, sorted: &[&(TileId, Arc<Vec<u8>>)]) -> Result<usize, TilesError> {
    let mut db = Connection::open(tmp).map_err(sql_err(tmp, "create"))?;
    // A fresh file filled once: no journal needed (on failure the temporary file is deleted).
    db.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 4096;")
        .map_err(sql_err(tmp, "pragmas"))?;
    db.execute_batch(SCHEMA).map_err(sql_err(tmp, "schema"))?;
    let tx = db.transaction().map_err(sql_err(tmp, "begin"))?;
    let mut ids: HashMap<&[u8], String> = HashMap::new();
    {
        let mut md =
            tx.prepare("INSERT INTO metadata (name, value) VALUES (?1, ?2)").map_err(sql_err(tmp, "metadata"))?;
        for (k, v) in meta.rows() {
            md.execute(params![k, v]).map_err(sql_err(tmp, "metadata"))?;
        }
        let mut img =
            tx.prepare("INSERT INTO images (tile_data, tile_id) VALUES (?1, ?2)").map_err(sql_err(tmp, "images"))?;
        let mut map = tx
            .prepare("INSERT INTO map (zoom_level, tile_column, tile_row, tile_id) VALUES (?1, ?2, ?3, ?4)")
            .map_err(sql_err(tmp, "map"))?;
        for (t, bytes) in sorted {
            let id = match ids.get(bytes.as_slice()) {
                Some(id) => id.clone(),
                None => {
                    let id = image_id(bytes);
                    img.execute(params![bytes.as_slice(), id]).map_err(sql_err(tmp, &format!("image of {t}")))?;
                    ids.insert(bytes.as_slice(), id.clone());
                    id
                }
            };
            map.execute(params![t.z, t.x, t.tms_y(), id]).map_err(sql_err(tmp, &format!("tile {t}")))?;
        }
    }
    tx.commit().map_err(sql_err(tmp, "commit"))?;
    db.close().map_err(|(_, e)| sql_err(tmp, "close")(e))?;
    Ok(ids.len())
}

/// The id of an image: its content hash (32 hex digits).
fn image_id(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex()[..32].to_string()
}

/// Update an existing file in place: `changed` tiles get new bytes (`None`: the tile is removed), the
/// metadata rows are replaced when they differ, and images no tile uses any more are deleted; all in one
/// transaction. The result has the contents [`write()`] would give for the same tiles.
pub fn update(
    path: &Path,
    meta: &Metadata,
    changed: &[(TileId, Option<Arc<Vec<u8>>>)],
) -> Result<MbtilesSummary, TilesError> {
    let mut db = Connection::open(path).map_err(sql_err(path, "open"))?;
    let old_meta: Vec<(String, String)> = {
        let mut st = db.prepare("SELECT name, value FROM metadata ORDER BY name").map_err(sql_err(path, "metadata"))?;
        st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(sql_err(path, "metadata"))?
    };
    let rows = meta.rows();
    let written = !changed.is_empty() || old_meta != rows;
    if written {
        let tx = db.transaction().map_err(sql_err(path, "begin"))?;
        // Which tiles still use an image is asked for every image a changed tile released: without this index
        // (files from before it) each question reads the whole map table.
        tx.execute("CREATE INDEX IF NOT EXISTS map_tile_id ON map (tile_id)", []).map_err(sql_err(path, "map"))?;
        // The images of the tiles replaced or removed.
        let mut released: BTreeSet<String> = BTreeSet::new();
        if old_meta != rows {
            tx.execute("DELETE FROM metadata", []).map_err(sql_err(path, "metadata"))?;
            for (k, v) in &rows {
                tx.execute("INSERT INTO metadata (name, value) VALUES (?1, ?2)", params![k, v])
                    .map_err(sql_err(path, "metadata"))?;
            }
        }
        {
            let mut del = tx
                .prepare("DELETE FROM map WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3")
                .map_err(sql_err(path, "map"))?;
            let mut img = tx
                .prepare("INSERT OR IGNORE INTO images (tile_data, tile_id) VALUES (?1, ?2)")
                .map_err(sql_err(path, "images"))?;
            let mut map = tx
                .prepare("INSERT INTO map (zoom_level, tile_column, tile_row, tile_id) VALUES (?1, ?2, ?3, ?4)")
                .map_err(sql_err(path, "map"))?;
            let mut was = tx
                .prepare("SELECT tile_id FROM map WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3")
                .map_err(sql_err(path, "map"))?;
            for (t, bytes) in changed {
                let old: Option<String> = was
                    .query_row(params![t.z, t.x, t.tms_y()], |r| r.get(0))
                    .optional()
                    .map_err(sql_err(path, &format!("tile {t}")))?;
                released.extend(old);
                del.execute(params![t.z, t.x, t.tms_y()]).map_err(sql_err(path, &format!("tile {t}")))?;
                if let Some(bytes) = bytes {
                    let id = image_id(bytes);
                    img.execute(params![bytes.as_slice(), id]).map_err(sql_err(path, &format!("image of {t}")))?;
                    map.execute(params![t.z, t.x, t.tms_y(), id]).map_err(sql_err(path, &format!("tile {t}")))?;
                }
            }
        }
        // Only the images the changed tiles used can have lost their last tile (every image of a file this
        // module wrote or updated is in use): checking just those spares scanning the images table, whose
        // rows put the id after the blob (reading it walks every blob's overflow pages).
        {
            let mut gc = tx
                .prepare("DELETE FROM images WHERE tile_id = ?1 AND NOT EXISTS (SELECT 1 FROM map WHERE tile_id = ?1)")
                .map_err(sql_err(path, "images"))?;
            for id in &released {
                gc.execute(params![id]).map_err(sql_err(path, "images"))?;
            }
        }
        tx.commit().map_err(sql_err(path, "commit"))?;
    }
    let tiles: i64 = db.query_row("SELECT COUNT(*) FROM map", [], |r| r.get(0)).map_err(sql_err(path, "map"))?;
    let images: i64 = db.query_row("SELECT COUNT(*) FROM images", [], |r| r.get(0)).map_err(sql_err(path, "images"))?;
    db.close().map_err(|(_, e)| sql_err(path, "close")(e))?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(MbtilesSummary {
        path: path.to_path_buf(),
        tiles: usize::try_from(tiles).unwrap_or(0),
        images: usize::try_from(images).unwrap_or(0),
        bytes,
        written,
    })
}

/// Everything an MBTiles file holds, in a canonical order: metadata rows, then every tile (TMS address
/// and bytes). Two files with equal contents serve the same map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub metadata: Vec<(String, String)>,
    pub tiles: Vec<(u8, u32, u32, Vec<u8>)>,
    pub images: usize,
}

/// Read an MBTiles file's contents.
pub fn contents(path: &Path) -> Result<Contents, TilesError> {
    let db =
        Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sql_err(path, "open"))?;
    let mut st = db.prepare("SELECT name, value FROM metadata ORDER BY name").map_err(sql_err(path, "metadata"))?;
    let metadata = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(sql_err(path, "metadata"))?;
    let mut st = db
        .prepare(
            "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles ORDER BY zoom_level, tile_column, tile_row",
        )
        .map_err(sql_err(path, "tiles"))?;
    let tiles = st
        .query_map([], |r| Ok((r.get::<_, u8>(0)?, r.get::<_, u32>(1)?, r.get::<_, u32>(2)?, r.get::<_, Vec<u8>>(3)?)))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(sql_err(path, "tiles"))?;
    let images: i64 = db.query_row("SELECT COUNT(*) FROM images", [], |r| r.get(0)).map_err(sql_err(path, "images"))?;
    Ok(Contents { metadata, tiles, images: usize::try_from(images).unwrap_or(0) })
}
