//! Compositor benchmark: a 1920×1080@30 canvas with 4 video layers from
//! 1920×1080 I420 sources (1 full, 3 PiP) and 6 RGBA overlays with rounded
//! corners and shadow, NV12 output with readback — ms/frame and fps; then the
//! same plus a 1080×1920 portrait canvas in the same tick. In the same run,
//! GStreamer's CPU `compositor` element doing the equivalent blend
//! (4 I420 + 6 RGBA → I420 1080p), and the ratio.
//!
//!     cargo bench --bench compositor
//!
//! Sources are re-uploaded every frame (as live cameras are).

mod support;

use showroom::compositor::{Composite, Compositor};
use showroom::media::frame::{Matrix, PixelFormat, VideoFrame};
use std::time::Instant;

const FRAMES: u64 = 150;

fn show_text(portrait: bool) -> String {
    let mut s = String::from("[[canvases]]\nid = \"land\"\nwidth = 1920\nheight = 1080\n");
    if portrait {
        s += "[[canvases]]\nid = \"port\"\nwidth = 1080\nheight = 1920\n";
    }
    for i in 0..10 {
        s += &format!("[[sources]]\nid = \"s{i}\"\nkind = \"test-pattern\"\n");
    }
    s += "[[scenes]]\nid = \"bench\"\n";
    let pips = [(1400, 60), (1400, 360), (1400, 660)];
    s += "[[scenes.layers]]\nsource = \"s0\"\nplace.land = { x = 0, y = 0, width = 1920, height = 1080 }\n";
    if portrait {
        s += "place.port = { x = 0, y = 0, width = 1080, height = 1920 }\nfit = \"fill\"\n";
    }
    for (n, (x, y)) in pips.iter().enumerate() {
        s += &format!(
            "[[scenes.layers]]\nsource = \"s{}\"\nz = 1\nplace.land = {{ x = {x}, y = {y}, width = 480, height = 270 }}\n",
            n + 1
        );
        if portrait {
            s += &format!(
                "place.port = {{ x = 60, y = {}, width = 480, height = 270 }}\n",
                1000 + n as i32 * 300
            );
        }
    }
    for n in 0..6 {
        s += &format!(
            "[[scenes.layers]]\nsource = \"s{}\"\nz = 2\nradius = 16\nshadow = {{ x = 6, y = 6, blur = 12 }}\nplace.land = {{ x = {}, y = {}, width = 300, height = 100 }}\n",
            n + 4,
            40 + (n % 3) * 340,
            820 + (n / 3) * 120
        );
        if portrait {
            s += &format!(
                "place.port = {{ x = {}, y = {}, width = 300, height = 100 }}\n",
                40 + (n % 3) * 340,
                120 + (n / 3) * 130
            );
        }
    }
    s
}

fn i420(shade: u8) -> VideoFrame {
    let (w, h) = (1920u32, 1080u32);
    let mut d = vec![shade; (w * h) as usize];
    d.extend(vec![128u8; (w * h / 2) as usize]);
    VideoFrame::from_raw(PixelFormat::I420, w, h, d, Matrix::Bt709, false)
}

fn rgba() -> VideoFrame {
    VideoFrame::from_raw(
        PixelFormat::Rgba,
        300,
        100,
        [230u8, 120, 40, 255].repeat(300 * 100),
        Matrix::Bt709,
        true,
    )
}

fn run(portrait: bool) -> f64 {
    let show =
        showroom::show::parse_str(&show_text(portrait), "bench.toml", std::path::Path::new(".")).expect("bench show");
    let mut comp = Compositor::new(&show.canvases, show.sources.len()).expect("GPU");
    let video: Vec<VideoFrame> = (0..4).map(|i| i420(40 + i * 40)).collect();
    let overlay = rgba();
    for i in 4..10 {
        comp.update_source(i, 1, &overlay);
    }
    let scene = &show.scenes[0];
    let mut rendered = 0u64;
    let mut done = 0usize;
    let start = Instant::now();
    for f in 0..FRAMES + 10 {
        if f == 10 {
            // Warm-up done (pipelines compiled, mips allocated).
            done = 0;
            rendered = 0;
        }
        for (i, v) in video.iter().enumerate() {
            comp.update_source(i, f + 2, v);
        }
        for c in 0..show.canvases.len() {
            comp.render(c, &Composite::Scene(scene), f * 33_333_333, &[]);
        }
        rendered += 1;
        done += comp.ready().len();
    }
    let t = start.elapsed();
    let _ = (rendered, done + comp.flush().len());
    let _ = t;
    // Time only the measured frames.
    let start = Instant::now();
    for f in 0..FRAMES {
        for (i, v) in video.iter().enumerate() {
            comp.update_source(i, 1000 + f, v);
        }
        for c in 0..show.canvases.len() {
            comp.render(c, &Composite::Scene(scene), f * 33_333_333, &[]);
        }
        comp.ready();
    }
    comp.flush();
    start.elapsed().as_secs_f64() * 1000.0 / FRAMES as f64
}

/// GStreamer's CPU compositor on the same work: 4 I420 1080p + 6 RGBA 300×100
/// → I420 1080p, as fast as it can (no clock). The overlays pass through
/// videoconvert (to AYUV, keeping alpha): gst-launch cannot link RGBA to a
/// compositor whose output is pinned to I420 otherwise.
fn gstreamer_compositor() -> Option<f64> {
    let mut desc = String::from("compositor name=c background=black ");
    let pips = [(1400, 60), (1400, 360), (1400, 660)];
    desc += "sink_0::xpos=0 sink_0::ypos=0 ";
    for (n, (x, y)) in pips.iter().enumerate() {
        desc += &format!(
            "sink_{}::xpos={x} sink_{}::ypos={y} sink_{}::width=480 sink_{}::height=270 ",
            n + 1,
            n + 1,
            n + 1,
            n + 1
        );
    }
    for n in 0..6 {
        desc += &format!(
            "sink_{}::xpos={} sink_{}::ypos={} ",
            n + 4,
            40 + (n % 3) * 340,
            n + 4,
            820 + (n / 3) * 120
        );
    }
    desc += "! video/x-raw,format=I420,width=1920,height=1080 ! fakesink sync=false ";
    for n in 0..4 {
        desc += &format!(
            "videotestsrc num-buffers={} pattern=solid-color foreground-color={} ! video/x-raw,format=I420,width=1920,height=1080,framerate=30/1 ! c.sink_{n} ",
            FRAMES,
            0xff202020u32 + n * 0x101010
        );
    }
    for n in 0..6 {
        desc += &format!(
            "videotestsrc num-buffers={FRAMES} pattern=solid-color foreground-color=0xffe67828 ! video/x-raw,format=RGBA,width=300,height=100,framerate=30/1 ! videoconvert ! c.sink_{} ",
            n + 4
        );
    }
    support::gst_launch_ms(&desc, FRAMES as u32)
}

fn main() {
    showroom::media::init().expect("GStreamer");
    let one = run(false);
    let two = run(true);
    let gst = gstreamer_compositor();
    println!(
        "showroom compositor, 1080p landscape (4 I420 1080p layers + 6 RGBA overlays, rounded + shadow, NV12 readback):"
    );
    println!("  {one:.2} ms/frame, {:.1} fps", 1000.0 / one);
    println!("showroom compositor, landscape 1080p + portrait 1080×1920 in the same tick:");
    println!("  {two:.2} ms/tick, {:.1} fps", 1000.0 / two);
    match gst {
        Some(g) => {
            println!("GStreamer compositor element (CPU), 4 I420 + 6 RGBA → I420 1080p:");
            println!("  {g:.2} ms/frame, {:.1} fps", 1000.0 / g);
            println!("ratio (GStreamer / showroom, landscape only): {:.2}×", g / one);
        }
        None => println!("GStreamer compositor run failed (gst-launch-1.0 missing?)"),
    }
}
