//! PNG encoding: fast deflate, RGB when the image is opaque (a quarter fewer bytes to compress), no
//! timestamps or other varying chunks, so identical inputs give byte-identical files.

use tiny_skia::Pixmap;

/// Encode a pixmap (premultiplied RGBA) as PNG.
pub fn encode(pixmap: &Pixmap) -> Result<Vec<u8>, String> {
    let opaque = pixmap.pixels().iter().all(|p| p.alpha() == 255);
    let (color, data) = if opaque {
        let mut rgb = Vec::with_capacity(pixmap.pixels().len() * 3);
        for p in pixmap.pixels() {
            rgb.extend_from_slice(&[p.red(), p.green(), p.blue()]);
        }
        (png::ColorType::Rgb, rgb)
    } else {
        let mut rgba = Vec::with_capacity(pixmap.pixels().len() * 4);
        for p in pixmap.pixels() {
            let c = p.demultiply();
            rgba.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
        }
        (png::ColorType::Rgba, rgba)
    };
    let mut out = Vec::with_capacity(data.len() / 4);
    {
        let mut enc = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
        enc.set_color(color);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut w = enc.write_header().map_err(|e| e.to_string())?;
        w.write_image_data(&data).map_err(|e| e.to_string())?;
        w.finish().map_err(|e| e.to_string())?;
    }
    // A pyramid holds every new tile until its archives are written: the room reserved above is several
    // times a typical tile's bytes.
    out.shrink_to_fit();
    Ok(out)
}
