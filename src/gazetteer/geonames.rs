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
    let blocks = line_blocks(bytes, PARSE_BLOCK);
    let parsed: Vec<Result<Vec<Place>, GazetteerError>> =
        blocks.par_iter().map(|&(first_line, block)| parse_lines(path, first_line, block)).collect();
    let mut places = Vec::with_capacity(parsed.iter().map(|b| b.as_ref().map_or(0, Vec::len)).sum());
    // The first bad row of the file is the one reported, whichever block failed first.
    for block in parsed {
        places.extend(block?);
    }
    Ok(places)
}

/// Bytes of rows per block of [`parse`]: large enough that a block outweighs handing it to a thread.
const PARSE_BLOCK: usize = 64 * 1024;

/// `bytes` cut after a newline about every `size` bytes: each block with the number of its first line.
fn line_blocks(bytes: &[u8], size: usize) -> Vec<(usize, &[u8])> {
    let mut blocks = Vec::new();
    let (mut rest, mut line) = (bytes, 1);
    while !rest.is_empty() {
        let cut = match rest.get(size..).and_then(|tail| tail.iter().position(|&b| b == b'\n')) {
            Some(i) => size + i + 1,
            None => rest.len(),
        };
        let (block, tail) = rest.split_at(cut);
        blocks.push((line, block));
        line += block.iter().filter(|&&b| b == b'\n').count();
        rest = tail;
    }
    blocks
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
        let text: String = (0..40).map(|i| row(i, &format!("Town {i}"))).collect();
        for size in [1, 7, 100, 1000, 1 << 20] {
            let blocks = line_blocks(text.as_bytes(), size);
            assert_eq!(blocks.iter().map(|(_, b)| b.len()).sum::<usize>(), text.len());
            let mut line = 1;
            for (first, block) in &blocks {
                assert_eq!(*first, line);
                assert!(block.ends_with(b"\n"));
                line += block.iter().filter(|&&b| b == b'\n').count();
            }
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
