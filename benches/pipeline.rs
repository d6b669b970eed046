//! `cargo bench`: how fast the stages before rendering are (issue 3).
//!
//! - `events/10MB`: geoparsing and event coding over the bundled corpus repeated to more than 10 MB of
//!   text (throughput in MB/s).
//! - `build/layers`: the whole build of the bundled corpus without rendering: load the gazetteer, read the
//!   articles, geoparse, code and merge events, serialise every layer (goal: under 100 ms).
//! - `closest/*`: the point of the longest river of the gazetteer nearest each of 500 settlements, as the
//!   geoparser and the event coder ask it: geo's `ClosestPoint`, and `frontmap::closest` (the same answers)
//!   without and with its line index.
//! - `png/*`: a 1600×1200 sheet (the committed `out/maps/theatre.png`, decoded) encoded by frontmap's PNG
//!   writer, whole and from bands kept of the same image, and by the `png` crate (`Compression::Fast`,
//!   the same coding and filters), the peer, in the same run.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use frontmap::build;
use frontmap::events::EventCoder;
use frontmap::gazetteer::Gazetteer;
use frontmap::geoparse::GeoParser;
use frontmap::text::{Article, ArticleFacts, ZoneRules};
use std::hint::black_box;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn corpus_10mb() -> Vec<Article> {
    let articles = build::read_articles(&root().join("articles"), None).unwrap_or_default();
    let rules = ZoneRules::builtin();
    let mut out = Vec::new();
    let mut bytes = 0;
    let mut copy = 0;
    while bytes < 10_000_000 && !articles.is_empty() {
        for a in &articles {
            let facts = ArticleFacts { corpus_date: a.meta.date, source: a.meta.source.clone(), ..Default::default() };
            let id = format!("{copy:05}-{}", a.id);
            out.push(Article::from_bytes(&id, &a.path, a.text.as_bytes(), &rules, &facts));
            bytes += a.text.len();
        }
        copy += 1;
    }
    out
}

fn events(c: &mut Criterion) {
    let g = match Gazetteer::load_dir(&root().join("gazetteer")) {
        Ok(g) => g,
        Err(e) => panic!("gazetteer: {e}"),
    };
    let parser = GeoParser::new(&g);
    let coder = EventCoder::default();
    let articles = corpus_10mb();
    let bytes: usize = articles.iter().map(|a| a.text.len()).sum();
    let mut group = c.benchmark_group("events");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("10MB", |b| {
        b.iter(|| {
            let parsed = build::geoparse_all(&parser, &articles);
            black_box(coder.code(&g, &articles, &parsed).events.len())
        })
    });
    group.finish();
}

fn layers(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    group.sample_size(20);
    group.bench_function("layers", |b| {
        b.iter(|| {
            let g = match Gazetteer::open(&root().join("gazetteer")) {
                Ok(g) => g,
                Err(e) => panic!("gazetteer: {e}"),
            };
            let articles = build::read_articles(&root().join("articles"), None).unwrap_or_default();
            let parser = GeoParser::new(&g);
            let parsed = build::geoparse_all(&parser, &articles);
            let coded = EventCoder::default().code(&g, &articles, &parsed);
            let pairs: Vec<_> = articles.iter().zip(&parsed).map(|(a, p)| (a, p.mentions.as_slice())).collect();
            let places = frontmap::output::places::places_geojson(&pairs, &g);
            let events = frontmap::output::events::events_geojson(&coded.events, &g);
            black_box(places.len() + events.len())
        })
    });
    group.finish();
}

fn closest(c: &mut Criterion) {
    use geo::{ClosestPoint, Point};
    let g = match Gazetteer::load_dir(&root().join("gazetteer")) {
        Ok(g) => g,
        Err(e) => panic!("gazetteer: {e}"),
    };
    let vertices = |p: &&frontmap::gazetteer::Place| {
        use geo::CoordsIter;
        p.geometry.as_ref().map_or(0, |g| g.coords_count())
    };
    let Some(river) = g.places.iter().filter(|p| p.kind == frontmap::gazetteer::Kind::River).max_by_key(vertices)
    else {
        panic!("no river in the gazetteer")
    };
    let Some(line) = river.geometry.as_ref() else { panic!("{} has no line", river.id) };
    let towns: Vec<Point<f64>> =
        g.places.iter().filter(|p| p.kind.is_settlement()).take(500).map(|p| Point(p.point)).collect();
    let mut group = c.benchmark_group("closest");
    group.sample_size(20);
    group.throughput(Throughput::Elements(towns.len() as u64));
    group.bench_function("geo", |b| b.iter(|| towns.iter().for_each(|t| _ = black_box(line.closest_point(t)))));
    group.bench_function("frontmap", |b| {
        b.iter(|| towns.iter().for_each(|t| _ = black_box(frontmap::closest::closest_point(line, *t))))
    });
    let Some(index) = frontmap::closest::LineIndex::new(line) else { panic!("{} is not a line", river.id) };
    group.bench_function("frontmap-indexed", |b| {
        b.iter(|| towns.iter().for_each(|t| _ = black_box(index.closest_point(*t))))
    });
    group.finish();
}

/// The committed theatre sheet as a pixmap.
fn theatre() -> tiny_skia::Pixmap {
    let file = std::fs::File::open(root().join("out/maps/theatre.png")).unwrap_or_else(|e| panic!("{e}"));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().unwrap_or_else(|e| panic!("{e}"));
    let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let info = reader.next_frame(&mut buf).unwrap_or_else(|e| panic!("{e}"));
    let Some(mut pm) = tiny_skia::Pixmap::new(info.width, info.height) else { panic!("pixmap") };
    for (d, s) in pm.data_mut().chunks_exact_mut(4).zip(buf.chunks_exact(info.color_type.samples())) {
        d.copy_from_slice(&[s[0], s[1], s[2], 255]);
    }
    pm
}

fn png(c: &mut Criterion) {
    let pm = theatre();
    let mut g = c.benchmark_group("png");
    g.throughput(Throughput::Bytes(pm.data().len() as u64));
    g.bench_function("frontmap", |b| b.iter(|| frontmap::render::png::encode(black_box(&pm))));
    let dir = std::env::temp_dir().join(format!("frontmap-bench-png-{}", std::process::id()));
    let kept = dir.join("theatre.png.kept");
    let _ = frontmap::render::png::encode_keeping(&pm, &kept);
    g.bench_function("frontmap-kept", |b| b.iter(|| frontmap::render::png::encode_keeping(black_box(&pm), &kept)));
    g.bench_function("png-crate", |b| {
        b.iter(|| {
            let rgb: Vec<u8> = pm.data().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
            let mut out = Vec::new();
            let mut enc = png::Encoder::new(&mut out, pm.width(), pm.height());
            enc.set_color(png::ColorType::Rgb);
            enc.set_compression(png::Compression::Fast);
            let mut w = enc.write_header().unwrap_or_else(|e| panic!("{e}"));
            w.write_image_data(black_box(&rgb)).unwrap_or_else(|e| panic!("{e}"));
            drop(w);
            out
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, events, layers, closest, png);
criterion_main!(benches);
