//! The gazetteer's GeoJSON layer reader: any text is an error or places with valid coordinates.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = std::path::Path::new("fuzz.geojson");
    if let Ok(places) = frontmap::gazetteer::layer::parse(path, text, frontmap::gazetteer::Source::Curated) {
        for p in places {
            let c = p.place.point;
            assert!(c.x.is_nan() || (-180.0..=180.0).contains(&c.x));
            assert!(c.y.is_nan() || (-90.0..=90.0).contains(&c.y));
        }
    }
});
