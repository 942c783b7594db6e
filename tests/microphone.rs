//! A real device path without a sound card: a user-mode PulseAudio with a
//! null sink; a known tone (-20 dBFS peak, 1 kHz) is played into it and
//! captured through cpal (ALSA's pulse plugin) as the show's microphone,
//! streamed to nginx-rtmp; the received audio has the tone at the level it
//! was played, ± 1 dB. A microphone that does not exist is named in the
//! source's state while the show goes on.

mod support;

use std::path::Path;
use std::process::Command;
use support::*;

fn show(device: Option<&str>) -> String {
    let device = device.map(|d| format!("device = \"{d}\"\n")).unwrap_or_default();
    format!(
        "[[canvases]]\nid = \"c\"\nwidth = 320\nheight = 180\nfps = 30\n\
         [[sources]]\nid = \"bg\"\nkind = \"test-pattern\"\npattern = \"black\"\n\
         [[sources]]\nid = \"mic\"\nkind = \"microphone\"\n{device}audio = {{ voice = false }}\n\
         [[scenes]]\nid = \"s\"\n[[scenes.layers]]\nsource = \"bg\"\nplace.c = {{ x = 0, y = 0, width = 320, height = 180 }}\n"
    )
}

/// ffmpeg's astats over `seconds` of the file from `from` s, after `trim`
/// (a filter, or ""): (peak, RMS) dB.
fn astats(path: &Path, from: f64, seconds: f64, trim: &str) -> (f64, f64) {
    let out = Command::new("ffmpeg")
        .args(["-v", "info", "-ss", &from.to_string(), "-t", &seconds.to_string(), "-i"])
        .arg(path)
        .args([
            "-vn",
            "-af",
            &format!("{trim}pan=mono|c0=c0,astats=metadata=0"),
            "-f",
            "null",
            "-",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    let value = |key: &str| -> f64 {
        text.lines()
            .rfind(|l| l.contains(key))
            .and_then(|l| l.rsplit(':').next())
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no `{key}` from ffmpeg:\n{text}"))
    };
    (value("Peak level dB"), value("RMS level dB"))
}

#[test]
fn a_tone_played_into_the_system_arrives_at_the_server_at_its_level() {
    let _heavy = heavy_lock();
    let dir = tempdir("microphone");
    let pulse = Pulse::start(&dir);
    let nginx = Nginx::start(&dir.join("nginx"));
    // 1 kHz at exactly -20 dBFS peak (-23 dBFS RMS), longer than the show.
    let tone = dir.join("tone.wav");
    let st = Command::new("ffmpeg")
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
    assert!(st.success());
    let mut player = pulse
        .command("paplay")
        .args(["--device=nullsink"])
        .arg(&tone)
        .spawn()
        .expect("paplay missing");
    std::fs::write(dir.join("show.toml"), show(None)).unwrap();
    let key = "micTone-5r2";
    let out = pulse
        .command(showroom_bin().to_str().unwrap())
        .arg("run")
        .arg(dir.join("show.toml"))
        .args([
            "--duration",
            "6",
            "--to",
            &format!("c=rtmp://127.0.0.1:{}/live/{key}", nginx.rtmp_port),
        ])
        .arg("--stats-json")
        .arg(dir.join("stats.json"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .output()
        .unwrap();
    let _ = player.kill();
    let _ = player.wait();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("stats.json")).unwrap()).unwrap();
    let mic = &stats["audio"]["inputs"][0];
    assert_eq!(mic["id"], "mic");
    let peak = mic["levels"]["peak_db"].as_f64().unwrap();
    assert!(
        (peak - -20.0).abs() <= 1.0,
        "the mixer saw the tone at {peak} dBFS peak: {mic}"
    );
    let (rx_peak, rx_rms) = astats(&nginx.received(key), 2.0, 3.0, "");
    assert!(
        (rx_rms - -23.01).abs() <= 1.0,
        "received RMS {rx_rms} dB (peak {rx_peak})"
    );
    assert!(stats["audio"]["integrated_lufs"].as_f64().is_some());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_microphone_that_is_not_there_is_named_and_the_show_goes_on() {
    let _heavy = heavy_lock();
    let dir = tempdir("microphone-missing");
    let pulse = Pulse::start(&dir);
    std::fs::write(dir.join("show.toml"), show(Some("Studio Mic 9000"))).unwrap();
    let out = pulse
        .command(showroom_bin().to_str().unwrap())
        .arg("run")
        .arg(dir.join("show.toml"))
        .args(["--duration", "3", "--record"])
        .arg(dir.join("rec.mkv"))
        .arg("--stats-json")
        .arg(dir.join("stats.json"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("stats.json")).unwrap()).unwrap();
    let error = stats["sources"][1]["error"].as_str().unwrap_or_default().to_string();
    assert!(
        error.starts_with("no microphone named \"Studio Mic 9000\"") && error.contains("showroom devices"),
        "{error}"
    );
    assert!(dir.join("rec.mkv").exists(), "the show did not go on");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_host_hears_the_mix_on_the_monitoring_output() {
    let _heavy = heavy_lock();
    let dir = tempdir("monitoring");
    let pulse = Pulse::start(&dir);
    // What reaches the "headphones" (a second null sink), recorded off its monitor.
    let heard = dir.join("heard.wav");
    let mut recorder = pulse
        .command("parec")
        .args([
            "-d",
            "phones.monitor",
            "--file-format=wav",
            "--rate=48000",
            "--channels=2",
        ])
        .arg(&heard)
        .spawn()
        .expect("parec missing");
    std::fs::write(
        dir.join("show.toml"),
        "[[canvases]]\nid = \"c\"\nwidth = 320\nheight = 180\n\
         [[sources]]\nid = \"tone\"\nkind = \"tone\"\nfrequency = 1000\nvolume = 0.1\n\
         [[sources]]\nid = \"bg\"\nkind = \"test-pattern\"\npattern = \"black\"\n\
         [[scenes]]\nid = \"s\"\n[[scenes.layers]]\nsource = \"bg\"\nplace.c = { x = 0, y = 0, width = 320, height = 180 }\n\
         [audio]\nmonitor = true\n",
    )
    .unwrap();
    let out = pulse
        .command(showroom_bin().to_str().unwrap())
        .arg("run")
        .arg(dir.join("show.toml"))
        // Long enough that a slow start on a loaded machine still leaves
        // seconds of tone to hear.
        .args(["--duration", "8"])
        .env("PULSE_SINK", "phones")
        .env("XDG_STATE_HOME", dir.join("state"))
        .output()
        .unwrap();
    // parec writes its WAV header at the end: stop it politely.
    let _ = Command::new("kill").arg("-INT").arg(recorder.id().to_string()).status();
    let _ = recorder.wait();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The recording has silence before the monitoring starts and after the
    // show ends: measure between the first and the last of the tone (a gap
    // inside would still lower the level).
    let trim = "silenceremove=start_periods=1:start_threshold=-50dB,areverse,\
                silenceremove=start_periods=1:start_threshold=-50dB,areverse,";
    let (peak, rms) = astats(&heard, 0.0, 30.0, trim);
    assert!(
        (rms - -23.01).abs() <= 1.0,
        "the headphones heard RMS {rms} dB (peak {peak})"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn preflight_show(extra: &str) -> String {
    format!(
        "[show]\nname = \"Pre-flight\"\n\
         [[canvases]]\nid = \"c\"\nwidth = 320\nheight = 180\nfps = 30\n\
         [[sources]]\nid = \"bg\"\nkind = \"test-pattern\"\npattern = \"black\"\n\
         {extra}\
         [[scenes]]\nid = \"s\"\n[[scenes.layers]]\nsource = \"bg\"\nplace.c = {{ x = 0, y = 0, width = 320, height = 180 }}\n\
         [[recordings]]\ncanvas = \"c\"\npath = \"rec.mkv\"\n\
         [[destinations]]\nid = \"shop\"\nplatform = \"custom\"\ncanvas = \"c\"\nurl = \"rtmp://127.0.0.1:9/live\"\nkey = {{ file = \"shop.key\" }}\n"
    )
}

#[test]
fn the_preflight_check_names_a_missing_key_a_dead_source_and_a_silent_microphone() {
    let _heavy = heavy_lock();
    let dir = tempdir("preflight");
    let pulse = Pulse::start(&dir);
    // The microphone is the null sink's monitor: nothing plays, so silence.
    let extra = "[[sources]]\nid = \"cam\"\nkind = \"camera\"\ndevice = \"/dev/video-showroom-missing\"\n\
                 [[sources]]\nid = \"mic\"\nkind = \"microphone\"\naudio = { voice = false }\n";
    std::fs::write(dir.join("show.toml"), preflight_show(extra)).unwrap();
    let preflight = || {
        pulse
            .command(showroom_bin().to_str().unwrap())
            .arg("run")
            .arg(dir.join("show.toml"))
            .args(["--preflight", "--duration", "1800"])
            .current_dir(&dir)
            .env("XDG_STATE_HOME", dir.join("state"))
            .output()
            .unwrap()
    };
    let out = preflight();
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    let log = format!("{said}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{log}");
    let line = |start: &str| {
        said.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no `{start}` line:\n{log}"))
            .to_string()
    };
    let key = line("FAIL key of shop: ");
    assert!(key.contains("shop.key") && key.contains("store the key"), "{key}");
    let cam = line("FAIL source cam: no pictures");
    assert!(cam.contains("showroom devices"), "{cam}");
    let mic = line("FAIL microphone mic: silent: peak ");
    assert!(mic.contains("plugged in"), "{mic}");
    line("ok   source bg: ");
    let disk = line("ok   disk for ");
    assert!(disk.contains("rec.mkv: ") && disk.contains("GiB for 30 min"), "{disk}");
    assert_eq!(
        said.lines().last(),
        Some("pre-flight: 3 problem(s) to fix before going live"),
        "{log}"
    );
    // Nothing went on air and nothing was recorded.
    assert!(!dir.join("rec.mkv").exists(), "the pre-flight check recorded");

    // Fixed: the key stored, the camera and microphone taken out.
    std::fs::write(dir.join("show.toml"), preflight_show("")).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(dir.join("shop.key"), "pfShop-1z").unwrap();
        std::fs::set_permissions(dir.join("shop.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = preflight();
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{said}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("ok   key of shop: present"), "{said}");
    assert!(
        said.lines().last().unwrap().starts_with("pre-flight: all clear"),
        "{said}"
    );
    assert!(!said.contains("pfShop-1z"), "the key leaked");
    let _ = std::fs::remove_dir_all(&dir);
}
