//! The SRT uplink and the relay show (docs/relay.md): a canvas sent over
//! SRT with a passphrase; a relay `showroom run` whose source is the
//! studio's SRT feed holds the platforms' connections while the studio is
//! gone (SIGKILL), with the slate on what they receive; 5 % packet loss on
//! the link (a network namespace this test makes, nftables dropping at
//! random) leaves no hole in what the relay receives.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::*;

const PASS: &str = "relay-pass-2026x";

/// A show for the studio side: a solid red picture and a tone, sent to
/// `url` over SRT with the passphrase from $SRT_PASS.
fn studio_show(url: &str) -> String {
    format!(
        r##"
[show]
name = "Studio"

[[canvases]]
id = "main"
width = 320
height = 180
fps = 15

[[sources]]
id = "cam"
kind = "test-pattern"
pattern = "solid-color"
color = "#D02828"
width = 320
height = 180

[[sources]]
id = "voice"
kind = "tone"
frequency = 440

[[scenes]]
id = "s"

[[scenes.layers]]
source = "cam"
place.main = {{ x = 0, y = 0, width = 320, height = 180 }}

[[destinations]]
id = "uplink"
platform = "custom"
canvas = "main"
url = "{url}"
key = {{ env = "SRT_PASS" }}
latency_ms = 400
"##
    )
}

/// The relay show: the studio's SRT feed full frame, the bundled "we'll be
/// right back" slate, and one destination per `(id, rtmp url, key file)`.
fn relay_show(port: u16, dests: &[(&str, String, &str)]) -> String {
    let mut s = format!(
        r##"
[show]
name = "Relay"
slate = "{slate}"

[[canvases]]
id = "main"
width = 320
height = 180
fps = 15

[[sources]]
id = "feed"
kind = "srt"
port = {port}
key = {{ env = "SRT_PASS" }}
latency_ms = 400

[[scenes]]
id = "s"

[[scenes.layers]]
source = "feed"
place.main = {{ x = 0, y = 0, width = 320, height = 180 }}
"##,
        slate = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/slate/right-back.png")
            .display()
    );
    for (id, url, key_file) in dests {
        s += &format!(
            "\n[[destinations]]\nid = \"{id}\"\nplatform = \"custom\"\ncanvas = \"main\"\nurl = \"{url}\"\nkey = {{ file = \"{key_file}\" }}\n"
        );
    }
    s
}

/// What a frame shows, from its top-left corner (away from the slate's text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Studio,
    Slate,
    Other,
}

/// The frames of a recording at 4 per second, 16×9, classified.
fn timeline(path: &Path) -> Vec<Seen> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-vf", "fps=4,scale=16:9", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .expect("ffmpeg missing");
    // A file nginx is still writing ends mid-tag: what decoded counts.
    out.stdout
        .chunks_exact(16 * 9 * 3)
        .map(|f| {
            let (r, g, b) = (f[3 * 17] as i32, f[3 * 17 + 1] as i32, f[3 * 17 + 2] as i32);
            if r > 150 && g < 90 && b < 90 {
                Seen::Studio
            } else if b > r + 20 && r < 70 && g < 80 {
                Seen::Slate
            } else {
                Seen::Other
            }
        })
        .collect()
}

/// The relay's event log holds `needle` (one JSON line per event).
fn logged(events: &Path, needle: &str) -> usize {
    std::fs::read_to_string(events)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(needle))
        .count()
}

#[test]
fn an_srt_destination_sends_the_canvas_with_its_passphrase_and_names_a_wrong_one() {
    let _heavy = heavy_lock();
    let dir = tempdir("srt-dest");
    let got = dir.join("got.ts");
    let (good, bad) = (free_port(), free_port());
    // A real SRT listener (GStreamer's srtsrc) with the passphrase, and one with another.
    let listen = |port: u16, pass: &str, to: &str| {
        Command::new("gst-launch-1.0")
            .args(["-q", "srtsrc"])
            .arg(format!("uri=srt://127.0.0.1:{port}?mode=listener"))
            .arg(format!("passphrase={pass}"))
            .args(["!", "filesink"])
            .arg(format!("location={to}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut listeners = [
        listen(good, PASS, &got.display().to_string()),
        listen(bad, "another-passphrase", "/dev/null"),
    ];
    for (name, port) in [("good", good), ("bad", bad)] {
        std::fs::write(
            dir.join(format!("{name}.toml")),
            studio_show(&format!("srt://127.0.0.1:{port}")),
        )
        .unwrap();
    }
    let run = |name: &str| {
        let stats = dir.join(format!("{name}-stats.json"));
        let out = Command::new(showroom_bin())
            .current_dir(&dir)
            .args(["run", &format!("{name}.toml"), "--duration", "5"])
            .arg(format!("--stats-json={}", stats.display()))
            .env("SRT_PASS", PASS)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr).into_owned();
        // A destination that never went live fails the run (and says which).
        assert_eq!(out.status.success(), name == "good", "{said}");
        assert!(!said.contains(PASS), "the passphrase in the output: {said}");
        let stats = std::fs::read_to_string(stats).unwrap();
        assert!(!stats.contains(PASS), "the passphrase in the stats");
        (said, serde_json::from_str::<serde_json::Value>(&stats).unwrap())
    };
    let (said, stats) = run("good");
    let dest = &stats["destinations"][0];
    assert_eq!(dest["id"], "uplink", "{said}");
    assert_eq!(dest["ever_live"], true, "{dest}\n{said}");
    let sent = dest["bytes_sent"].as_u64().unwrap();
    let (said_bad, stats_bad) = run("bad");
    for l in &mut listeners {
        let _ = l.kill();
        let _ = l.wait();
    }
    // What arrived: MPEG-TS with H.264 and AAC, decodable from its first
    // packet on (SPS/PPS at every keyframe), every byte the sink counted.
    let streams = ffprobe(&got, &["-show_entries", "stream=codec_name", "-of", "csv=p=0"]);
    assert!(streams.contains("h264") && streams.contains("aac"), "{streams}");
    // MPEG-TS lists its streams twice (program and stream sections).
    let packets: u32 = ffprobe(
        &got,
        &[
            "-select_streams",
            "v:0",
            "-count_packets",
            "-show_entries",
            "stream=nb_read_packets",
            "-of",
            "csv=p=0",
        ],
    )
    .lines()
    .find_map(|l| l.trim().trim_end_matches(',').parse().ok())
    .unwrap_or(0);
    assert!(packets >= 30, "{packets} video packets in 5 s at 15 fps");
    let size = std::fs::metadata(&got).unwrap().len();
    assert!(
        size > 0 && size <= sent,
        "the listener wrote {size} bytes, the destination says it sent {sent}"
    );
    let picture = timeline(&got);
    assert!(
        picture.iter().filter(|s| **s == Seen::Studio).count() * 10 >= picture.len() * 9,
        "the studio's red picture arrived: {picture:?}"
    );

    // A wrong passphrase: never live, and the destination says why.
    let dest = &stats_bad["destinations"][0];
    assert_eq!(dest["ever_live"], false, "{dest}");
    let error = dest["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("passphrase"),
        "the error names the passphrase: {dest}\n{said_bad}"
    );
    assert!(said_bad.contains("never went live: uplink"), "{said_bad}");
}

#[test]
fn a_relay_show_holds_both_platforms_while_the_studio_is_killed_and_restores_the_picture() {
    let _heavy = heavy_lock();
    let dir = tempdir("relay-hold");
    let (b, c) = (Nginx::start(&dir.join("b")), Nginx::start(&dir.join("c")));
    let (key_b, key_c) = ("holdB-4k2q", "holdC-7p1w");
    write_secret(&dir, "b.key", key_b);
    write_secret(&dir, "c.key", key_c);
    let port = free_port();
    std::fs::write(
        dir.join("relay.toml"),
        relay_show(
            port,
            &[
                ("platform-b", format!("rtmp://127.0.0.1:{}/live", b.rtmp_port), "b.key"),
                ("platform-c", format!("rtmp://127.0.0.1:{}/live", c.rtmp_port), "c.key"),
            ],
        ),
    )
    .unwrap();
    std::fs::write(dir.join("studio.toml"), studio_show(&format!("srt://127.0.0.1:{port}"))).unwrap();
    let events = dir.join("relay-events.jsonl");
    let env = [("SRT_PASS", PASS)];
    let mut relay = ShowRun::start(
        &dir,
        &["run", "relay.toml", &format!("--events={}", events.display())],
        &env,
    );
    let published = |n: u32| {
        poll_until(Duration::from_secs(30), || {
            let r = b.auth.requests.lock().unwrap().get(key_b).copied().unwrap_or(0)
                + c.auth.requests.lock().unwrap().get(key_c).copied().unwrap_or(0);
            r >= n
        })
    };
    assert!(published(2).is_some(), "the relay went live to both platforms");

    // The studio on air, then killed outright, then back.
    let studio_run = || ShowRun::start(&dir, &["run", "studio.toml"], &env);
    let mut studio = studio_run();
    studio.line(|l| l.contains("uplink") && l.contains("live"));
    // Its picture reached the relay: the feed's signal is there (frames
    // arrive; a feed that never came shows no "lost" event either, so wait
    // on the stream itself: a few seconds of it in the platforms' files).
    assert!(
        poll_until(Duration::from_secs(30), || {
            let f = b.received(key_b);
            f.exists() && timeline_tail_is(&f, Seen::Studio)
        })
        .is_some(),
        "the studio's picture reached platform B"
    );
    studio.child.kill().unwrap();
    let _ = studio.child.wait();
    assert!(
        poll_until(Duration::from_secs(30), || logged(&events, r#""lost":true"#) >= 1).is_some(),
        "the relay saw the feed go"
    );
    // Some seconds of slate on air.
    std::thread::sleep(Duration::from_secs(4));
    let mut studio = studio_run();
    assert!(
        poll_until(Duration::from_secs(45), || logged(&events, r#""lost":false"#) >= 1).is_some(),
        "the relay got the feed back: {:?}",
        relay.all_lines()
    );
    std::thread::sleep(Duration::from_secs(4));
    studio.type_line("quit");
    let _ = studio.child.wait();
    relay.type_line("quit");
    assert!(
        poll_until(Duration::from_secs(30), || relay.child.try_wait().unwrap().is_some()).is_some(),
        "the relay ended on quit"
    );
    let said = relay.all_lines().join("\n");
    assert!(
        !said.contains(PASS) && !said.contains(key_b) && !said.contains(key_c),
        "{said}"
    );

    for (nginx, key) in [(&b, key_b), (&c, key_c)] {
        // One publish for the whole show: the platform never saw a reconnect.
        assert_eq!(
            nginx.auth.requests.lock().unwrap().get(key).copied(),
            Some(1),
            "publishes of {key}"
        );
        let file = nginx.received(key);
        let facts = stream_facts(&file);
        assert!(
            facts.max_frame_gap < 0.5,
            "{key}: a {:.2} s hole in what the platform received",
            facts.max_frame_gap
        );
        assert_eq!(facts.audio_codec, "aac");
        // Studio, then the slate, then the studio again.
        let seen = timeline(&file);
        let first = seen
            .iter()
            .position(|s| *s == Seen::Studio)
            .expect("the studio's picture");
        let slate = first + seen[first..].iter().position(|s| *s == Seen::Slate).expect("the slate");
        let back = seen[slate..].iter().position(|s| *s == Seen::Studio);
        assert!(back.is_some(), "{key}: the picture came back: {seen:?}");
        let slate_frames = seen.iter().filter(|s| **s == Seen::Slate).count();
        assert!(
            slate_frames >= 8,
            "{key}: {slate_frames} slate frames (4/s) of {seen:?}"
        );
        // And the slate says so (tesseract on a frame in its middle).
        let mid = slate + seen[slate..].iter().take_while(|s| **s == Seen::Slate).count() / 2;
        let png = dir.join(format!("{key}-slate.png"));
        let status = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-ss", &format!("{:.2}", mid as f64 / 4.0), "-i"])
            .arg(&file)
            .args(["-frames:v", "1", "-vf", "scale=960:540"])
            .arg(&png)
            .status()
            .unwrap();
        assert!(status.success());
        let text = page_ocr(&png).to_uppercase();
        assert!(text.contains("RIGHT BACK"), "{key}: the slate reads {text:?}");
    }
}

/// The last second of a growing recording shows `what`.
fn timeline_tail_is(path: &Path, what: Seen) -> bool {
    let seen = timeline(path);
    seen.len() >= 8 && seen[seen.len() - 4..].iter().all(|s| *s == what)
}

#[test]
fn five_percent_packet_loss_on_the_srt_link_leaves_no_hole_at_the_relay() {
    let _heavy = heavy_lock();
    let dir = tempdir("srt-loss");
    let ns = Netns::new("srl", 213, 1);
    ns.lose(5);
    let nginx = Nginx::start(&dir.join("nginx"));
    let key = "lossB-9t3e";
    write_secret(&dir, "b.key", key);
    let port = free_port();
    std::fs::write(
        dir.join("relay.toml"),
        relay_show(
            port,
            &[(
                "platform",
                format!("rtmp://127.0.0.1:{}/live", nginx.rtmp_port),
                "b.key",
            )],
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("studio.toml"),
        studio_show(&format!("srt://{}:{port}", ns.host_ip(0))),
    )
    .unwrap();
    let (events, relay_stats) = (dir.join("relay-events.jsonl"), dir.join("relay-stats.json"));
    let env = [("SRT_PASS", PASS)];
    let mut relay = ShowRun::start(
        &dir,
        &[
            "run",
            "relay.toml",
            &format!("--events={}", events.display()),
            &format!("--stats-json={}", relay_stats.display()),
        ],
        &env,
    );
    // The studio inside the namespace: every packet it sends crosses the lossy link.
    let studio_stats = dir.join("studio-stats.json");
    let studio = ns
        .command(&showroom_bin())
        .current_dir(&dir)
        .args(["run", "studio.toml", "--duration", "12"])
        .arg(format!("--stats-json={}", studio_stats.display()))
        .env("SRT_PASS", PASS)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&studio.stderr).into_owned();
    assert!(studio.status.success(), "{said}");
    // The link really lost about 5 % (binomial: at ~400 packets, 3 or
    // fewer lost happens once in a million runs).
    let (tried, dropped) = ns.udp_counts();
    eprintln!("lossy link: {dropped} of {tried} UDP packets dropped");
    assert!(
        tried >= 200 && dropped > 3 && dropped * 100 <= tried * 12,
        "the link lost {dropped} of {tried} packets: not a 5 % lossy link"
    );
    relay.type_line("quit");
    assert!(
        poll_until(Duration::from_secs(30), || relay.child.try_wait().unwrap().is_some()).is_some(),
        "the relay ended on quit"
    );
    let sent: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&studio_stats).unwrap()).unwrap();
    let got: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&relay_stats).unwrap()).unwrap();
    let sent_frames = sent["destinations"][0]["video_frames"].as_u64().unwrap();
    let feed = got["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "feed")
        .unwrap()
        .clone();
    // SRT resent what the link lost, within its latency: the feed never
    // went missing, and (nearly) every frame the studio sent was decoded
    // (the last ones may be in flight when the studio ends).
    // The only loss is the studio's own end ("the stream ended").
    let log = std::fs::read_to_string(&events).unwrap();
    let lost: Vec<&str> = log.lines().filter(|l| l.contains(r#""lost":true"#)).collect();
    assert!(
        lost.iter().all(|l| l.contains("the stream ended")) && lost.len() <= 1,
        "the feed went missing over the lossy link: {lost:?}"
    );
    assert_eq!(feed["restarts"], 0, "{feed}");
    // The last second may still be in flight (inside SRT's latency) when
    // the studio closes the link.
    let frames = feed["frames"].as_u64().unwrap();
    assert!(
        sent_frames >= 120 && frames + 15 >= sent_frames,
        "the relay decoded {frames} of the {sent_frames} frames sent over a 5 % lossy link"
    );
    assert_eq!(
        nginx.auth.requests.lock().unwrap().get(key).copied(),
        Some(1),
        "one publish to the platform"
    );
    let facts = stream_facts(&nginx.received(key));
    assert!(facts.max_frame_gap < 0.5, "a {:.2} s hole", facts.max_frame_gap);
    // What the platform saw: the studio's picture from its first frame on.
    let seen = timeline(&nginx.received(key));
    let first = seen
        .iter()
        .position(|s| *s == Seen::Studio)
        .expect("the studio's picture");
    let studio = seen[first..].iter().filter(|s| **s == Seen::Studio).count();
    assert!(
        studio * 100 >= (seen.len() - first) * 95,
        "damaged pictures at the relay: {seen:?}"
    );
}

#[test]
fn srt_settings_are_checked_and_the_example_relay_show_reads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let relay = showroom::show::load(&root.join("packaging/relay/relay.toml")).unwrap();
    assert_eq!(relay.sources.len(), 2);
    assert!(relay.slate.as_ref().is_some_and(|p| p.exists()));
    let dir = tempdir("srt-check");
    let check = |url: &str, extra: &str| {
        let text = studio_show(url).replace("latency_ms = 400\n", extra);
        showroom::show::parse_str(&text, "show.toml", &dir)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    for (url, extra, want) in [
        (
            "srt://relay.example:9000?passphrase=hunter2hunter2",
            "",
            "passphrase is written in the URL",
        ),
        ("srt://relay.example:9000?latency=200", "", "latency_ms = 500"),
        ("srt://relay.example", "", "has no port"),
        ("srt://relay.example:9000", "latency_ms = 5\n", "outside 20–8000"),
        (
            "rtmp://relay.example/live",
            "latency_ms = 400\n",
            "for SRT destinations",
        ),
    ] {
        let said = check(url, extra);
        assert!(said.contains(want), "{url} {extra}: {said}");
        assert!(said.contains("show.toml:"), "names where: {said}");
        assert!(!said.contains("hunter2"), "the passphrase repeated: {said}");
    }
    let platform = studio_show("srt://relay.example:9000").replace("platform = \"custom\"", "platform = \"youtube\"");
    let said = showroom::show::parse_str(&platform, "show.toml", &dir)
        .unwrap_err()
        .to_string();
    assert!(said.contains("takes RTMP(S), not SRT"), "{said}");
    assert!(check("srt://relay.example:9000", "").is_empty());
    let text = studio_show("srt://relay.example:9000")
        .replace("name = \"Studio\"\n", "name = \"Studio\"\nslate = \"nope.png\"\n");
    let said = showroom::show::parse_str(&text, "show.toml", &dir)
        .unwrap_err()
        .to_string();
    assert!(said.contains("[show] slate: cannot read"), "{said}");
}

/// CPU seconds a process has used so far (Linux /proc; 100 ticks a second).
fn cpu_s(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU-s/s of `pid` over `secs`, after `warm` seconds.
fn cpu_rate(pid: u32, warm: u64, secs: u64) -> f64 {
    std::thread::sleep(Duration::from_secs(warm));
    let a = cpu_s(pid);
    std::thread::sleep(Duration::from_secs(secs));
    (cpu_s(pid) - a) / secs as f64
}

/// The benchmark (benches/relay.sh; docs/benchmarks.md): the relay show's
/// CPU-s/s with one and two platforms, fed by a studio over SRT at
/// 640×360 30 fps, beside ffmpeg doing the least a relay must (SRT in, one
/// x264 encode, `tee` to the platforms) in the same run.
#[test]
#[ignore = "a benchmark: benches/relay.sh"]
fn bench_relay_cpu_per_platform() {
    let _heavy = heavy_lock();
    let dir = tempdir("relay-bench");
    let nginx = Nginx::start(&dir.join("nginx"));
    let bigger = |s: String| {
        s.replace("width = 320", "width = 640")
            .replace("height = 180", "height = 360")
            .replace("fps = 15", "fps = 30")
            // Moving pictures: a flat red one costs an encoder nothing.
            .replace("pattern = \"solid-color\"", "pattern = \"smpte\"\nspeed = 4")
    };
    let env = [("SRT_PASS", PASS)];
    for n in [1usize, 2] {
        let keys: Vec<String> = (0..n).map(|i| format!("bench{n}{i}-k")).collect();
        for (i, k) in keys.iter().enumerate() {
            write_secret(&dir, &format!("k{i}.key"), k);
        }
        let port = free_port();
        let url = format!("rtmp://127.0.0.1:{}/live", nginx.rtmp_port);
        let files: Vec<String> = (0..n).map(|i| format!("k{i}.key")).collect();
        let ids: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
        let dests: Vec<(&str, String, &str)> = (0..n)
            .map(|i| (ids[i].as_str(), url.clone(), files[i].as_str()))
            .collect();
        std::fs::write(dir.join("relay.toml"), bigger(relay_show(port, &dests))).unwrap();
        std::fs::write(
            dir.join("studio.toml"),
            bigger(studio_show(&format!("srt://127.0.0.1:{port}")))
                .replace("latency_ms = 400\n", "latency_ms = 400\nvideo_bitrate = 1500\n"),
        )
        .unwrap();
        let mut relay = ShowRun::start(&dir, &["run", "relay.toml"], &env);
        let mut studio = ShowRun::start(&dir, &["run", "studio.toml"], &env);
        let ours = cpu_rate(relay.child.id(), 8, 10);
        studio.type_line("quit");
        relay.type_line("quit");
        let _ = studio.child.wait();
        let _ = relay.child.wait();

        // The peer: ffmpeg as the relay, the same studio feeding it.
        let port = free_port();
        std::fs::write(
            dir.join("studio.toml"),
            bigger(studio_show(&format!("srt://127.0.0.1:{port}")))
                .replace("latency_ms = 400\n", "latency_ms = 400\nvideo_bitrate = 1500\n"),
        )
        .unwrap();
        let tee = keys
            .iter()
            .map(|k| format!("[f=flv]{url}/peer-{k}"))
            .collect::<Vec<_>>()
            .join("|");
        let mut peer = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(format!(
                "srt://127.0.0.1:{port}?mode=listener&passphrase={PASS}&latency=400000"
            ))
            .args([
                "-map",
                "0:v",
                "-map",
                "0:a",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-tune",
                "zerolatency",
            ])
            .args(["-b:v", "1500k", "-g", "60", "-c:a", "aac", "-b:a", "128k", "-f", "tee"])
            .arg(tee)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_secs(1));
        let mut studio = ShowRun::start(&dir, &["run", "studio.toml"], &env);
        let theirs = cpu_rate(peer.id(), 8, 10);
        studio.type_line("quit");
        let _ = studio.child.wait();
        let _ = peer.kill();
        let _ = peer.wait();
        println!(
            "RELAY {n} platform(s): showroom relay show {ours:.3} CPU-s/s | ffmpeg srt→x264→tee {theirs:.3} CPU-s/s"
        );
    }
}
