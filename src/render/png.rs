//! PNG encoding: fast deflate, RGB when the image is opaque (a quarter fewer bytes to compress), no
//! timestamps or other varying chunks, so identical inputs give byte-identical files.

use tiny_skia::Pixmap;

/// Encode a pixmap (premultiplied RGBA) as PNG.
pub fn encode(pixmap: &Pixmap) -> Result<Vec<u8>, String> {
    // Byte slices, not pixel by pixel: the conversion cost as much as the compression that way.
    let rgba = pixmap.data();
    let (color, data) = match opaque_rgb(rgba) {
        Some(rgb) => (png::ColorType::Rgb, rgb),
        None => {
            let mut straight = Vec::with_capacity(rgba.len());
            for p in pixmap.pixels() {
                let c = p.demultiply();
                straight.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
            }
            (png::ColorType::Rgba, straight)
        }
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

/// The RGB bytes of RGBA pixels, or `None` if any pixel is not opaque. One pass, four pixels at a time:
/// a sheet is millions of pixels, and a byte-wise loop cost a tenth of its encoding.
fn opaque_rgb(rgba: &[u8]) -> Option<Vec<u8>> {
    // A transparent corner says so before any copying (tiles at the edge of the data often have one).
    if rgba.get(3).is_some_and(|&a| a != 255) || rgba.last().is_some_and(|&a| a != 255) {
        return None;
    }
    let mut rgb = vec![0u8; rgba.len() / 4 * 3];
    let mut alpha = 255u8;
    let (quads, rest) = rgba.split_at(rgba.len() / 16 * 16);
    let (rgb_quads, rgb_rest) = rgb.split_at_mut(quads.len() / 4 * 3);
    for (d, s) in rgb_quads.chunks_exact_mut(12).zip(quads.chunks_exact(16)) {
        d[0..3].copy_from_slice(&s[0..3]);
        d[3..6].copy_from_slice(&s[4..7]);
        d[6..9].copy_from_slice(&s[8..11]);
        d[9..12].copy_from_slice(&s[12..15]);
        alpha &= s[3] & s[7] & s[11] & s[15];
    }
    for (d, s) in rgb_rest.chunks_exact_mut(3).zip(rest.chunks_exact(4)) {
        d.copy_from_slice(&s[..3]);
        alpha &= s[3];
    }
    (alpha == 255).then_some(rgb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_pixels_become_rgb_and_any_translucent_pixel_keeps_rgba() {
        for n in [0usize, 1, 3, 4, 5, 17, 64] {
            let rgba: Vec<u8> = (0..n).flat_map(|i| [i as u8, (i * 7) as u8, (i * 13) as u8, 255]).collect();
            let want: Vec<u8> = rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
            assert_eq!(opaque_rgb(&rgba), Some(want), "{n} pixels");
            for hole in 0..n {
                let mut t = rgba.clone();
                t[hole * 4 + 3] = 254;
                assert_eq!(opaque_rgb(&t), None, "pixel {hole} of {n}");
            }
        }
    }
}
