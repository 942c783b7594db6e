//! The post-show report from a real show's logs: `showroom run` with the
//! chat bridge as the platforms' chat, a scripted show (known comments,
//! questions, claims with a waitlist and a cancel, two products featured),
//! then `showroom report` on its chat log and event log. Every figure is
//! the expected one; report.html opens in Chromium offline (OCR reads it,
//! it asks for nothing); the report the show wrote as it ended and one
//! rebuilt later are byte for byte the same; viewer counts sent through the
//! bridge, the destination's health (nginx-rtmp on loopback) and the tone's
//! loudness are in it; one MP4 clip per product moment is cut from the
//! recording (ffprobe: H.264 + AAC, the moment's length ± one GOP; OCR reads
//! the card in its middle frame); a log cut off mid-line and one with a
//! garbage line give a report of what is readable and name the lines
//! skipped.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::*;

const SHOW: &str = r#"
[show]
name = "Report e2e"

[[canvases]]
id = "landscape"
width = 640
height = 360
fps = 15

[[sources]]
id = "bg"
kind = "test-pattern"
pattern = "black"
width = 640
height = 360

[[sources]]
id = "tone"
kind = "tone"
frequency = 440
volume = 0.2

[[scenes]]
id = "main"
[[scenes.layers]]
source = "bg"
place.landscape = { x = 0, y = 0, width = 640, height = 360 }

[products]
catalog = "catalog.csv"
locale = "en-US"

[chat]
log = "chat.jsonl"
"#;

const CATALOG: &str = "id,code,title,price,currency,stock\n\
linen-shirt,A1,Linen Shirt,39.00,USD,10\n\
mug,B2,Ceramic Mug,18.50,USD,1\n";

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Comments through the bridge, stamped now; the stamp.
fn say(bridge: u16, batch: &[(&str, &str, &str, &str)]) -> u64 {
    let at = now_ms();
    let msgs: Vec<Value> = batch
        .iter()
        .map(|(platform, id, who, text)| {
            json!({"platform": platform, "id": id, "author": {"id": who, "name": format!("@{who}")},
                "text": text, "at_ms": at})
        })
        .collect();
    let status = reqwest::blocking::Client::new()
        .post(format!("http://127.0.0.1:{bridge}/v1/messages"))
        .bearer_auth(BRIDGE_TOKEN)
        .json(&msgs)
        .timeout(Duration::from_secs(30))
        .send()
        .unwrap()
        .status();
    assert_eq!(status, 200);
    at
}

/// Waits until the chat log has `n` lines of record kind `kind`.
fn logged(dir: &Path, kind: &str, n: usize) {
    let ok = poll_until(Duration::from_secs(30), || {
        std::fs::read_to_string(dir.join("chat.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(&format!("\"t\":\"{kind}\"")))
            .count()
            >= n
    });
    assert!(ok.is_some(), "the chat log never had {n} `{kind}` records");
}

/// Viewer counts through the bridge (its documented `viewers` items).
fn viewers(bridge: u16, counts: &[(&str, u64)]) {
    let items: Vec<Value> = counts
        .iter()
        .map(|(platform, n)| json!({"kind": "viewers", "platform": platform, "viewers": n}))
        .collect();
    let reply = reqwest::blocking::Client::new()
        .post(format!("http://127.0.0.1:{bridge}/v1/messages"))
        .bearer_auth(BRIDGE_TOKEN)
        .json(&items)
        .timeout(Duration::from_secs(30))
        .send()
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.json::<Value>().unwrap(), json!({"accepted": counts.len()}));
}

/// The words tesseract reads in the frame at `at` s of `video`, tripled.
fn frame_words(video: &Path, at: f64, png: &Path) -> String {
    let ok = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-ss", &format!("{at:.2}"), "-i"])
        .arg(video)
        .args(["-frames:v", "1", "-vf", "scale=iw*3:ih*3:flags=lanczos"])
        .arg(png)
        .status()
        .unwrap()
        .success();
    assert!(ok, "no frame at {at} s of {}", video.display());
    let o = Command::new("tesseract").arg(png).arg("-").output().unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn report(dir: &Path, logs: &[&str], out: &str) -> (bool, String) {
    report_with(dir, logs, out, &[])
}

fn report_with(dir: &Path, logs: &[&str], out: &str, more: &[&str]) -> (bool, String) {
    let o = Command::new(showroom_bin())
        .arg("report")
        .args(logs)
        .args(more)
        .args(["--out", out])
        .current_dir(dir)
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

#[test]
fn the_report_has_every_figure_of_a_scripted_show_and_is_rebuilt_the_same_from_the_logs() {
    let _heavy = heavy_lock();
    let dir = tempdir("report-e2e");
    let nginx = Nginx::start(&dir.join("nginx"));
    let bridge = free_port();
    write_token(&dir);
    std::fs::write(dir.join("catalog.csv"), CATALOG).unwrap();
    std::fs::write(
        dir.join("show.toml"),
        format!(
            "{SHOW}\n[[chat.sources]]\nplatform = \"bridge\"\nlisten = \"127.0.0.1:{bridge}\"\ntoken = {{ file = \"bridge.token\" }}\n"
        ),
    )
    .unwrap();
    let mut run = ShowRun::start(
        &dir,
        &[
            "run",
            "show.toml",
            "--duration",
            "300",
            "--events",
            "events.jsonl",
            "--stats-json",
            "stats.json",
            &format!("--to=landscape=rtmp://127.0.0.1:{}/live/reportKey-5v2", nginx.rtmp_port),
            "--record=rec-{canvas}.mkv",
        ],
        &[("XDG_STATE_HOME", dir.join("state").to_str().unwrap())],
    );
    run.line(|l| l.contains("fps") && l.starts_with('['));
    // The platforms' viewer counts: the most at once is 150 + 40.
    viewers(bridge, &[("tiktok", 120), ("youtube", 40)]);
    viewers(bridge, &[("tiktok", 150)]);
    logged(&dir, "viewers", 3);

    // The shirt on screen: a question, two claims, a comment.
    run.type_line("feature A1");
    run.next_line(|l| l == "ok: feature A1");
    std::thread::sleep(Duration::from_millis(300));
    let asked = say(
        bridge,
        &[
            ("tiktok", "m1", "ann", "how much is shipping?"),
            ("tiktok", "m2", "bob", "SOLD A1"),
            ("youtube", "m3", "cat", "love this colour"),
            ("tiktok", "m4", "ann", "SOLD A1 x2"),
        ],
    );
    logged(&dir, "claim", 2);
    run.type_line("answer 1");
    run.next_line(|l| l == "ok: answer 1");
    // The shirt's moment lasts long enough for a clip of several GOPs.
    std::thread::sleep(Duration::from_millis(4500));

    // The mug: one in stock, so the second claim waits; an unanswered question.
    run.type_line("feature B2");
    run.next_line(|l| l == "ok: feature B2");
    std::thread::sleep(Duration::from_millis(300));
    say(
        bridge,
        &[
            ("youtube", "m5", "dan", "SOLD B2"),
            ("tiktok", "m6", "eve", "SOLD B2"),
            ("tiktok", "m7", "fay", "is the mug dishwasher safe?"),
        ],
    );
    logged(&dir, "claim", 4);
    viewers(bridge, &[("tiktok", 90)]);
    logged(&dir, "viewers", 4);
    // Ann changes her mind about the two shirts.
    run.type_line("cancel-claim 2");
    run.next_line(|l| l == "ok: cancel-claim 2");
    std::thread::sleep(Duration::from_millis(4500));
    run.type_line("quit");
    // The show writes its report as it ends.
    let summary = run.line(|l| l.starts_with("report: "));
    assert_eq!(summary, "report: 7 comments from 6 people, 2 claims, 2 units, $57.50");
    assert!(run.child.wait().unwrap().success(), "{}", run.all_lines().join("\n"));

    let (ok, said) = report(&dir, &["chat.jsonl", "events.jsonl"], "report");
    assert!(ok, "{said}");
    assert!(
        said.contains("7 comments from 6 people, 2 claims, 2 units, $57.50"),
        "{said}"
    );
    let text = std::fs::read_to_string(dir.join("report/report.json")).unwrap();
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["show"], "Report e2e");
    assert_eq!((r["comments"].as_u64(), r["commenters"].as_u64()), (Some(7), Some(6)));
    assert_eq!(
        r["platforms"],
        json!([
            {"platform": "tiktok", "name": "TikTok", "comments": 5, "commenters": 4, "peak_viewers": 150},
            {"platform": "youtube", "name": "YouTube", "comments": 2, "commenters": 2, "peak_viewers": 40},
        ])
    );
    assert_eq!(r["peak_viewers"], 190, "150 on TikTok while YouTube had 40");
    assert_eq!(
        r["sales"],
        json!({
            "claims": 2, "units": 2, "buyers": 2,
            "revenue": [{"currency": "USD", "amount": "57.50", "text": "$57.50"}],
            "aov": [{"currency": "USD", "amount": "28.75", "text": "$28.75"}],
            "waitlisted_claims": 1, "waitlisted_units": 1, "cancelled_claims": 1,
        })
    );
    let product = |code: &str| {
        r["products"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("no {code} in {text}"))
    };
    let (a1, b2) = (product("A1"), product("B2"));
    for (p, want) in [
        (&a1, json!([1, 1, 1, "39.00", 0, 3, 1, 0.3333, 1])),
        (&b2, json!([1, 1, 1, "18.50", 1, 3, 2, 0.6667, 1])),
    ] {
        let got = json!([
            p["times_featured"],
            p["claims"],
            p["units"],
            p["revenue"]["amount"],
            p["waitlisted_units"],
            p["commenters_on_screen"],
            p["claimers_on_screen"],
            p["conversion"],
            p["questions_on_screen"]
        ]);
        assert_eq!(got, want, "{p}");
    }
    assert!(a1["on_screen_s"].as_f64().unwrap() > 0.5, "{a1}");

    // The answer time: from the viewer's comment (its stamp) to the
    // Answered (its time in the chat log).
    let chat = std::fs::read_to_string(dir.join("chat.jsonl")).unwrap();
    let answered = chat
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["t"] == "answered")
        .and_then(|r| r["at_ms"].as_u64())
        .unwrap_or_else(|| panic!("no answer in {chat}"));
    let want = ((answered - asked) as f64 / 100.0).round() / 10.0;
    assert_eq!(
        r["questions"],
        json!({"asked": 2, "answered": 1, "median_answer_s": want})
    );
    assert_eq!(r["top_questions"][0]["text"], "how much is shipping?");

    // The same figures were live in the show's snapshot (--stats-json).
    let stats: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("stats.json")).unwrap()).unwrap();
    let m = &stats["metrics"];
    assert_eq!(
        json!([
            m["comments"],
            m["commenters"],
            m["claims"],
            m["units"],
            m["buyers"],
            m["waitlisted_units"],
            m["revenue"],
            m["aov"],
            m["questions"],
            m["answered"],
            m["median_answer_s"]
        ]),
        json!([7, 6, 2, 2, 2, 1, [{"currency": "USD", "amount": "57.50"}], [{"currency": "USD", "amount": "28.75"}],
            2, 1, want]),
        "{m}"
    );
    assert_eq!(
        m["platforms"],
        json!([
            {"platform": "tiktok", "name": "TikTok", "comments": 5, "commenters": 4, "viewers": 90, "peak_viewers": 150},
            {"platform": "youtube", "name": "YouTube", "comments": 2, "commenters": 2, "viewers": 40, "peak_viewers": 40},
        ])
    );
    assert_eq!(m["viewers"], 130, "90 on TikTok and 40 on YouTube now");

    // The event stream had the figures too (the log keeps `metrics`), and
    // the show's health every 2 s.
    let events: Vec<Value> = std::fs::read_to_string(dir.join("events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let last_metrics = events
        .iter()
        .rfind(|e| e["event"] == "metrics")
        .expect("a metrics event");
    assert_eq!(
        (last_metrics["comments"].as_u64(), last_metrics["claims"].as_u64()),
        (Some(7), Some(2))
    );
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "viewers" && e["platform"] == "tiktok" && e["count"] == 150)
    );

    // Stream health: the destination, live, its bitrate; no reconnect.
    let health = r["health"].as_array().unwrap();
    assert_eq!(health.len(), 1, "{}", r["health"]);
    let h = &health[0];
    assert_eq!(
        (h["canvas"].as_str(), h["reconnects"].as_u64()),
        (Some("landscape"), Some(0)),
        "{h}"
    );
    let samples = h["samples"].as_array().unwrap();
    assert!(samples.len() >= 5, "a sample every 2 s of a show over 10 s: {h}");
    assert!(
        samples
            .iter()
            .any(|s| s["state"] == "live" && s["bitrate_kbps"].as_u64().unwrap() > 50),
        "{h}"
    );
    assert!(h["mean_kbps"].as_u64().unwrap() > 50, "{h}");
    let health_csv = std::fs::read_to_string(dir.join("report/health.csv")).unwrap();
    assert_eq!(health_csv.lines().count(), samples.len() + 1, "{health_csv}");
    // Loudness: the tone at 0.2 is measured.
    let l = &r["loudness"];
    let integrated = l["integrated_lufs"].as_f64().unwrap_or_else(|| panic!("{l}"));
    assert!((-40.0..-5.0).contains(&integrated), "{l}");
    assert!(
        l["samples"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["short_term_lufs"].is_number()),
        "{l}"
    );
    assert_eq!(
        m["products"],
        json!([
            {"code": "A1", "claims": 1, "units": 1, "revenue": {"currency": "USD", "amount": "39.00"}},
            {"code": "B2", "claims": 1, "units": 1, "revenue": {"currency": "USD", "amount": "18.50"}},
        ])
    );
    assert_eq!(r["top_questions"][0]["answered"], true);

    // Whom to follow up: both who asked, the waitlisted, the claims
    // without an order (not Ann's cancelled one).
    let leads = std::fs::read_to_string(dir.join("report/leads.csv")).unwrap();
    let rows: Vec<(String, String)> = csv::Reader::from_reader(leads.as_bytes())
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[1].to_string(), r[3].to_string())
        })
        .collect();
    let mut rows = rows;
    rows.sort();
    assert_eq!(
        rows,
        [
            ("@ann", "question"),
            ("@bob", "claimed, no order"),
            ("@dan", "claimed, no order"),
            ("@eve", "waitlisted"),
            ("@fay", "question"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let products = std::fs::read_to_string(dir.join("report/products.csv")).unwrap();
    assert!(products.starts_with("code,title,times_featured,"), "{products}");
    assert!(products.contains("\nA1,Linen Shirt,1,"), "{products}");
    // Chapters for the video: from 0:00, the products featured.
    let chapters = std::fs::read_to_string(dir.join("report/chapters.txt")).unwrap();
    assert!(chapters.starts_with("0:00 "), "{chapters}");
    assert!(
        chapters
            .lines()
            .all(|l| l.ends_with(" Linen Shirt") || l.ends_with(" Ceramic Mug")),
        "{chapters}"
    );

    // Per minute: every comment and every claim not cancelled, once.
    let minutes = std::fs::read_to_string(dir.join("report/minutes.csv")).unwrap();
    assert!(
        minutes.starts_with(
            "minute,comments,comments_tiktok,comments_youtube,claims,units,viewers_tiktok,viewers_youtube\n"
        ),
        "{minutes}"
    );
    let sums = csv::Reader::from_reader(minutes.as_bytes())
        .records()
        .map(|r| r.unwrap())
        .fold([0u64; 5], |mut acc, r| {
            for (i, a) in acc.iter_mut().enumerate() {
                *a += r[i + 1].parse::<u64>().unwrap();
            }
            acc
        });
    assert_eq!(sums, [7, 5, 2, 3, 3], "{minutes}");

    // report.html in Chromium at laptop width: the show's name and a
    // product's revenue read off the screenshot; no request but its own file.
    let page = dir.join("report/report.html");
    let cfg = json!({"page": page, "out": dir});
    let requests = browser_steps("tests/report/page.py", &cfg)
        .into_iter()
        .find(|v| v["step"] == "requests")
        .unwrap();
    assert_eq!(
        requests["urls"],
        json!([format!("file://{}", page.display())]),
        "the page asked for nothing but itself"
    );
    assert_eq!(
        requests["charts"], 5,
        "viewers, comments, claims, health, loudness: {requests}"
    );
    let seen = page_ocr(&dir.join("report.png"));
    for words in ["Report e2e", "$39.00", "$57.50", "Linen Shirt"] {
        assert!(seen.contains(words), "`{words}` not read on the report:\n{seen}");
    }

    // One clip per product moment, cut from the recording on keyframes:
    // H.264 + AAC, the moment's length within a GOP (2 s), the card in
    // its middle.
    let clips = r["clips"].as_array().unwrap();
    assert_eq!(
        clips.iter().map(|c| c["file"].as_str().unwrap()).collect::<Vec<_>>(),
        ["clips/A1-1-landscape.mp4", "clips/B2-1-landscape.mp4"],
        "{}",
        r["clips"]
    );
    for (c, title) in clips.iter().zip(["Linen Shirt", "Ceramic Mug"]) {
        let file = dir.join("report").join(c["file"].as_str().unwrap());
        let moment = c["to_s"].as_f64().unwrap() - c["from_s"].as_f64().unwrap();
        assert!(moment > 4.0, "{c}");
        let probe = ffprobe(
            &file,
            &["-show_entries", "stream=codec_name:format=duration", "-of", "json"],
        );
        let p: Value = serde_json::from_str(&probe).unwrap();
        let codecs: Vec<&str> = p["streams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["codec_name"].as_str().unwrap())
            .collect();
        assert_eq!(codecs, ["h264", "aac"], "{probe}");
        let duration: f64 = p["format"]["duration"].as_str().unwrap().parse().unwrap();
        assert!(
            duration >= moment - 0.5 && duration <= moment + 2.5,
            "{}: {duration} s for a moment of {moment} s (GOP 2 s)",
            c["file"]
        );
        let words = frame_words(
            &file,
            duration / 2.0,
            &dir.join(format!("{}.png", c["code"].as_str().unwrap())),
        );
        assert!(
            words.contains(title),
            "`{title}` not on the middle frame of {}: {words:?}",
            c["file"]
        );
    }

    // The show wrote it as it ended; rebuilt later from the logs alone it
    // is the same, byte for byte.
    assert_eq!(
        std::fs::read_to_string(dir.join("show-report/report.json")).unwrap(),
        text
    );
    let (ok, said) = report(&dir, &["chat.jsonl", "events.jsonl"], "again");
    assert!(ok, "{said}");
    assert_eq!(std::fs::read_to_string(dir.join("again/report.json")).unwrap(), text);
    for f in ["products.csv", "minutes.csv", "leads.csv"] {
        assert_eq!(
            std::fs::read(dir.join("again").join(f)).unwrap(),
            std::fs::read(dir.join("report").join(f)).unwrap(),
            "{f}"
        );
    }

    // A chat log cut off mid-line, with a garbage line: what is readable,
    // and the lines skipped named.
    let chat = std::fs::read_to_string(dir.join("chat.jsonl")).unwrap();
    let lines: Vec<&str> = chat.lines().collect();
    let mut broken = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i == 2 {
            broken += "{\"t\": \"message\", garbage\n";
        }
        broken += l;
        broken += "\n";
    }
    broken += &lines[lines.len() - 1][..20];
    std::fs::write(dir.join("broken.jsonl"), broken).unwrap();
    let (ok, said) = report_with(&dir, &["broken.jsonl", "events.jsonl"], "broken", &["--no-clips"]);
    assert!(ok, "{said}");
    assert!(said.contains("skipped broken.jsonl:3: not JSON"), "{said}");
    assert!(
        said.contains(&format!("skipped broken.jsonl:{}: cut off", lines.len() + 2)),
        "{said}"
    );
    let b: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("broken/report.json")).unwrap()).unwrap();
    assert_eq!(b["skipped"].as_array().unwrap().len(), 2, "{b}");
    assert_eq!(b["comments"], 7, "every message is still read: {b}");

    // Not a log at all: a clear error, non-zero.
    std::fs::write(dir.join("notes.txt"), "hello\n").unwrap();
    let (ok, said) = report(&dir, &["notes.txt"], "none");
    assert!(!ok);
    assert!(
        said.contains("notes.txt: neither a chat log nor an event log"),
        "{said}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
