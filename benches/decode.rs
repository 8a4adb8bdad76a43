//! How long the codec takes per frame, on real captured frames (shared/vectors).
//!
//! `cargo bench --bench decode` (add `-- --quick` for a short run). Each iteration is one
//! frame, so the times are ns per frame; "hex-parse" is the floor that reading a capture costs.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use jk_commission::bms::decode::{decode, FrameStream};
use jk_commission::bms::frame::{RawFrame, Reassembler, FRAME_LEN};
use jk_commission::bms::json::{frame_to_json, write_frame};
use jk_commission::bms::model::Layout;
use jk_commission::cmd::decode::parse_hex_into;

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
    c.bench_function(
        "JSON output cell_info 32S (typed, as decode writes it)",
        |b| {
            let mut out = Vec::with_capacity(4096);
            b.iter(|| {
                out.clear();
                write_frame(&mut out, black_box(&frame)).unwrap();
            })
        },
    );
    c.bench_function("JSON as a serde_json::Value cell_info 32S", |b| {
        b.iter(|| frame_to_json(black_box(&frame)).to_string())
    });
    let hex_lines: Vec<String> = [&f32s.0[..128], &f32s.0[128..150], &f32s.0[150..]]
        .iter()
        .map(|piece| {
            piece
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    c.bench_function("hex-parse one frame (3 spaced lines)", |b| {
        let mut bytes = Vec::with_capacity(512);
        b.iter(|| {
            for line in &hex_lines {
                parse_hex_into(black_box(line.as_bytes()), &mut bytes).unwrap();
            }
        })
    });
    c.bench_function(
        "decode end to end: hex lines -> JSON line, 32S cell_info",
        |b| {
            let mut s = FrameStream::new(Some(Layout::S32));
            let mut bytes = Vec::with_capacity(512);
            let mut out = Vec::with_capacity(4096);
            b.iter(|| {
                out.clear();
                for line in &hex_lines {
                    parse_hex_into(black_box(line.as_bytes()), &mut bytes).unwrap();
                    s.push_each(&bytes, |r| write_frame(&mut out, &r.unwrap()).unwrap());
                }
                assert!(!out.is_empty());
            })
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
