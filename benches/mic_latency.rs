//! Microphone capture → encoder-input latency. Starts a user-mode
//! PulseAudio with a null sink, plays a tone into it, runs a show whose
//! microphone captures the sink's monitor through cpal, and reads the
//! engine's per-input latency (device delay as cpal reports it + resampler
//! chunk + wait for the mixer + voice chain + limiter) after 8 s. Peer in
//! the same run: GStreamer's `pulsesrc` on the same source, the latency a
//! pipeline reports (latency query) with its default settings.
//!
//!     cargo bench --bench mic_latency

use gstreamer as gst;
use gstreamer::prelude::*;
use std::process::{Command, Stdio};
use std::time::Duration;

fn main() {
    let dir = std::env::temp_dir().join(format!("showroom-mic-latency-{}", std::process::id()));
    let runtime = dir.join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::set_permissions(&runtime, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    std::fs::write(
        dir.join("default.pa"),
        "load-module module-native-protocol-unix auth-anonymous=1\n\
         load-module module-null-sink sink_name=nullsink rate=48000\n\
         set-default-sink nullsink\nset-default-source nullsink.monitor\n",
    )
    .unwrap();
    // SAFETY: set before any thread that reads the environment starts.
    unsafe {
        std::env::set_var("XDG_RUNTIME_DIR", &runtime);
        std::env::set_var("PULSE_SOURCE", "nullsink.monitor");
    }
    let mut pulse = Command::new("pulseaudio")
        .args(["-n", "-F"])
        .arg(dir.join("default.pa"))
        .args(["--exit-idle-time=-1", "--daemonize=no"])
        .env("HOME", &dir)
        .stderr(Stdio::null())
        .spawn()
        .expect("pulseaudio (packaging/install-deps.sh --test installs it)");
    std::thread::sleep(Duration::from_secs(2));
    let tone = dir.join("tone.wav");
    Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "aevalsrc=0.1*sin(2*PI*1000*t):s=48000:d=30",
        ])
        .arg(&tone)
        .status()
        .unwrap();
    let mut player = Command::new("paplay")
        .arg("--device=nullsink")
        .arg(&tone)
        .spawn()
        .unwrap();

    showroom::media::init().unwrap();
    let text = "[[canvases]]\nid = \"c\"\nwidth = 320\nheight = 180\n\
                [[sources]]\nid = \"bg\"\nkind = \"test-pattern\"\npattern = \"black\"\n\
                [[sources]]\nid = \"mic\"\nkind = \"microphone\"\n\
                [[scenes]]\nid = \"s\"\n[[scenes.layers]]\nsource = \"bg\"\nplace.c = { x = 0, y = 0, width = 320, height = 180 }\n";
    let show = showroom::show::parse_str(text, "bench.toml", &dir).unwrap();
    let engine = showroom::engine::Engine::start_with(
        show,
        showroom::engine::StartOptions {
            live: false,
            ..Default::default()
        },
    )
    .unwrap();
    std::thread::sleep(Duration::from_secs(8));
    let snap = engine.snapshot();
    engine.stop();
    let mic = &snap.audio.inputs[0];
    println!("showroom microphone (cpal, default speech chain), capture → encoder input:");
    println!("  {:.1} ms (level {:.1} dBFS peak)", mic.latency_ms, mic.levels.peak_db);

    let pipeline = gst::parse::launch("pulsesrc device=nullsink.monitor ! audioconvert ! fakesink sync=true").unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let mut q = gst::query::Latency::new();
    if pipeline.query(&mut q) {
        let (_, min, _) = q.result();
        println!(
            "peer: GStreamer pulsesrc (defaults) on the same source, pipeline latency: {:.1} ms",
            min.mseconds() as f64
        );
    } else {
        println!("peer: GStreamer latency query failed");
    }
    let _ = pipeline.set_state(gst::State::Null);
    let _ = player.kill();
    let _ = player.wait();
    let _ = pulse.kill();
    let _ = pulse.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
