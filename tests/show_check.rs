//! `showroom check` on broken show files: every problem is reported as
//! FILE:LINE:COL: what — how to fix, the exit code is non-zero, nothing panics.

mod support;

use std::process::Command;

/// (line, col, words the message must contain)
type Expect = (usize, usize, &'static str);

/// (file, every problem it has)
const CASES: &[(&str, &[Expect])] = &[
    ("01-syntax", &[(19, 16, "TOML syntax error")]),
    (
        "02-unknown-key",
        &[(6, 1, "unknown key `widht` in [[canvases]] — did you mean `width`?")],
    ),
    (
        "03-unknown-section",
        &[(28, 3, "unknown section `sourcs` — did you mean `sources`?")],
    ),
    (
        "04-missing-source",
        &[(25, 10, "no source with id `camm` — did you mean `cam`?")],
    ),
    (
        "05-instagram-rtmp",
        &[(32, 7, "Instagram Live only accepts RTMPS — use rtmps://")],
    ),
    (
        "06-key-in-file",
        &[(
            33,
            7,
            "a stream key is written in the show file — never put keys in show files",
        )],
    ),
    (
        "07-tiktok-landscape",
        &[(31, 10, "TikTok LIVE takes a portrait (vertical) picture")],
    ),
    (
        "08-fps-too-high",
        &[(31, 10, "TikTok LIVE takes at most 30 fps, canvas `portrait` runs at 60")],
    ),
    (
        "09-odd-width",
        &[(6, 9, "width 1366 is not usable — use a multiple of 8")],
    ),
    (
        "10-unknown-kind",
        &[(
            18,
            8,
            "unknown value \"tset-pattern\" in [[sources]] — did you mean `test-pattern`?",
        )],
    ),
    ("11-duplicate-id", &[(22, 6, "source id `cam` is used twice")]),
    (
        "12-unknown-canvas",
        &[(29, 10, "no canvas with id `portrat` — did you mean `portrait`?")],
    ),
    ("13-missing-image", &[(24, 8, "no-such-logo.png not found")]),
    (
        "14-wrong-type",
        &[(7, 10, "invalid type: string \"720\", expected u32")],
    ),
    (
        "15-unknown-platform",
        &[(
            30,
            12,
            "unknown value \"tiktokk\" in [[destinations]] — did you mean `tiktok`?",
        )],
    ),
    ("16-bad-url", &[(32, 7, "scheme `http://` is not supported")]),
    (
        "17-many-problems",
        &[
            (8, 7, "fps 0 is out of range"),
            (19, 11, "unknown pattern \"bal\" — did you mean `ball`?"),
            (32, 7, "Facebook Live only accepts RTMPS"),
            (33, 7, "unknown key reference `envv` — did you mean `env`?"),
        ],
    ),
    (
        "18-unknown-format",
        &[(
            9,
            10,
            "unknown pixel format \"nv21\" — use one of i420, nv12, yuy2, uyvy, rgba, bgra",
        )],
    ),
    (
        "19-products",
        &[
            (19, 10, "[products] locale \"en_US!\" is not a language tag like en-US"),
            (20, 11, "[products] refresh \"soon\" is not a duration"),
            (21, 12, "no-such-template.toml: No such file"),
            (24, 6, "cue: `at = \"3 sec\"` is not a time — write it like \"3s\""),
            (29, 11, "cue: no product with code or id `A2` — did you mean `A1`?"),
            (33, 8, "cue: cannot hide \"card\""),
            (36, 6, "cue: more than one action"),
        ],
    ),
    (
        "20-chat",
        &[
            (18, 12, "[chat] keywords is empty"),
            (
                21,
                12,
                "unknown platform `tiktokk` — TikTok LIVE and Amazon Live have no public chat API",
            ),
            (
                26,
                11,
                "api_key: a token is written in the show file — never put tokens in show files",
            ),
            (28, 1, "(facebook): `live_video_id` is missing"),
            (34, 10, "listen \"localhost\" is not an address:port"),
            (39, 7, "url \"http://irc.example\" must start with wss:// or ws://"),
            (
                44,
                10,
                "listening on 0.0.0.0:8765 without a token lets anyone on the network post chat",
            ),
        ],
    ),
];

#[test]
fn every_broken_show_gets_located_messages() {
    let root = env!("CARGO_MANIFEST_DIR");
    for (name, expected) in CASES {
        let file = format!("tests/shows/broken/{name}.toml");
        let out = Command::new(support::showroom_bin())
            .args(["check", &file])
            .current_dir(root)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: exit code; output:\n{stderr}");
        assert!(!stderr.contains("panicked"), "{name} panicked:\n{stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with(&file)).collect();
        assert_eq!(
            lines.len(),
            expected.len(),
            "{name}: expected {} problem(s), got:\n{stderr}",
            expected.len()
        );
        for (line, col, words) in expected.iter() {
            let prefix = format!("{file}:{line}:{col}: ");
            let found = lines
                .iter()
                .any(|l| l.starts_with(&prefix) && l.contains(words) && l.contains(" — "));
            assert!(found, "{name}: no line `{prefix}…{words}…` in:\n{stderr}");
        }
    }
}

#[test]
fn the_demo_show_is_valid() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(support::showroom_bin())
        .args(["check", "assets/demo/show.toml"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("OK — \"Showroom demo\": 2 canvas(es)"));
}

#[test]
fn a_missing_file_is_an_error_not_a_panic() {
    let out = Command::new(support::showroom_bin())
        .args(["check", "/nonexistent/show.toml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("/nonexistent/show.toml:1:1: cannot read the show file"),
        "{stderr}"
    );
}

#[test]
fn the_documented_example_is_valid() {
    let root = env!("CARGO_MANIFEST_DIR");
    let doc = std::fs::read_to_string(format!("{root}/docs/show-format.md")).unwrap();
    let start = doc.find("```toml\n").expect("example block") + 8;
    let end = start + doc[start..].find("```").unwrap();
    let dir = support::tempdir("doc-example");
    std::fs::write(dir.join("show.toml"), &doc[start..end]).unwrap();
    // The files the example names (check only needs them to exist).
    std::fs::write(dir.join("teaser.mp4"), b"").unwrap();
    std::fs::write(dir.join("logo.png"), b"").unwrap();
    std::fs::copy(format!("{root}/assets/demo/catalog.csv"), dir.join("catalog.csv")).unwrap();
    let out = Command::new(support::showroom_bin())
        .arg("check")
        .arg(dir.join("show.toml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}
