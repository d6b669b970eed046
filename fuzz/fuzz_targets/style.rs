//! The map style parser: any text is an error or a style, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = frontmap::render::style::Style::parse(text, std::path::Path::new("fuzz.json"));
});
