//! Source-over compositing of premultiplied RGBA8 pixels.
//!
//! A sheet is assembled from layer runs and panels drawn apart. The same integer arithmetic is used
//! whether the source is a pixmap just drawn or a kept run read back ([`over_rle`]), so a sheet made
//! from either is byte-identical; and it runs at memory speed, where tiny-skia's general pattern
//! pipeline gathers every pixel in floating point.

use tiny_skia::Pixmap;

/// `x / 255`, rounded to nearest, exact for every `x ≤ 255 × 255`.
#[inline]
fn div255(x: u32) -> u32 {
    let x = x + 128;
    (x + (x >> 8)) >> 8
}

/// Blend one premultiplied pixel `src` over `dst`.
///
/// ```
/// use frontmap::render::composite::over;
/// let mut dst = [0, 0, 255, 255]; // opaque blue
/// over(&mut dst, [128, 0, 0, 128]); // half-transparent red
/// assert_eq!(dst, [128, 0, 127, 255]);
/// ```
#[inline]
pub fn over(dst: &mut [u8], src: [u8; 4]) {
    match src[3] {
        255 => dst.copy_from_slice(&src),
        0 if src == [0; 4] => {}
        a => {
            let inv = 255 - u32::from(a);
            for (d, s) in dst.iter_mut().zip(src) {
                *d = (u32::from(s) + div255(u32::from(*d) * inv)).min(255) as u8;
            }
        }
    }
}

/// Blend `src` over `dst` with its top-left corner at (`x`, `y`), clipped to `dst`.
pub fn over_pixmap(dst: &mut Pixmap, src: &Pixmap, x: i32, y: i32) {
    let (dw, dh) = (i64::from(dst.width()), i64::from(dst.height()));
    let (sw, sh) = (i64::from(src.width()), i64::from(src.height()));
    let (x, y) = (i64::from(x), i64::from(y));
    let (x0, x1) = (x.max(0), (x + sw).min(dw));
    let (y0, y1) = (y.max(0), (y + sh).min(dh));
    if x0 >= x1 || y0 >= y1 {
        return;
    }
    let width = ((x1 - x0) * 4) as usize;
    let src_data = src.data();
    let dst_data = dst.data_mut();
    for row in y0..y1 {
        let d = ((row * dw + x0) * 4) as usize;
        let s = (((row - y) * sw + (x0 - x)) * 4) as usize;
        let (Some(dst_row), Some(src_row)) = (dst_data.get_mut(d..d + width), src_data.get(s..s + width)) else {
            return;
        };
        over_row(dst_row, src_row);
    }
}

/// Blend a row of pixels over another, eight pixels at a time where they are all opaque (copied) or all
/// clear (skipped): a panel or layer is mostly one or the other, and a sheet is millions of pixels.
fn over_row(dst: &mut [u8], src: &[u8]) {
    const BLOCK: usize = 32;
    let mut d_blocks = dst.chunks_exact_mut(BLOCK);
    let mut s_blocks = src.chunks_exact(BLOCK);
    for (d, s) in (&mut d_blocks).zip(&mut s_blocks) {
        let alpha = |i: usize| s[i * 4 + 3];
        if (0..BLOCK / 4).all(|i| alpha(i) == 255) {
            d.copy_from_slice(s);
        } else if s.iter().any(|&b| b != 0) {
            for (dp, sp) in d.chunks_exact_mut(4).zip(s.chunks_exact(4)) {
                over(dp, [sp[0], sp[1], sp[2], sp[3]]);
            }
        }
    }
    for (dp, sp) in d_blocks.into_remainder().chunks_exact_mut(4).zip(s_blocks.remainder().chunks_exact(4)) {
        over(dp, [sp[0], sp[1], sp[2], sp[3]]);
    }
}

/// Fill whole pixels with one pixel by doubling copies: a kept run's background is runs of thousands of
/// pixels, which a pixel-at-a-time loop copied at a fraction of memory speed.
fn fill(out: &mut [u8], p: [u8; 4]) {
    let Some(first) = out.get_mut(..4) else { return };
    first.copy_from_slice(&p);
    let mut filled = 4;
    while filled < out.len() {
        let n = filled.min(out.len() - filled);
        out.copy_within(..n, filled);
        filled += n;
    }
}

/// The pixel count of a run-length encoded image ([`super::groups::encode_rle`]), if it is well formed.
fn rle_pixels(mut rle: &[u8]) -> Option<usize> {
    let mut n = 0usize;
    while !rle.is_empty() {
        let (head, rest) = rle.split_at_checked(4)?;
        let head = u32::from_le_bytes(head.try_into().ok()?);
        let count = (head & 0x7fff_ffff) as usize;
        let body = if head & 0x8000_0000 != 0 { 4 } else { count.checked_mul(4)? };
        rle = rest.get(body..)?;
        n = n.checked_add(count)?;
    }
    Some(n)
}

/// Blend a run-length encoded image of exactly `dst`'s size over it; `None` (and `dst` untouched) if
/// the encoding is malformed or of another size.
pub fn over_rle(dst: &mut [u8], mut rle: &[u8]) -> Option<()> {
    if rle_pixels(rle)?.checked_mul(4)? != dst.len() {
        return None;
    }
    let mut at = 0usize;
    while let Some((head, rest)) = rle.split_at_checked(4) {
        let head = u32::from_le_bytes(head.try_into().ok()?);
        let count = (head & 0x7fff_ffff) as usize;
        let out = dst.get_mut(at..at + count * 4)?;
        if head & 0x8000_0000 != 0 {
            let p: [u8; 4] = rest.get(..4)?.try_into().ok()?;
            match p {
                [0, 0, 0, 0] => {}
                [_, _, _, 255] => fill(out, p),
                _ => out.chunks_exact_mut(4).for_each(|d| over(d, p)),
            }
            rle = rest.get(4..)?;
        } else {
            over_row(out, rest.get(..count * 4)?);
            rle = rest.get(count * 4..)?;
        }
        at += count * 4;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::groups::encode_rle;

    #[test]
    fn div255_rounds_to_nearest_over_its_whole_domain() {
        for x in 0..=255 * 255u32 {
            assert_eq!(div255(x), (f64::from(x) / 255.0).round() as u32, "{x}");
        }
    }

    #[test]
    fn transparent_and_opaque_sources_are_exact() {
        let mut d = [10, 20, 30, 40];
        over(&mut d, [0, 0, 0, 0]);
        assert_eq!(d, [10, 20, 30, 40]);
        over(&mut d, [1, 2, 3, 255]);
        assert_eq!(d, [1, 2, 3, 255]);
    }

    #[test]
    fn a_kept_run_blends_exactly_like_the_pixmap_it_was_kept_from() {
        let (w, h) = (13u32, 7u32);
        let mut src = Pixmap::new(w, h).unwrap_or_else(|| panic!("pixmap"));
        for (i, p) in src.data_mut().chunks_exact_mut(4).enumerate() {
            let a = [0u8, 0, 0, 255, 128, 7][i % 6];
            let c = (i * 37 % 256) as u8;
            p.copy_from_slice(&[c.min(a), (c / 2).min(a), 0, a]);
        }
        let mut base = Pixmap::new(w, h).unwrap_or_else(|| panic!("pixmap"));
        base.data_mut()
            .chunks_exact_mut(4)
            .enumerate()
            .for_each(|(i, p)| p.copy_from_slice(&[(i % 200) as u8, 9, 200, 255]));
        let mut a = base.clone();
        over_pixmap(&mut a, &src, 0, 0);
        let mut b = base.clone();
        assert_eq!(over_rle(b.data_mut(), &encode_rle(src.data())), Some(()));
        assert!(a.data() == b.data());
        // A damaged run leaves the canvas as it was.
        let mut c = base.clone();
        let rle = encode_rle(src.data());
        assert_eq!(over_rle(c.data_mut(), &rle[..rle.len() - 2]), None);
        assert!(c.data() == base.data());
    }

    #[test]
    fn long_runs_and_literals_blend_like_their_pixmap() {
        // Runs of one pixel (filled by doubling copies) and literal stretches (blended eight pixels at a time),
        // of lengths around the block size and far beyond it, over an opaque and a translucent canvas.
        let kinds = [[200u8, 10, 30, 255], [0, 0, 0, 0], [90, 0, 40, 128], [1, 2, 3, 255]];
        let (w, h) = (97u32, 61u32);
        let mut src = Pixmap::new(w, h).unwrap_or_else(|| panic!("pixmap"));
        let (mut i, mut step) = (0usize, 0usize);
        let px = src.data_mut();
        while i < px.len() / 4 {
            let len = [1, 2, 3, 7, 8, 9, 31, 250, 1000][step % 9];
            for j in i..(i + len).min(px.len() / 4) {
                // Every third stretch varies pixel by pixel (a literal); the others repeat one pixel (a run).
                let k = if step % 3 == 0 { (j * 7 + step) % 4 } else { step % 4 };
                px[j * 4..j * 4 + 4].copy_from_slice(&kinds[k]);
            }
            (i, step) = (i + len, step + 1);
        }
        for base_px in [[10u8, 200, 30, 255], [40, 0, 20, 60]] {
            let mut base = Pixmap::new(w, h).unwrap_or_else(|| panic!("pixmap"));
            base.data_mut().chunks_exact_mut(4).for_each(|p| p.copy_from_slice(&base_px));
            let mut a = base.clone();
            over_pixmap(&mut a, &src, 0, 0);
            let mut b = base.clone();
            assert_eq!(over_rle(b.data_mut(), &encode_rle(src.data())), Some(()));
            assert!(a.data() == b.data(), "over {base_px:?}");
        }
    }

    #[test]
    fn rows_blended_by_blocks_equal_rows_blended_pixel_by_pixel() {
        // Blocks of eight pixels all opaque, all clear, mixed, and a tail shorter than a block.
        let kinds = [[200u8, 10, 30, 255], [0, 0, 0, 0], [90, 0, 40, 128], [0, 0, 0, 0]];
        for n in [0usize, 3, 8, 16, 37, 64, 70] {
            for pattern in 0..4usize {
                let src: Vec<u8> =
                    (0..n).flat_map(|i| kinds[(i / 8 + pattern + (i % 5 == 0) as usize * pattern) % 4]).collect();
                let dst: Vec<u8> = (0..n).flat_map(|i| [(i * 3) as u8, 100, (i * 7) as u8, 255]).collect();
                let mut want = dst.clone();
                for (d, s) in want.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
                    over(d, [s[0], s[1], s[2], s[3]]);
                }
                let mut got = dst.clone();
                over_row(&mut got, &src);
                assert_eq!(got, want, "{n} pixels, pattern {pattern}");
            }
        }
    }

    #[test]
    fn a_pixmap_pasted_off_the_edge_is_clipped() {
        let mut dst = Pixmap::new(4, 4).unwrap_or_else(|| panic!("pixmap"));
        let mut src = Pixmap::new(3, 3).unwrap_or_else(|| panic!("pixmap"));
        src.data_mut().chunks_exact_mut(4).for_each(|p| p.copy_from_slice(&[255, 0, 0, 255]));
        over_pixmap(&mut dst, &src, 2, -1);
        let red: Vec<(u32, u32)> =
            (0..16u32).filter(|i| dst.data()[*i as usize * 4] == 255).map(|i| (i % 4, i / 4)).collect();
        assert_eq!(red, vec![(2, 0), (3, 0), (2, 1), (3, 1)]);
        over_pixmap(&mut dst, &src, 9, 9);
        over_pixmap(&mut dst, &src, -3, 0);
    }
}
