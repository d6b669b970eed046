//! PNG encoding: fast deflate, RGB when the image is opaque (a quarter fewer bytes to compress), no
//! timestamps or other varying chunks, so identical inputs give byte-identical files.

use tiny_skia::Pixmap;

/// Rows converted and handed to the encoder at a time.
const ROWS: usize = 16;

/// Largest IDAT chunk (the encoder's default, 4 KiB, would spend a chunk header and CRC per 4 KiB).
const CHUNK: usize = 1 << 20;

/// Encode a pixmap (premultiplied RGBA) as PNG.
///
/// Streamed a few rows at a time: a sheet's RGB copy and the compressed stream grown by doubling (then
/// copied into one chunk) were each megabytes of memory the process touched for the first time, and the
/// page faults cost more than the conversion (a tenth of a one-place edit's system time).
pub fn encode(pixmap: &Pixmap) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let rgba = pixmap.data();
    let (width, height) = (pixmap.width(), pixmap.height());
    let opaque = is_opaque(rgba);
    let row = width as usize * 4;
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(if opaque { png::ColorType::Rgb } else { png::ColorType::Rgba });
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut w = enc.write_header().map_err(|e| e.to_string())?;
        let mut stream = w.stream_writer_with_size(CHUNK.min(rgba.len() / 4).max(4096)).map_err(|e| e.to_string())?;
        let mut buf = Vec::with_capacity(ROWS * row);
        for rows in rgba.chunks(ROWS * row.max(1)) {
            buf.clear();
            if opaque {
                rgb_into(rows, &mut buf);
            } else {
                straight_into(rows, &mut buf);
            }
            stream.write_all(&buf).map_err(|e| e.to_string())?;
        }
        stream.finish().map_err(|e| e.to_string())?;
        w.finish().map_err(|e| e.to_string())?;
    }
    // A pyramid holds every new tile until its archives are written: no spare room kept.
    out.shrink_to_fit();
    Ok(out)
}

/// Whether every pixel is opaque (read-only, eight pixels at a time).
fn is_opaque(rgba: &[u8]) -> bool {
    // A transparent corner says so at once (tiles at the edge of the data often have one).
    if rgba.get(3).is_some_and(|&a| a != 255) || rgba.last().is_some_and(|&a| a != 255) {
        return false;
    }
    let mut alpha = 255u8;
    let mut blocks = rgba.chunks_exact(32);
    for b in &mut blocks {
        alpha &= b[3] & b[7] & b[11] & b[15] & b[19] & b[23] & b[27] & b[31];
    }
    for p in blocks.remainder().chunks_exact(4) {
        alpha &= p[3];
    }
    alpha == 255
}

/// Append the RGB bytes of opaque RGBA pixels (premultiplied and straight are the same when opaque), four
/// pixels (three output words) at a time: a sheet is millions of pixels, and a byte-wise loop cost a fifth
/// of its encoding.
fn rgb_into(rgba: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + rgba.len() / 4 * 3, 0);
    let dst = &mut out[start..];
    let mut quads = rgba.chunks_exact(16);
    let mut words = dst.chunks_exact_mut(12);
    let word = |s: &[u8], i: usize| u32::from_le_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]]);
    for (s, d) in (&mut quads).zip(&mut words) {
        let (p0, p1, p2, p3) = (word(s, 0), word(s, 4), word(s, 8), word(s, 12));
        d[0..4].copy_from_slice(&((p0 & 0x00ff_ffff) | (p1 << 24)).to_le_bytes());
        d[4..8].copy_from_slice(&(((p1 >> 8) & 0xffff) | (p2 << 16)).to_le_bytes());
        d[8..12].copy_from_slice(&(((p2 >> 16) & 0xff) | (p3 << 8)).to_le_bytes());
    }
    for (s, d) in quads.remainder().chunks_exact(4).zip(words.into_remainder().chunks_exact_mut(3)) {
        d.copy_from_slice(&s[..3]);
    }
}

/// Append premultiplied RGBA pixels as straight (PNG) RGBA.
fn straight_into(rgba: &[u8], out: &mut Vec<u8>) {
    for p in rgba.chunks_exact(4) {
        let c = tiny_skia::PremultipliedColorU8::from_rgba(p[0], p[1], p[2], p[3])
            .map(|c| c.demultiply())
            .map_or([0, 0, 0, 0], |c| [c.red(), c.green(), c.blue(), c.alpha()]);
        out.extend_from_slice(&c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_pixels_become_rgb_and_any_translucent_pixel_keeps_rgba() {
        for n in [0usize, 1, 3, 4, 5, 8, 9, 17, 64] {
            let rgba: Vec<u8> = (0..n).flat_map(|i| [i as u8, (i * 7) as u8, (i * 13) as u8, 255]).collect();
            let want: Vec<u8> = rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
            let mut rgb = Vec::new();
            rgb_into(&rgba, &mut rgb);
            assert_eq!((is_opaque(&rgba), rgb), (true, want), "{n} pixels");
            for hole in 0..n {
                let mut t = rgba.clone();
                t[hole * 4 + 3] = 254;
                assert!(!is_opaque(&t), "pixel {hole} of {n}");
            }
        }
    }

    #[test]
    fn an_encoded_pixmap_decodes_to_the_same_pixels() {
        for (w, h, opaque) in [(1u32, 1u32, true), (37, 40, true), (37, 40, false), (256, 256, false)] {
            let Some(mut pm) = Pixmap::new(w, h) else { panic!("pixmap {w}x{h}") };
            for (i, p) in pm.data_mut().chunks_exact_mut(4).enumerate() {
                let a = if opaque || i % 3 == 0 { 255 } else { (i % 200) as u8 };
                let c = |v: usize| ((v % 256) as u32 * a as u32 / 255) as u8;
                p.copy_from_slice(&[c(i), c(i * 7), c(i / 5), a]);
            }
            let bytes = encode(&pm).unwrap_or_else(|e| panic!("{e}"));
            let mut dec = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap_or_else(|e| panic!("{e}"));
            let mut buf = vec![0; dec.output_buffer_size().unwrap_or(0)];
            let info = dec.next_frame(&mut buf).unwrap_or_else(|e| panic!("{e}"));
            let want_color = if opaque { png::ColorType::Rgb } else { png::ColorType::Rgba };
            assert_eq!((info.width, info.height, info.color_type), (w, h, want_color));
            let mut want = Vec::new();
            if opaque {
                rgb_into(pm.data(), &mut want);
            } else {
                straight_into(pm.data(), &mut want);
            }
            assert_eq!(&buf[..info.buffer_size()], &want[..], "{w}x{h}");
        }
    }
}
