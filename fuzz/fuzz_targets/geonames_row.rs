//! The GeoNames row parser: any line is an error naming the line, or a row within WGS 84 ranges.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else { return };
    let path = std::path::Path::new("fuzz.txt");
    match frontmap::gazetteer::geonames::parse_row(path, 7, line) {
        Ok(row) => {
            assert!((-90.0..=90.0).contains(&row.lat) && (-180.0..=180.0).contains(&row.lon));
            let place = frontmap::gazetteer::geonames::to_place(&row);
            assert!(!place.id.is_empty());
        }
        Err(e) => assert!(e.to_string().contains("fuzz.txt:7")),
    }
});
