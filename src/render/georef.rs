//! Georeferencing sidecars, so GDAL and QGIS place a sheet exactly: a world file (`.pgw`) with the pixel
//! size and the centre of the top-left pixel, and a `.png.aux.xml` carrying the EPSG:3857 SRS (GDAL ignores
//! a `.prj` beside a PNG).

use super::mercator::View;

/// The OGC WKT of EPSG:3857 as GDAL writes it.
pub const EPSG_3857_WKT: &str = concat!(
    r#"PROJCS["WGS 84 / Pseudo-Mercator",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],"#,
    r#"AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],"#,
    r#"AUTHORITY["EPSG","4326"]],PROJECTION["Mercator_1SP"],PARAMETER["central_meridian",0],PARAMETER["scale_factor",1],"#,
    r#"PARAMETER["false_easting",0],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],"#,
    r#"AXIS["Northing",NORTH],EXTENSION["PROJ4","+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs"],"#,
    r#"AUTHORITY["EPSG","3857"]]"#
);

/// The affine geotransform of an image whose pixel grid is the view's grid shifted by `origin_px`
/// (the image pixel where the view's top-left corner lies): `[x0, res, 0, y0, 0, -res]` (GDAL order,
/// x0/y0 = the image's top-left *corner*).
pub fn geotransform(view: &View, origin_px: [f64; 2]) -> [f64; 6] {
    let (rx, ry) = (view.resolution(), view.resolution_y());
    [view.bbox.min_x - origin_px[0] * rx, rx, 0.0, view.bbox.max_y + origin_px[1] * ry, 0.0, -ry]
}

/// The world file text: A, D, B, E, C, F — C/F are the centre of the top-left pixel.
pub fn world_file(gt: &[f64; 6]) -> String {
    let c = gt[0] + gt[1] / 2.0;
    let f = gt[3] + gt[5] / 2.0;
    format!("{:.10}\n{:.10}\n{:.10}\n{:.10}\n{:.10}\n{:.10}\n", gt[1], gt[4], gt[2], gt[5], c, f)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The GDAL PAM sidecar with the SRS and a few descriptive metadata items (no timestamps).
pub fn aux_xml(metadata: &[(&str, String)]) -> String {
    let mut s = String::from("<PAMDataset>\n");
    s.push_str(&format!("  <SRS dataAxisToSRSAxisMapping=\"1,2\">{}</SRS>\n", xml_escape(EPSG_3857_WKT)));
    if !metadata.is_empty() {
        s.push_str("  <Metadata>\n");
        for (k, v) in metadata {
            s.push_str(&format!("    <MDI key=\"{}\">{}</MDI>\n", xml_escape(k), xml_escape(v)));
        }
        s.push_str("  </Metadata>\n");
    }
    s.push_str("</PAMDataset>\n");
    s
}
