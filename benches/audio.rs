//! Audio benchmark: the mixer with 4 inputs, every voice stage on (high-
//! pass, RNNoise, gate, compressor), gain/pan/meters and the true-peak
//! limiter, on 60 s of generated speech-like signal: CPU time per second of
//! audio, as a share of one core. Peer in the same run: GStreamer's
//! `audiomixer` summing 4 inputs with `volume` and `level` on each (no
//! noise suppression), the closest stock pipeline.
//!
//!     cargo bench --bench audio

mod support;

use showroom::audio::ring::AudioRing;
use showroom::audio::{InputSettings, Mixer};
use std::sync::Arc;
use std::time::Instant;

const SECONDS: usize = 60;
const BLOCK: usize = 960;

fn signal(seed: u32) -> Vec<f32> {
    let mut x = seed;
    (0..48_000)
        .flat_map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let n = (x as f32 / u32::MAX as f32 - 0.5) * 0.02;
            let t = i as f32 / 48_000.0;
            // A vowel-like tone that comes and goes, over noise.
            let env = if (t * 3.0).fract() < 0.6 { 0.2 } else { 0.0 };
            let v = env * (2.0 * std::f32::consts::PI * 180.0 * t).sin() + n;
            [v, v]
        })
        .collect()
}

fn run(inputs: usize, settings: InputSettings) -> f64 {
    let mut mixer = Mixer::new(-1.0, 0);
    let rings: Vec<Arc<AudioRing>> = (0..inputs).map(|_| Arc::new(AudioRing::default())).collect();
    for (i, r) in rings.iter().enumerate() {
        mixer.add_input(&format!("mic{i}"), r.clone(), settings.clone());
    }
    let sigs: Vec<Vec<f32>> = (0..inputs).map(|i| signal(0x9e37_79b9 + i as u32)).collect();
    let mut busy = 0.0;
    for _ in 0..SECONDS {
        for chunk in 0..(48_000 / BLOCK) {
            for (r, s) in rings.iter().zip(&sigs) {
                r.push(&s[chunk * BLOCK * 2..(chunk + 1) * BLOCK * 2]);
            }
            let start = Instant::now();
            std::hint::black_box(mixer.mix(BLOCK));
            busy += start.elapsed().as_secs_f64();
        }
    }
    busy / SECONDS as f64 * 100.0
}

fn main() {
    let all_on = InputSettings::voice();
    let plain = InputSettings::plain();
    let four = run(4, all_on.clone());
    let one = run(1, all_on);
    let four_plain = run(4, plain);
    println!("mixer, 60 s of audio, share of one core:");
    println!(
        "  4 inputs, every voice stage on (RNNoise included): {four:.2} %  ({:.2} % per input)",
        four / 4.0
    );
    println!("  1 input, every voice stage on: {one:.2} %");
    println!("  4 inputs, no voice stages (gain, pan, meters, limiter only): {four_plain:.2} %");
    let mut desc = String::from("audiomixer name=m ! audio/x-raw,rate=48000,channels=2 ! fakesink sync=false ");
    for i in 0..4 {
        desc += &format!(
            "audiotestsrc num-buffers={} samplesperbuffer=960 wave=sine freq={} ! audio/x-raw,format=F32LE,rate=48000,channels=2 ! volume volume=0.8 ! level ! m.sink_{i} ",
            SECONDS * 50,
            200 + i * 100
        );
    }
    match support::gst_launch_ms(&desc, (SECONDS * 50) as u32) {
        Some(ms_per_block) => println!(
            "peer: GStreamer audiomixer + volume + level on 4 inputs (no noise suppression): {:.2} % of one core (wall time of an unthrottled run)",
            ms_per_block * 50.0 / 10.0
        ),
        None => println!("peer: GStreamer run failed"),
    }
}
