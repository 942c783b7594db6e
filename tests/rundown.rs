//! The run of show end to end: `showroom run` on a show whose rundown (a
//! CSV file beside it) has four segments, each with its own scene, driven
//! by typed `next-segment`. nginx-rtmp receives both canvases; in what it
//! received, each segment's scene colour and card (read by tesseract) are
//! on air in order, at the times the event log gives; the snapshot has the
//! current and next segment and the time over plan. The second segment
//! starts a flash deal: its price and countdown are read off the received
//! frames, claims from chat in its window get its price within its cap and
//! per-buyer limit, and the card returns to the regular price by itself.
//! A comment auction is killed with SIGKILL mid-way and resumed: the same
//! bids, refusals and time left; a snipe extends it; the last bid wins and
//! becomes a claim; the leading bid and bidder are read off both canvases.

mod support;

use std::path::Path;
use std::process::Command as Process;
use std::time::Duration;
use support::*;

const SCENES: [(&str, (u8, u8, u8)); 4] = [
    ("open", (0xC0, 0x30, 0x30)),
    ("shirts", (0x30, 0xA0, 0x40)),
    ("mugs", (0x30, 0x50, 0xC0)),
    ("wrap", (0xB0, 0xB0, 0x30)),
];

fn show(rtmp: &str, bridge: u16) -> String {
    let mut s = String::from(
        "[show]\nname = \"Rundown e2e\"\n\n\
         [[canvases]]\nid = \"landscape\"\nwidth = 960\nheight = 544\nfps = 15\n\n\
         [[canvases]]\nid = \"portrait\"\nwidth = 544\nheight = 960\nfps = 15\n\n",
    );
    for (id, (r, g, b)) in SCENES {
        s += &format!(
            "[[sources]]\nid = \"{id}-bg\"\nkind = \"test-pattern\"\npattern = \"solid-color\"\ncolor = \"#{r:02X}{g:02X}{b:02X}\"\n\n\
             [[scenes]]\nid = \"{id}\"\n[[scenes.layers]]\nsource = \"{id}-bg\"\n\
             place.landscape = {{ x = 0, y = 0, width = 960, height = 544 }}\n\
             place.portrait = {{ x = 0, y = 0, width = 544, height = 960 }}\n\n"
        );
    }
    s += "[products]\ncatalog = \"catalog.csv\"\nlocale = \"en-US\"\n\n[rundown]\nfile = \"rundown.csv\"\n\n";
    s += &format!(
        "[chat]\nlog = \"chat.jsonl\"\n\n[[chat.sources]]\nplatform = \"bridge\"\nlisten = \"127.0.0.1:{bridge}\"\ntoken = {{ file = \"bridge.token\" }}\n\n"
    );
    for i in 0..2 {
        let canvas = ["landscape", "portrait"][i];
        s += &format!(
            "[[destinations]]\nid = \"{canvas}\"\nplatform = \"custom\"\ncanvas = \"{canvas}\"\nurl = \"{rtmp}\"\nkey = {{ file = \"{canvas}.key\" }}\n\n"
        );
    }
    s
}

const CATALOG: &str = "id,code,title,price,currency,stock\n\
linen-shirt,A1,Linen Shirt,39.00,USD,30\n\
mug,B2,Ceramic Mug,18.50,USD,40\n";

const RUNDOWN: &str = "title,products,scene,duration,talking_points,lower_third,lower_third_title,banner,deal_price,deal_for,deal_cap,deal_per_buyer\n\
Opening,,open,1m,Welcome | Tonight: shirts and mugs,Mia Chen,Host,,,,,\n\
Linen shirts,A1,shirts,1m,Breathable | Three colours,,,,29.00,4s,3,1\n\
Mugs,B2,mugs,1m,Hand-thrown,,,Free shipping tonight,,,,\n\
Wrap,,wrap,2s,Thanks,,,,,,,\n";

/// The words tesseract reads in a region of the frame at `at` seconds.
fn read_text(video: &Path, at: f64, crop: &str, out: &Path) -> String {
    let status = Process::new("ffmpeg")
        .args(["-v", "error", "-y", "-ss", &format!("{at}"), "-i"])
        .arg(video)
        .args([
            "-frames:v",
            "1",
            "-vf",
            &format!("crop={crop},scale=iw*2:ih*2:flags=lanczos"),
        ])
        .arg(out)
        .status()
        .expect("ffmpeg missing");
    assert!(status.success(), "no frame at {at} s of {}", video.display());
    let ocr = Process::new("tesseract")
        .arg(out)
        .arg("-")
        .output()
        .expect("tesseract missing");
    String::from_utf8_lossy(&ocr.stdout).into_owned()
}

fn near(a: (f64, f64, f64), b: (f64, f64, f64)) -> bool {
    (a.0 - b.0).abs() < 14.0 && (a.1 - b.1).abs() < 14.0 && (a.2 - b.2).abs() < 14.0
}

/// A show of this file's shape in a fresh folder: nginx, the bridge's port
/// and token, the show, catalog and rundown files, and the stream keys
/// given (file, key) written 0600.
fn set_up(name: &str, keys: &[(&str, &str)]) -> (std::path::PathBuf, Nginx, u16) {
    let dir = tempdir(name);
    let nginx = Nginx::start(&dir.join("nginx"));
    let rtmp = format!("rtmp://127.0.0.1:{}/live", nginx.rtmp_port);
    let bridge = free_port();
    write_token(&dir);
    std::fs::write(dir.join("show.toml"), show(&rtmp, bridge)).unwrap();
    std::fs::write(dir.join("catalog.csv"), CATALOG).unwrap();
    std::fs::write(dir.join("rundown.csv"), RUNDOWN).unwrap();
    for (file, key) in keys {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(dir.join(file), key).unwrap();
        std::fs::set_permissions(dir.join(file), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    (dir, nginx, bridge)
}

/// One comment through the bridge, as a platform would send it.
fn say(client: &reqwest::blocking::Client, bridge: u16, platform: &str, id: &str, who: &str, text: &str) {
    let msg = serde_json::json!([{"platform": platform, "id": id, "author": {"id": who, "name": who},
        "text": text, "at_ms": 1_764_230_400_000u64}]);
    let status = client
        .post(format!("http://127.0.0.1:{bridge}/v1/messages"))
        .bearer_auth(BRIDGE_TOKEN)
        .json(&msg)
        .timeout(Duration::from_secs(30))
        .send()
        .unwrap()
        .status();
    assert_eq!(status, 200, "the bridge took the message");
}

#[test]
fn next_puts_each_segments_scene_and_card_on_both_canvases_in_order() {
    let _heavy = heavy_lock();
    let (dir, nginx, bridge) = set_up(
        "rundown-e2e",
        &[("landscape.key", "rdLand-7q"), ("portrait.key", "rdPort-3m")],
    );
    let mut run = ShowRun::start(
        &dir,
        &[
            "run",
            "show.toml",
            "--duration",
            "120",
            "--events",
            "events.jsonl",
            "--stats-json",
            "stats.json",
        ],
        &[("XDG_STATE_HOME", dir.join("state").to_str().unwrap())],
    );
    run.line(|l| l.contains("fps") && l.starts_with('['));
    // Before the first segment: nothing to go back to.
    run.type_line("previous-segment");
    run.line(|l| l == "error: the rundown is at its first segment");
    run.type_line("segment Nope");
    run.line(|l| l.starts_with("error: segment: no segment titled \"Nope\""));
    let expect = [
        "segment 1/4 Opening 0:00 of 1:00 (next: Linen shirts)",
        "segment 2/4 Linen shirts 0:00 of 1:00 (next: Mugs)",
        "segment 3/4 Mugs 0:00 of 1:00 (next: Wrap)",
        "segment 4/4 Wrap 0:00 of 0:02",
    ];
    let client = reqwest::blocking::Client::new();
    let say = |platform: &str, id: &str, who: &str, text: &str| say(&client, bridge, platform, id, who, text);
    let claim = |id: &str, who: &str| say("tiktok", id, who, "SOLD A1");
    for (i, words) in expect.iter().enumerate() {
        std::thread::sleep(Duration::from_secs(3));
        run.type_line("next-segment");
        run.next_line(|l| l == "ok: next-segment");
        let said = run.next_line(|l| l.starts_with("segment ") || l.starts_with("error"));
        assert_eq!(said, *words, "{}", run.all_lines().join("\n"));
        if i == 1 {
            // In the deal's window (4 s, 3 units, 1 each): ana, bo and cy
            // get the deal's price; ana's second and eve's are over its limits.
            for (id, who) in [("c1", "ana"), ("c2", "bo"), ("c3", "ana"), ("c4", "cy"), ("c5", "eve")] {
                claim(id, who);
            }
            std::thread::sleep(Duration::from_secs(5));
            // After it: the regular price, no note.
            claim("c6", "dee");
        }
    }
    run.type_line("next-segment");
    run.line(|l| l == "error: the rundown is at its last segment (Wrap)");
    run.type_line("claims-csv claims.csv");
    run.line(|l| l.starts_with("ok: job") || l.contains("claims.csv"));
    // A giveaway: entries from three platforms, a repeat, a comment
    // without the keyword; drawn when the window is over.
    run.type_line("giveaway WIN 3s");
    run.next_line(|l| l == "ok: giveaway WIN 3s");
    for (i, (platform, who, text)) in [
        ("tiktok", "gianna", "WIN please"),
        ("youtube", "harold", "i want to win"),
        ("twitch", "ivanka", "win!"),
        ("tiktok", "gianna", "win win"),
        ("youtube", "jon", "nice mugs"),
        ("youtube", "gianna", "WIN"),
    ]
    .iter()
    .enumerate()
    {
        say(platform, &format!("g{i}"), who, text);
    }
    run.type_line("draw-giveaway 1");
    run.next_line(|l| l.starts_with("error: giveaway 1 takes entries for"));
    std::thread::sleep(Duration::from_secs(3));
    run.type_line("draw-giveaway 1");
    let won = run.next_line(|l| l.contains("giveaway 1: ") || l.starts_with("error"));
    assert!(won.ends_with(" wins"), "{won}");
    let winner = won
        .split("giveaway 1: ")
        .nth(1)
        .unwrap()
        .split(" on ")
        .next()
        .unwrap()
        .to_string();
    run.type_line("giveaway-csv 1 giveaway.csv");
    run.next_line(|l| l.contains("4 giveaway entries written"));
    std::thread::sleep(Duration::from_secs(2));
    std::thread::sleep(Duration::from_secs(4));
    run.type_line("quit");
    let status = run.child.wait().unwrap();
    let log = run.all_lines().join("\n");
    assert!(status.success(), "{log}");

    // The snapshot: on the last segment, over its 2 s plan.
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("stats.json")).unwrap()).unwrap();
    let r = &stats["rundown"];
    assert_eq!(r["segments"], 4, "{r}");
    assert_eq!(r["current"]["title"], "Wrap", "{r}");
    assert_eq!(r["current"]["talking_points"][0], "Thanks", "{r}");
    assert!(r["next"].is_null(), "{r}");
    let over = r["over_s"].as_f64().unwrap();
    let elapsed = r["elapsed_s"].as_f64().unwrap();
    assert!(over > 1.0 && (elapsed - over - 2.0).abs() < 1e-6, "{r}");

    // When each segment came on, on the show clock (= the stream's time).
    let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    let segments: Vec<serde_json::Value> = events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["event"] == "segment")
        .collect();
    assert_eq!(segments.len(), 4, "{events}");
    let starts: Vec<f64> = segments.iter().map(|e| e["t"].as_f64().unwrap()).collect();
    for (i, e) in segments.iter().enumerate() {
        assert_eq!(e["index"], i + 1, "{e}");
        assert_eq!(e["how"], "next", "{e}");
    }
    assert!(starts.windows(2).all(|w| w[1] - w[0] >= 2.5), "{starts:?}");
    let deal = events
        .lines()
        .find(|l| l.contains("\"event\":\"deal\""))
        .unwrap_or_else(|| panic!("no deal event:\n{events}"));
    let deal: serde_json::Value = serde_json::from_str(deal).unwrap();
    assert_eq!(
        (deal["product"].as_str(), deal["price"].as_str()),
        (Some("A1"), Some("29.00")),
        "{deal}"
    );
    let ended = events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["event"] == "deal_ended")
        .unwrap_or_else(|| panic!("the deal did not end by itself:\n{events}"));
    let deal_end = ended["t"].as_f64().unwrap();
    assert!(
        (deal_end - starts[1] - 4.0).abs() < 0.5,
        "deal ended at {deal_end}, segment 2 at {}",
        starts[1]
    );

    // The claims: which price applied and why.
    let csv = std::fs::read_to_string(dir.join("claims.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let got: Vec<(String, String, String)> = rows
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[5].to_string(), r[12].to_string(), r[16].to_string())
        })
        .collect();
    let want = [
        ("ana", "29.00", "flash deal 1"),
        ("bo", "29.00", "flash deal 1"),
        (
            "ana",
            "39.00",
            "regular price: flash deal 1 allows 1 per buyer at 29.00",
        ),
        ("cy", "29.00", "flash deal 1"),
        ("eve", "39.00", "regular price: flash deal 1 has 0 of 3 left at 29.00"),
        ("dee", "39.00", ""),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(got, want, "{csv}");

    let land = nginx.received("rdLand-7q");
    let port = nginx.received("rdPort-3m");
    let card_words = ["", "Linen Shirt", "Ceramic Mug", ""];
    for (i, (scene, (r, g, b))) in SCENES.iter().enumerate() {
        // Well inside the segment: after the card's 0.4 s slide.
        let at = starts[i] + 1.5;
        let want = bt709(*r, *g, *b);
        let f = grab_i420(&land, at, 960, 544);
        let got = yuv_at(&f, 960, 544, 480, 100);
        assert!(
            near(got, want),
            "landscape at {at:.1} s: {got:?}, want scene {scene} {want:?}"
        );
        let f = grab_i420(&port, at, 544, 960);
        let got = yuv_at(&f, 544, 960, 272, 12);
        assert!(
            near(got, want),
            "portrait at {at:.1} s: {got:?}, want scene {scene} {want:?}"
        );
        let land_card = read_text(&land, at, "384:300:576:240", &dir.join(format!("land-{i}.png")));
        let port_card = read_text(&port, at, "544:360:0:370", &dir.join(format!("port-{i}.png")));
        for (canvas, words) in [("landscape", &land_card), ("portrait", &port_card)] {
            if card_words[i].is_empty() {
                assert!(
                    !words.contains("Linen") && !words.contains("Mug"),
                    "segment {} has no product, yet the {canvas} card reads {words:?}",
                    i + 1
                );
            } else {
                assert!(
                    words.contains(card_words[i]) && words.contains("Comment SOLD"),
                    "segment {}: the {canvas} card reads {words:?} (see {})",
                    i + 1,
                    dir.display()
                );
            }
        }
    }
    // The opening's lower third, and the mugs' banner, on the landscape canvas.
    let lower = read_text(&land, starts[0] + 1.5, "420:140:30:340", &dir.join("lower.png"));
    assert!(lower.contains("Mia Chen"), "lower third reads {lower:?}");
    // The deal on the card: its price and countdown, then by itself the
    // regular price again.
    let words = read_text(&land, starts[1] + 1.5, "384:300:576:240", &dir.join("deal.png"));
    assert!(
        words.contains("$29.00") && words.contains("Deal ends in 0:0") && words.contains("left at this price"),
        "the deal's card reads {words:?}"
    );
    let words = read_text(&land, deal_end + 1.0, "384:300:576:240", &dir.join("after-deal.png"));
    assert!(
        words.contains("$39.00") && !words.contains("Deal ends"),
        "after the deal the card reads {words:?}"
    );
    let banner = read_text(&land, starts[2] + 1.5, "960:80:0:460", &dir.join("banner.png"));
    assert!(banner.contains("Free shipping"), "banner reads {banner:?}");
    let lower = read_text(&land, starts[2] + 1.5, "420:140:30:340", &dir.join("lower-after.png"));
    assert!(!lower.contains("Mia"), "the opening's lower third stayed up: {lower:?}");
    // The winner on screen, and the draw in the event log with its seed.
    let drawn: serde_json::Value = events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["event"] == "giveaway_winner")
        .unwrap_or_else(|| panic!("no giveaway_winner:\n{events}"));
    assert_eq!(
        (drawn["winner"].as_str(), drawn["eligible"].as_u64()),
        (Some(winner.as_str()), Some(4)),
        "{drawn}"
    );
    assert!(drawn["seed"].is_u64(), "{drawn}");
    let card_at = events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["event"] == "comment")
        .and_then(|e| e["t"].as_f64())
        .unwrap_or_else(|| panic!("the winner's card did not go up:\n{events}"));
    let words = read_text(&land, card_at + 1.0, "360:75:20:20", &dir.join("winner.png"));
    assert!(
        words.contains("wins the giveaway") && words.contains(winner.as_str()),
        "the winner's card reads {words:?}"
    );
    let entries = std::fs::read_to_string(dir.join("giveaway.csv")).unwrap();
    assert_eq!(entries.lines().count(), 5, "{entries}");
    for who in ["tiktok,gianna", "youtube,harold", "twitch,ivanka", "youtube,gianna"] {
        assert!(entries.contains(who), "{who} missing: {entries}");
    }
    assert!(
        !log.contains("rdLand-7q") && !events.contains("rdLand-7q"),
        "a key leaked"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `auction` status line's "M:SS left", in seconds.
fn left_s(status: &str) -> Option<u64> {
    let before = status.split(" left").next()?;
    let (m, s) = before.rsplit(", ").next()?.split_once(':')?;
    Some(m.parse::<u64>().ok()? * 60 + s.parse::<u64>().ok()?)
}

/// The chat log's records of one kind, in order.
fn records(log: &str, kind: &str) -> Vec<serde_json::Value> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|r| r["t"] == kind)
        .collect()
}

#[test]
fn an_auction_comes_back_after_kill_9_with_its_bids_and_time_left_and_sells_to_the_last_bid() {
    let _heavy = heavy_lock();
    let (dir, nginx, bridge) = set_up(
        "auction-e2e",
        &[("landscape.key", "auLand-5x"), ("portrait.key", "auPort-8k")],
    );
    let state = dir.join("state");
    let envs = [("XDG_STATE_HOME", state.to_str().unwrap())];
    let client = reqwest::blocking::Client::new();
    let mut n = 0;
    let mut say = |platform: &str, who: &str, text: &str| {
        n += 1;
        say(&client, bridge, platform, &format!("m{n}"), who, text);
    };
    let mut run = ShowRun::start(
        &dir,
        &["run", "show.toml", "--duration", "300", "--stats-json", "stats.json"],
        &envs,
    );
    run.line(|l| l.contains("fps") && l.starts_with('['));
    run.type_line("auction");
    run.next_line(|l| l.starts_with("error: no auction yet"));
    run.type_line("auction B2 0 30s");
    run.next_line(|l| l.starts_with("error: ") && l.contains("start price \"0\" must be more than zero"));
    // Carol says hello (message 1) and is blocked before the auction.
    say("tiktok", "carol", "hello!");
    // (The bridge acknowledges before the chat has decided: until then
    // message 1 is not there to block.)
    for _ in 0..100 {
        run.type_line("block-author 1");
        let l = run.next_line(|l| l.starts_with("ok: block-author") || l.starts_with("error: "));
        if l.starts_with("ok:") {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    run.type_line("auction B2 20 40s step 2 extend 30s");
    run.next_line(|l| l == "ok: auction B2 20 40s step 2 extend 30s");
    run.type_line("auction B2 20 30s");
    run.next_line(|l| l.contains("one auction at a time"));
    say("tiktok", "carol", "30");
    say("tiktok", "alice", "BID 20");
    say("youtube", "bob", "21");
    say("youtube", "bob", "$22");
    // Wait until the chat has all four (acknowledged ≠ decided).
    let before = loop {
        run.type_line("auction");
        let l = run.next_line(|l| l.starts_with("auction 1 "));
        if l.contains("2 bids, 2 refused") {
            break l;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        before.starts_with("auction 1 B2 open: 22.00 USD by bob on YouTube, 2 bids, 2 refused, 0 extensions, ")
            && before.ends_with("next at least 24.00"),
        "{before}"
    );
    let left_before = left_s(&before).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    run.child.kill().unwrap(); // SIGKILL: nothing gets to close the log
    run.child.wait().unwrap();

    // kill -9; a minute later the crew types `showroom resume`.
    let chat_log = dir.join("chat.jsonl");
    let logged = std::fs::read_to_string(&chat_log).unwrap();
    let last_left = logged
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|r| match r["t"].as_str() {
            Some("auction_clock") => r["left_ms"].as_u64(),
            Some("bid") => Some(r["ends_ms"].as_u64()? - r["bid"]["at_ms"].as_u64()?),
            _ => None,
        })
        .next_back()
        .unwrap_or_else(|| panic!("no auction clock in the chat log:\n{logged}"));
    let mut run = ShowRun::start(&dir, &["resume"], &envs);
    let events_path = run.line(|l| l.starts_with("event log: "))["event log: ".len()..].to_string();
    run.line(|l| l.contains("fps") && l.starts_with('['));
    let logged = std::fs::read_to_string(&chat_log).unwrap();
    let resumed = records(&logged, "auction_resume");
    assert_eq!(resumed.len(), 1, "{logged}");
    let resume_left = resumed[0]["ends_ms"].as_u64().unwrap() - resumed[0]["at_ms"].as_u64().unwrap();
    assert_eq!(resume_left, last_left, "the clock stood still while the show was down");
    assert!(
        resume_left <= left_before * 1000 && resume_left > 0,
        "{resume_left} ms left, {left_before} s before the kill"
    );
    // The same bids, the same refusals.
    run.type_line("auction");
    let back = run.next_line(|l| l.starts_with("auction 1 "));
    assert!(
        back.starts_with("auction 1 B2 open: 22.00 USD by bob on YouTube, 2 bids, 2 refused, 0 extensions, "),
        "{back}"
    );
    assert!(left_s(&back).unwrap() <= resume_left.div_ceil(1000), "{back}");
    // Under the step; then a snipe: with under 30 s left, dave's bid puts
    // the end 30 s after it.
    say("tiktok", "eve", "23");
    loop {
        run.type_line("auction");
        let l = run.next_line(|l| l.starts_with("auction 1 "));
        assert!(l.contains(" open: "), "{l}");
        if l.contains("3 refused") && left_s(&l).is_some_and(|s| s <= 28) {
            say("tiktok", "dave", "bid 25");
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let after = loop {
        run.type_line("auction");
        let l = run.next_line(|l| l.starts_with("auction 1 "));
        if l.contains("3 bids") {
            break l;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        after.starts_with("auction 1 B2 open: 25.00 USD by dave on TikTok, 3 bids, 3 refused, 1 extensions, "),
        "{after}"
    );
    // The end, by itself.
    let ended = loop {
        run.type_line("auction");
        let l = run.next_line(|l| l.starts_with("auction 1 "));
        if l.contains(" ended: ") {
            break l;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(
        ended,
        "auction 1 B2 ended: 25.00 USD by dave on TikTok, 3 bids, 3 refused, 1 extensions, claim 1"
    );
    // After the end: refused, with why, in the moderator's queue.
    say("youtube", "finn", "40");
    loop {
        run.type_line("auction");
        if run.next_line(|l| l.starts_with("auction 1 ")).contains("4 refused") {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    run.type_line("claims-csv claims.csv");
    run.next_line(|l| l.contains("claims.csv") && (l.starts_with("ok: job") || l.starts_with("error")));
    std::thread::sleep(Duration::from_secs(1));
    run.type_line("quit");
    let status = run.child.wait().unwrap();
    let out = run.all_lines().join("\n");
    assert!(status.success(), "{out}");

    // The chat log: exactly these bids and refusals, one extension.
    let logged = std::fs::read_to_string(&chat_log).unwrap();
    let bids: Vec<(String, String)> = records(&logged, "bid")
        .iter()
        .map(|b| {
            (
                b["bid"]["name"].as_str().unwrap().into(),
                b["bid"]["amount"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [("alice", "20.00"), ("bob", "22.00"), ("dave", "25.00")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(bids, want, "{logged}");
    let refused: Vec<(String, String)> = records(&logged, "bid_refused")
        .iter()
        .map(|r| {
            (
                r["refused"]["name"].as_str().unwrap().into(),
                r["refused"]["why"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(refused.len(), 4, "{refused:?}");
    assert_eq!(refused[0], ("carol".into(), "blocked user".into()));
    assert_eq!(
        refused[1],
        (
            "bob".into(),
            "under the step: the leading bid is 20.00, the next is at least 22.00".into()
        )
    );
    assert_eq!(
        refused[2],
        (
            "eve".into(),
            "under the step: the leading bid is 22.00, the next is at least 24.00".into()
        )
    );
    assert!(
        refused[3].0 == "finn" && refused[3].1.starts_with("auction 1 ended "),
        "{refused:?}"
    );
    let snipe = records(&logged, "bid").pop().unwrap();
    assert_eq!(
        snipe["ends_ms"].as_u64().unwrap() - snipe["bid"]["at_ms"].as_u64().unwrap(),
        30_000,
        "the snipe put the end 30 s after it"
    );
    // The winner's claim: one unit at the winning bid, and why.
    let csv = std::fs::read_to_string(dir.join("claims.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let got: Vec<(String, String, String, String)> = rows
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[5].to_string(), r[6].to_string(), r[12].to_string(), r[16].to_string())
        })
        .collect();
    assert_eq!(got.len(), 1, "{csv}");
    assert_eq!(got[0].0, "dave", "{csv}");
    assert_eq!(
        (got[0].2.as_str(), got[0].3.as_str()),
        ("25.00", "auction 1: winning bid"),
        "{csv}"
    );
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("stats.json")).unwrap()).unwrap();
    let a = &stats["auction"];
    assert_eq!(
        (
            a["state"].as_str(),
            a["price"].as_str(),
            a["leader"].as_str(),
            a["claim"].as_u64()
        ),
        (Some("ended"), Some("25.00"), Some("dave"), Some(1)),
        "{a}"
    );
    assert_eq!(a["recent_refused"].as_array().unwrap().len(), 4, "{a}");

    // On air after the restart: the leading bid and bidder on both canvases.
    let events = std::fs::read_to_string(&events_path).unwrap();
    let dave_at = events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["event"] == "bid" && e["bidder"] == "dave")
        .and_then(|e| e["t"].as_f64())
        .unwrap_or_else(|| panic!("no bid event for dave:\n{events}"));
    let resumed_at = events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["event"] == "auction_resumed");
    assert!(resumed_at.is_some(), "no auction_resumed event:\n{events}");
    let land = nginx.received("auLand-5x");
    let port = nginx.received("auPort-8k");
    let at = dave_at + 1.5;
    // Tight crops around the card: tesseract drops the pink price on a
    // wider one.
    let land_card = read_text(&land, at, "360:130:576:390", &dir.join("auction-land.png"));
    let port_card = read_text(&port, at, "500:130:22:603", &dir.join("auction-port.png"));
    for (canvas, words) in [("landscape", &land_card), ("portrait", &port_card)] {
        assert!(
            words.contains("Ceramic Mug")
                && words.contains("$25.00")
                && words.contains("dave leads")
                && words.contains("Comment your bid"),
            "the {canvas} card at {at:.1} s reads {words:?} (see {})",
            dir.display()
        );
    }
    let all = format!("{out}\n{logged}\n{events}");
    assert!(!all.contains("auLand-5x") && !all.contains("auPort-8k"), "a key leaked");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_rehearsal_sends_nothing_yet_records_the_whole_show_marked_rehearsal() {
    let _heavy = heavy_lock();
    // One key present, one missing: a rehearsal reads neither.
    let (dir, nginx, bridge) = set_up("rehearsal-e2e", &[("landscape.key", "rhLand-2w")]);
    let mut run = ShowRun::start(
        &dir,
        &[
            "run",
            "show.toml",
            "--rehearsal",
            "--console=127.0.0.1:0",
            "--duration",
            "300",
            "--record",
            "rec-{canvas}.mkv",
            "--events",
            "events.jsonl",
            "--stats-json",
            "stats.json",
        ],
        &[("XDG_STATE_HOME", dir.join("state").to_str().unwrap())],
    );
    run.line(|l| l.starts_with("REHEARSAL: nothing is sent"));
    let status = run.line(|l| l.contains("fps") && l.starts_with('['));
    assert!(status.contains("REHEARSAL"), "{status}");
    run.type_line("next-segment");
    run.next_line(|l| l.starts_with("segment 1/4 Opening"));
    run.type_line("feature B2");
    run.next_line(|l| l == "ok: feature B2");
    std::thread::sleep(Duration::from_secs(4));

    // The crew console in Chromium (tests/console/rehearsal.py): the
    // producer's and host's tally say REHEARSAL, the pre-flight check names
    // the missing portrait key, an auction runs from the producer's form.
    let mut links = serde_json::Map::new();
    for (role, name) in [("producer", "Pat"), ("host", "Hal")] {
        links.insert(role.into(), invite(&mut run, role, name).1.into());
    }
    let shots = dir.join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let cfg = serde_json::json!({
        "links": links,
        "bridge": format!("http://127.0.0.1:{bridge}/v1/messages"),
        "bridge_token": BRIDGE_TOKEN,
        "out": shots,
    });
    browser_steps("tests/console/rehearsal.py", &cfg);
    let text = page_ocr(&shots.join("producer-rehearsal.png"));
    for words in ["REHEARSAL", "Pre-flight check", "key of portrait"] {
        assert!(
            text.contains(words),
            "the producer's page: `{words}` not read in:\n{text}"
        );
    }
    run.type_line("quit");
    let code = run.child.wait().unwrap();
    let out = run.all_lines().join("\n");
    assert!(code.success(), "a rehearsal ends cleanly:\n{out}");
    for (_, l) in &links {
        let token = l.as_str().unwrap().split('#').nth(1).unwrap();
        assert!(!out.contains(token), "an invite token is in the output");
    }

    // Nothing reached the ingest server: no publish was asked for.
    assert!(nginx.auth.requests.lock().unwrap().is_empty(), "nginx saw a publish");
    assert!(
        std::fs::read_dir(&nginx.record_dir).unwrap().next().is_none(),
        "nginx recorded something"
    );
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("stats.json")).unwrap()).unwrap();
    assert_eq!(stats["rehearsal"], true, "{stats}");
    for d in stats["destinations"].as_array().unwrap() {
        assert_eq!(d["state"], "stopped", "{d}");
        assert!(
            d["bytes_sent"].as_u64().unwrap() > 10_000 && d["video_frames"].as_u64().unwrap() > 30,
            "the local sink took the stream: {d}"
        );
        assert_eq!(d["ever_live"], false, "{d}");
    }
    // The console's auction: Ann's 12.00 won (Bob's 11 was under it).
    let a = &stats["auction"];
    assert_eq!(
        (
            a["state"].as_str(),
            a["price"].as_str(),
            a["leader"].as_str(),
            a["bids"].as_u64(),
            a["refused"].as_u64()
        ),
        (Some("ended"), Some("12.00"), Some("@ann"), Some(1), Some(1)),
        "{a}"
    );
    assert!(a["claim"].as_u64().is_some(), "the winning bid became a claim: {a}");
    // The recordings have the show: the rundown's scene, the card, and the
    // REHEARSAL mark on both canvases.
    let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    let featured = events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["event"] == "feature" && e["product"] == "B2")
        .and_then(|e| e["t"].as_f64())
        .unwrap_or_else(|| panic!("no feature event:\n{events}"));
    let at = featured + 1.5;
    let land = dir.join("rec-landscape.mkv");
    let port = dir.join("rec-portrait.mkv");
    let want = bt709(0xC0, 0x30, 0x30);
    let f = grab_i420(&land, at, 960, 544);
    assert!(near(yuv_at(&f, 960, 544, 480, 200), want), "the opening's scene");
    let card = read_text(&land, at, "384:300:576:240", &dir.join("rh-card.png"));
    assert!(card.contains("Ceramic Mug"), "the card reads {card:?}");
    for (canvas, file, crop) in [
        ("landscape", &land, "384:60:288:0"),
        ("portrait", &port, "218:60:163:0"),
    ] {
        let words = read_text(file, at, crop, &dir.join(format!("rh-mark-{canvas}.png")));
        assert!(
            words.contains("REHEARSAL"),
            "the {canvas} recording's mark reads {words:?}"
        );
    }
    assert!(!out.contains("rhLand-2w"), "a key leaked");
    let _ = std::fs::remove_dir_all(&dir);
}
