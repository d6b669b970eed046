//! PNG encoding: fast deflate, RGB when the image is opaque (a quarter fewer bytes to compress), no
//! timestamps or other varying chunks, so identical inputs give byte-identical files.

use tiny_skia::Pixmap;

/// Encode a pixmap (premultiplied RGBA) as PNG.
pub fn encode(pixmap: &Pixmap) -> Result<Vec<u8>, String> {
    // Byte slices, not pixel by pixel: the conversion cost as much as the compression that way.
    let rgba = pixmap.data();
    let opaque = rgba.chunks_exact(4).all(|p| p[3] == 255);
    let (color, data) = if opaque {
        let mut rgb = vec![0u8; rgba.len() / 4 * 3];
        for (d, p) in rgb.chunks_exact_mut(3).zip(rgba.chunks_exact(4)) {
            d.copy_from_slice(&p[..3]);
        }
        (png::ColorType::Rgb, rgb)
    } else {
        let mut straight = Vec::with_capacity(rgba.len());
        for p in pixmap.pixels() {
            let c = p.demultiply();
            straight.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
        }
        (png::ColorType::Rgba, straight)
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
