//! Reading GeoNames dumps (the standard 19-column TSV: cities500.txt, IQ.txt, allCountries.txt).
//!
//! GeoNames is the only open gazetteer with the small towns of a war zone and their many spellings, so
//! any dump a user downloads must load as is.

use super::GazetteerError;
use super::place::{Kind, Place, Source};
use geo::Coord;
use std::io::{BufRead, Write};
use std::path::Path;

/// Number of tab-separated columns of a GeoNames row.
pub const COLUMNS: usize = 19;

/// One parsed GeoNames row; borrows from the line.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub geonameid: u64,
    pub name: &'a str,
    pub asciiname: &'a str,
    pub alternatenames: &'a str,
    pub lat: f64,
    pub lon: f64,
    pub feature_class: &'a str,
    pub feature_code: &'a str,
    pub country: &'a str,
    pub admin1: &'a str,
    pub population: u64,
}

/// Parse one line. `line_no` is 1-based, for the error.
pub fn parse_row<'a>(path: &Path, line_no: usize, line: &'a str) -> Result<Row<'a>, GazetteerError> {
    let err = |msg: String| GazetteerError::GeoNamesRow { path: path.to_path_buf(), line: line_no, msg };
    let cols: Vec<&str> = line.trim_end_matches(['\r', '\n']).split('\t').collect();
    if cols.len() != COLUMNS {
        return Err(err(format!("expected {COLUMNS} tab-separated columns, found {}", cols.len())));
    }
    let geonameid = cols[0].parse::<u64>().map_err(|_| err(format!("geonameid {:?} is not a number", cols[0])))?;
    let num = |i: usize, what: &str| -> Result<f64, GazetteerError> {
        cols[i].trim().parse::<f64>().map_err(|_| err(format!("{what} {:?} is not a number", cols[i])))
    };
    let lat = num(4, "latitude")?;
    let lon = num(5, "longitude")?;
    if !(-90.0..=90.0).contains(&lat) || !lat.is_finite() {
        return Err(err(format!("latitude {lat} out of range [-90, 90] (geonameid {geonameid})")));
    }
    if !(-180.0..=180.0).contains(&lon) || !lon.is_finite() {
        return Err(err(format!("longitude {lon} out of range [-180, 180] (geonameid {geonameid})")));
    }
    if cols[1].trim().is_empty() {
        return Err(err(format!("empty name (geonameid {geonameid})")));
    }
    let population = if cols[14].trim().is_empty() {
        0
    } else {
        cols[14].trim().parse::<u64>().map_err(|_| err(format!("population {:?} is not a whole number", cols[14])))?
    };
    Ok(Row {
        geonameid,
        name: cols[1],
        asciiname: cols[2],
        alternatenames: cols[3],
        lat,
        lon,
        feature_class: cols[6],
        feature_code: cols[7],
        country: cols[8],
        admin1: cols[10],
        population,
    })
}

/// The kind of place a GeoNames feature code denotes.
pub fn kind_of(class: &str, code: &str, population: u64) -> Kind {
    match (class, code) {
        ("P", "PPLX") => Kind::Neighbourhood,
        ("P", "PPLC") => Kind::City,
        ("P", _) if population >= 100_000 => Kind::City,
        ("P", "PPLA" | "PPLA2" | "PPLA3") => Kind::Town,
        ("P", _) if population >= 5_000 => Kind::Town,
        ("P", _) => Kind::Village,
        ("A", "PCLI" | "PCLD" | "PCLS" | "PCLF" | "PCL") => Kind::Country,
        ("A", "ADM1") => Kind::Province,
        ("A", "ADM2" | "ADM3") => Kind::District,
        ("A", _) => Kind::Region,
        ("H", "STM" | "STMI" | "STMS") => Kind::River,
        ("H", "LK" | "LKS" | "RSV") => Kind::Lake,
        ("H", "DAM") => Kind::Dam,
        ("T", "VAL" | "VALS") => Kind::Valley,
        ("T", "MT" | "MTS" | "HLL" | "HLLS") => Kind::Mountain,
        ("S", "AIRP" | "AIRF" | "AIRB") => Kind::Airport,
        ("S", "MILB" | "INSM") => Kind::Base,
        ("S", "BDCR" | "PSTB") => Kind::Crossing,
        ("L", "RGN" | "AREA") => Kind::Region,
        _ => Kind::Other,
    }
}

/// Turn a row into a place. The id is stable: the ASCII name as a slug plus the geonameid.
pub fn to_place(row: &Row<'_>) -> Place {
    let aliases: Vec<String> = row
        .alternatenames
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .chain(std::iter::once(row.asciiname).filter(|a| !a.is_empty() && *a != row.name))
        .map(str::to_string)
        .collect();
    Place {
        id: format!("{}-{}", slug(if row.asciiname.is_empty() { row.name } else { row.asciiname }), row.geonameid),
        name: row.name.to_string(),
        name_fr: None,
        name_en: None,
        name_ar: None,
        aliases,
        weak_aliases: Vec::new(),
        curated_names: Vec::new(),
        kind: kind_of(row.feature_class, row.feature_code, row.population),
        parent: None,
        country: (!row.country.is_empty()).then(|| row.country.to_ascii_uppercase()),
        population: row.population,
        source: Source::GeoNames,
        geonames_id: Some(row.geonameid),
        admin1: (!row.admin1.is_empty() && !row.country.is_empty()).then(|| format!("{}.{}", row.country, row.admin1)),
        feature_code: Some(row.feature_code.to_string()),
        point: Coord { x: row.lon, y: row.lat },
        geometry: None,
        area_km2: None,
        how: None,
    }
}

/// A lower-case ASCII slug ("Al Qā’im" → "al-qaim").
pub fn slug(s: &str) -> String {
    let folded = crate::text::fold::fold_name(s);
    let mut out = String::with_capacity(folded.len());
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() { "place".to_string() } else { out }
}

/// Read every row of a GeoNames file into places.
pub fn read_file(path: &Path) -> Result<Vec<Place>, GazetteerError> {
    let bytes = std::fs::read(path).map_err(|e| GazetteerError::Io { path: path.to_path_buf(), source: e })?;
    parse(path, &bytes)
}

/// The places of the GeoNames rows in `bytes` (the content of `path`, named in errors), so a caller that
/// already read and hashed a file parses exactly those bytes. Blocks of whole lines are parsed side by side:
/// editing one row of a regional dump re-reads the whole file, and the rebuild waits on it.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Vec<Place>, GazetteerError> {
    use rayon::prelude::*;
    let parsed: Vec<Result<Vec<Place>, GazetteerError>> =
        blocks(bytes).par_iter().map(|b| parse_block(path, b)).collect();
    let mut places = Vec::with_capacity(parsed.iter().map(|b| b.as_ref().map_or(0, Vec::len)).sum());
    // The first bad row of the file is the one reported, whichever block failed first.
    for block in parsed {
        places.extend(block?);
    }
    Ok(places)
}

/// A run of whole rows of a GeoNames file: parsed on its own, and cached on its own, so an edit parses again
/// only the block it falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block<'a> {
    /// The number of its first line in the file.
    pub first_line: usize,
    pub bytes: &'a [u8],
}

/// A block ends after a row once it holds this many bytes and the row's id picks it ([`CUT`])…
const BLOCK_MIN: usize = 16 * 1024;
/// …one row in this many on average (blocks of about 40 KiB: large enough to outweigh handing one to a thread)…
const CUT: u64 = 128;
/// …or after the row that takes it past this size, whatever the ids.
const BLOCK_MAX: usize = 256 * 1024;

/// `bytes` cut into blocks of whole rows where the rows themselves say (content-defined, like a
/// content-addressed store's chunks): after a row whose GeoNames id hashes to a multiple of [`CUT`], once
/// the block holds [`BLOCK_MIN`] bytes. Editing, adding or removing a row changes the block it falls in
/// (and at most its neighbour), never the cuts further on, as cutting at fixed offsets would.
///
/// ```
/// use frontmap::gazetteer::geonames::blocks;
/// let rows: String = (0..20_000).map(|i| format!("{i}\tPlace {i}\n")).collect();
/// let cut = blocks(rows.as_bytes());
/// assert!(cut.len() > 1);
/// assert_eq!(cut.iter().map(|b| b.bytes.len()).sum::<usize>(), rows.len());
/// // A longer row 100 changes the first block only.
/// let edited = rows.replacen("100\tPlace 100\n", "100\tPlace one hundred\n", 1);
/// let after = blocks(edited.as_bytes());
/// assert_eq!(after[1..].iter().map(|b| b.bytes).collect::<Vec<_>>(), cut[1..].iter().map(|b| b.bytes).collect::<Vec<_>>());
/// ```
pub fn blocks(bytes: &[u8]) -> Vec<Block<'_>> {
    let mut out = Vec::new();
    let (mut start, mut first_line, mut line) = (0, 1, 1);
    let mut at = 0;
    while at < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i + 1);
        let id = &bytes[at..end];
        let id = &id[..memchr::memchr(b'\t', id).unwrap_or(id.len())];
        line += 1;
        let size = end - start;
        if size >= BLOCK_MAX || (size >= BLOCK_MIN && fnv1a(id) % CUT == 0) {
            out.push(Block { first_line, bytes: &bytes[start..end] });
            (start, first_line) = (end, line);
        }
        at = end;
    }
    if start < bytes.len() {
        out.push(Block { first_line, bytes: &bytes[start..] });
    }
    out
}

/// FNV-1a, 64 bits: where blocks end (any fixed hash would do; this one is a few lines).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The places of the rows of `block` (`path` and line numbers name a bad row). They depend on the block's
/// bytes alone, so a block's places can be cached under its content.
pub fn parse_block(path: &Path, block: &Block<'_>) -> Result<Vec<Place>, GazetteerError> {
    parse_lines(path, block.first_line, block.bytes)
}

/// The places of the rows in `block`, whose first line is line `first_line` of `path`.
fn parse_lines(path: &Path, first_line: usize, block: &[u8]) -> Result<Vec<Place>, GazetteerError> {
    let mut places = Vec::new();
    for (n, raw) in block.split_inclusive(|&b| b == b'\n').enumerate() {
        let line_no = first_line + n;
        let line = std::str::from_utf8(raw).map_err(|e| GazetteerError::GeoNamesRow {
            path: path.to_path_buf(),
            line: line_no,
            msg: format!("not UTF-8 at byte {}", e.valid_up_to()),
        })?;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let row = parse_row(path, line_no, line)?;
        places.push(to_place(&row));
    }
    Ok(places)
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    pub rows_read: usize,
    pub rows_kept: usize,
    pub names: usize,
}

/// Copy the rows of `src` whose country is in `countries` (all when empty) into `dest`, validating each
/// row. The file is written to a temporary name and renamed, so a failed import leaves nothing behind.
pub fn import(src: &Path, dest: &Path, countries: &[String]) -> Result<ImportSummary, GazetteerError> {
    let file = std::fs::File::open(src).map_err(|e| GazetteerError::Io { path: src.to_path_buf(), source: e })?;
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut out = Vec::new();
    let mut summary = ImportSummary::default();
    for (i, line) in reader.split(b'\n').enumerate() {
        let line = line.map_err(|e| GazetteerError::Io { path: src.to_path_buf(), source: e })?;
        let line_no = i + 1;
        let text = std::str::from_utf8(&line).map_err(|e| GazetteerError::GeoNamesRow {
            path: src.to_path_buf(),
            line: line_no,
            msg: format!("not UTF-8 at byte {}", e.valid_up_to()),
        })?;
        if text.trim().is_empty() || text.starts_with('#') {
            continue;
        }
        let row = parse_row(src, line_no, text)?;
        summary.rows_read += 1;
        if countries.is_empty() || countries.iter().any(|c| c.eq_ignore_ascii_case(row.country)) {
            summary.rows_kept += 1;
            summary.names += 1 + row.alternatenames.split(',').filter(|a| !a.is_empty()).count();
            out.extend_from_slice(text.trim_end_matches('\r').as_bytes());
            out.push(b'\n');
        }
    }
    crate::gazetteer::write_atomic(dest, &out)?;
    Ok(summary)
}

/// Write rows back in GeoNames format (for tests and fixtures).
pub fn write_row(mut w: impl Write, cols: &[&str; COLUMNS]) -> std::io::Result<()> {
    writeln!(w, "{}", cols.join("\t"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: u64, name: &str) -> String {
        let id = id.to_string();
        let cols = [
            &id,
            name,
            name,
            "",
            "34.1",
            "41.2",
            "P",
            "PPL",
            "IQ",
            "",
            "01",
            "",
            "",
            "",
            "500",
            "",
            "0",
            "Asia/Baghdad",
            "2020-01-01",
        ];
        cols.join("\t") + "\n"
    }

    #[test]
    fn blocks_cut_only_after_newlines_and_count_lines_from_one() {
        for rows in [0usize, 1, 40, 5000] {
            let text: String = (0..rows as u64).map(|i| row(i, &format!("Town {i}"))).collect();
            // With and without a final newline.
            for text in [text.clone(), text.trim_end().to_string()] {
                let blocks = blocks(text.as_bytes());
                assert_eq!(blocks.iter().map(|b| b.bytes.len()).sum::<usize>(), text.len());
                assert_eq!(blocks.len() > 1, rows == 5000, "{rows} rows");
                let mut line = 1;
                for (i, b) in blocks.iter().enumerate() {
                    assert_eq!(b.first_line, line);
                    assert!(b.bytes.ends_with(b"\n") || i == blocks.len() - 1);
                    assert!(b.bytes.len() <= BLOCK_MAX + 1024);
                    line += b.bytes.iter().filter(|&&c| c == b'\n').count();
                }
            }
        }
    }

    #[test]
    fn an_edited_added_or_removed_row_changes_only_its_block_and_maybe_a_neighbour() {
        let rows: Vec<String> = (0..8000).map(|i| row(i, &format!("Town {i}"))).collect();
        let before = rows.concat();
        let cut = blocks(before.as_bytes());
        let same = |after: &str| {
            let now: std::collections::HashSet<&[u8]> = blocks(after.as_bytes()).iter().map(|b| b.bytes).collect();
            cut.iter().filter(|b| now.contains(b.bytes)).count()
        };
        let mut edited = rows.clone();
        edited[4000] = row(4000, "Town four thousand, renamed");
        let mut added = rows.clone();
        added.insert(4000, row(99_999, "New town"));
        let mut removed = rows.clone();
        removed.remove(4000);
        for after in [edited, added, removed] {
            assert!(same(&after.concat()) >= cut.len() - 2, "{} blocks, {} kept", cut.len(), same(&after.concat()));
        }
    }

    #[test]
    fn a_file_parsed_in_blocks_keeps_row_order_and_reports_the_first_bad_line() {
        let mut text: String = (0..5000).map(|i| row(i, &format!("Town {i}"))).collect();
        let places = parse(Path::new("t.txt"), text.as_bytes()).unwrap_or_default();
        assert_eq!(places.len(), 5000);
        assert!(places.iter().enumerate().all(|(i, p)| p.geonames_id == Some(i as u64)));
        // Two bad rows, in different blocks: the earlier one is reported.
        text.push_str("not a row\n");
        let lines: Vec<&str> = text.lines().collect();
        let mut bad = lines.clone();
        bad[1200] = "bad\trow";
        let bad = bad.join("\n") + "\n";
        match parse(Path::new("t.txt"), bad.as_bytes()) {
            Err(GazetteerError::GeoNamesRow { line, .. }) => assert_eq!(line, 1201),
            other => panic!("expected a row error, got {other:?}"),
        }
    }
}
