//! How long the codec takes per frame, on real captured frames (shared/vectors).
//!
//! `cargo bench --bench decode` (add `-- --quick` for a short run).

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use jk_commission::bms::decode::{decode, FrameStream};
use jk_commission::bms::frame::{RawFrame, Reassembler, FRAME_LEN};
use jk_commission::bms::json::frame_to_json;
use jk_commission::bms::model::Layout;

fn vectors_dir() -> PathBuf {
    let primary = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/vectors"));
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .skip(1)
        .map(|a| a.join("shared/vectors"))
        .find(|p| p.is_dir())
        .unwrap_or(primary)
}

/// The frames of a vector file, in order.
fn frames(name: &str) -> Vec<[u8; FRAME_LEN]> {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the captured frames must be at {}: {e}", path.display()));
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let hex = f["hex"].as_str().unwrap();
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            bytes.try_into().unwrap()
        })
        .collect()
}

fn cell_frame(name: &str) -> RawFrame {
    let all = frames(name);
    RawFrame(
        *all.iter()
            .find(|f| f[4] == 0x02)
            .expect("a cell-info frame"),
    )
}

fn bench(c: &mut Criterion) {
    let f32s = cell_frame("jk02-32s-v19.json");
    let f24s = cell_frame("jk02-24s-v10.json");

    c.bench_function("decode cell_info 32S (layout known)", |b| {
        b.iter(|| decode(black_box(&f32s), Some(Layout::S32)).unwrap())
    });
    c.bench_function("decode cell_info 24S (layout known)", |b| {
        b.iter(|| decode(black_box(&f24s), Some(Layout::S24)).unwrap())
    });
    c.bench_function("decode cell_info 32S (layout from mask)", |b| {
        b.iter(|| decode(black_box(&f32s), None).unwrap())
    });
    c.bench_function("reassemble 128+22+150 pieces", |b| {
        let mut r = Reassembler::new();
        b.iter(|| {
            let mut n = 0;
            for piece in [&f32s.0[..128], &f32s.0[128..150], &f32s.0[150..]] {
                n += r.push(black_box(piece)).len();
            }
            assert_eq!(n, 1);
        })
    });
    c.bench_function("FrameStream 3 pieces -> decoded 32S frame", |b| {
        let mut s = FrameStream::new(Some(Layout::S32));
        b.iter(|| {
            let mut n = 0;
            for piece in [&f32s.0[..128], &f32s.0[128..150], &f32s.0[150..]] {
                n += s.push(black_box(piece)).len();
            }
            assert_eq!(n, 1);
        })
    });
    let frame = decode(&f32s, Some(Layout::S32)).unwrap();
    c.bench_function("frame_to_json cell_info 32S", |b| {
        b.iter(|| frame_to_json(black_box(&frame)).to_string())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
