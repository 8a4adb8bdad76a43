//! How long the codec takes per frame, on real captured frames (shared/vectors).
//!
//! `cargo bench --bench decode` (add `-- --quick` for a short run).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use jk_commission::bms::decode::{decode, FrameStream};
use jk_commission::bms::frame::{RawFrame, Reassembler, FRAME_LEN};
use jk_commission::bms::json::frame_to_json;
use jk_commission::bms::model::Layout;

#[path = "../tests/common/vectors.rs"]
mod vectors;

/// The frames of a vector file, in order.
fn frames(name: &str) -> Vec<[u8; FRAME_LEN]> {
    vectors::load(name)
        .into_iter()
        .map(|(bytes, _)| bytes.try_into().expect("a 300-byte frame"))
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
