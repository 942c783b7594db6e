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
        ],
    ),
    (
        "21-rundown",
        &[
            (
                21,
                1,
                "[rundown] segment 1 (\"Opening\"): no scene `hots` — did you mean `host`?",
            ),
            (
                25,
                1,
                "segment 2 (\"Shirts\"): no product with code or id `A2` — did you mean `A1`?",
            ),
            (29, 1, "segment 3 (\"Deal\"): duration \"soon\" is not a length"),
            (
                34,
                1,
                "segment 4 (\"Deal without chat\"): a flash deal prices the claims made in chat",
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

/// `showroom check` with a private keyring and environment.
fn check_in(dir: &std::path::Path, env: &[(String, String)]) -> (bool, String) {
    let out = Command::new(support::showroom_bin())
        .arg("check")
        .arg(dir.join("show.toml"))
        .env_remove("AMAZON_KEY")
        .envs(env.iter().cloned())
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).to_string())
}

fn private(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// The example in docs/show-format.md passes `check` once what it names is
/// there: its pictures, its key file, its variable, its keyring entries.
/// Each missing piece is a located problem.
#[test]
fn the_documented_example_is_valid() {
    let root = env!("CARGO_MANIFEST_DIR");
    let doc = std::fs::read_to_string(format!("{root}/docs/show-format.md")).unwrap();
    let start = doc.find("```toml\n").expect("example block") + 8;
    let end = start + doc[start..].find("```").unwrap();
    let dir = support::tempdir("doc-example");
    std::fs::write(dir.join("show.toml"), &doc[start..end]).unwrap();
    let line_of = |needle: &str| doc[start..end].lines().position(|l| l.contains(needle)).unwrap() + 1;
    std::fs::write(dir.join("teaser.mp4"), b"").unwrap();
    std::fs::copy(format!("{root}/assets/demo/badge.png"), dir.join("logo.png")).unwrap();
    for f in ["catalog.csv", "linen-shirt.png", "mug.png", "sneakers.png"] {
        std::fs::copy(format!("{root}/assets/demo/{f}"), dir.join(f)).unwrap();
    }
    let ss = support::SecretService::start(&dir.join("keyring"));
    let file = dir.join("show.toml").display().to_string();

    // Nothing set up yet: every key is a located problem, never a value.
    let (ok, stderr) = check_in(&dir, &ss.env);
    assert!(!ok, "{stderr}");
    for (needle, words) in [
        (
            "keyring = \"tiktok\"",
            "no stream key is stored in the OS keyring under `tiktok`",
        ),
        ("keys/instagram.key", "cannot read the stream key file"),
        ("AMAZON_KEY", "the stream key variable AMAZON_KEY is not set"),
        ("ssn-session", "under `ssn-session`"),
        ("youtube-key", "under `youtube-key`"),
    ] {
        let at = format!("{file}:{}:", line_of(needle));
        assert!(
            stderr.lines().any(|l| l.starts_with(&at) && l.contains(words)),
            "no `{at} … {words}` in:\n{stderr}"
        );
    }
    // A key file others can read would be refused on air: check says so.
    private(&dir.join("keys/instagram.key"), "ig-secret-1");
    std::fs::set_permissions(
        dir.join("keys/instagram.key"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    let (_, stderr) = check_in(&dir, &ss.env);
    assert!(
        stderr.contains("can be read by other users — run chmod 600"),
        "{stderr}"
    );
    private(&dir.join("keys/instagram.key"), "ig-secret-1");

    for name in ["tiktok", "ssn-session", "youtube-key"] {
        let mut child = Command::new(support::showroom_bin())
            .args(["key", "set", name])
            .envs(ss.env.iter().cloned())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        use std::io::Write;
        writeln!(child.stdin.take().unwrap(), "secret-{name}-123").unwrap();
        assert!(child.wait().unwrap().success());
    }
    let mut env = ss.env.clone();
    env.push(("AMAZON_KEY".into(), "amazon-secret-1".into()));
    let (ok, stderr) = check_in(&dir, &env);
    assert!(ok, "{stderr}");
    for secret in ["ig-secret-1", "amazon-secret-1", "secret-tiktok-123"] {
        assert!(!stderr.contains(secret));
    }
    drop(ss);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Each way a show that `check` used to accept failed on air is now a
/// located problem — and a long show name is simply handled.
#[test]
fn check_names_what_would_fail_on_air() {
    let dir = support::tempdir("check-truth");
    let show = dir.join("show.toml");
    let check = |extra: &str, catalog: Option<&str>| {
        std::fs::write(&show, format!("{}{extra}", support::small_show("Truth"))).unwrap();
        if let Some(c) = catalog {
            std::fs::write(dir.join("catalog.csv"), c).unwrap();
        }
        let out = Command::new(support::showroom_bin())
            .arg("check")
            .arg(&show)
            .env_remove("SHOWROOM_UNSET_KEY")
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let file = show.display().to_string();
    let dest = |key: &str| {
        format!(
            "\n[[destinations]]\nid = \"shop\"\nplatform = \"custom\"\ncanvas = \"main\"\nurl = \"rtmp://127.0.0.1:1935/live\"\nkey = {key}\n"
        )
    };
    // Where the appended tables' lines fall.
    let base = support::small_show("Truth").lines().count();
    let (key_line, path_line) = (base + 7, base + 4);
    let open_key = dir.join("open.key");
    std::fs::write(&open_key, "k-open-1234").unwrap();
    std::fs::set_permissions(&open_key, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let cases: Vec<(String, Option<&str>, String)> = vec![
        (
            dest("{ file = \"open.key\" }"),
            None,
            format!("{file}:{key_line}:7: destination `shop`: the stream key file"),
        ),
        (
            dest("{ env = \"SHOWROOM_UNSET_KEY\" }"),
            None,
            format!("{file}:{key_line}:7: destination `shop`: the stream key variable SHOWROOM_UNSET_KEY is not set"),
        ),
        (
            dest("{ file = \"missing.key\" }"),
            None,
            format!("{file}:{key_line}:7: destination `shop`: cannot read the stream key file"),
        ),
        (
            "\n[[recordings]]\ncanvas = \"main\"\npath = \"/dev/null/show.mkv\"\n".into(),
            None,
            format!("{file}:{path_line}:8: recording: /dev/null is not a folder"),
        ),
        (
            format!(
                "\n[[recordings]]\ncanvas = \"main\"\npath = \"{}.mkv\"\n",
                "録".repeat(90)
            ),
            None,
            format!("{file}:{path_line}:8: recording: the name"),
        ),
        (
            "\n[products]\ncatalog = \"catalog.csv\"\n".into(),
            Some(
                "id,code,title,price,currency,image\nmug,A1,Mug,5,ZZZ,\ncup,B2,Cup,5,USD,nope.png\nbag,C3,Bag,5,USD,show.toml\nhat,D4,Hat,-5,USD,\n",
            ),
            "catalog.csv:2:5: product `mug`: currency \"ZZZ\" is not an ISO 4217 code".into(),
        ),
    ];
    for (extra, catalog, want) in &cases {
        let (code, stderr) = check(extra, *catalog);
        assert_eq!(code, Some(1), "{want}\n{stderr}");
        assert!(stderr.contains(want.as_str()), "no `{want}` in:\n{stderr}");
        assert!(!stderr.contains("k-open-1234"));
    }
    // Every catalog row problem with its row and column.
    let (_, stderr) = check(&cases[5].0, cases[5].1);
    for want in [
        "catalog.csv:3:6: product `cup`: picture",
        "nope.png: No such file",
        "catalog.csv:4:6: product `bag`: picture",
        "is not a PNG, JPEG or WebP picture",
        "catalog.csv:5:4: product `hat`: price \"-5\" is negative",
    ] {
        assert!(stderr.contains(want), "no `{want}` in:\n{stderr}");
    }
    // ... even when the show has another problem.
    let (code, stderr) = check(
        &format!("{}\n[[cues]]\nat = \"1s\"\nfeature = \"Z9\"\n", cases[5].0),
        cases[5].1,
    );
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("catalog.csv:5:4: product `hat`: price \"-5\" is negative"),
        "{stderr}"
    );
    assert!(stderr.contains("cue: no product"), "{stderr}");

    // A show name of 80 CJK characters: check accepts it, and run writes
    // its files (event log, chat log) under names the file system takes.
    let long = "直播".repeat(40);
    std::fs::write(&show, support::small_show(&long)).unwrap();
    let out = Command::new(support::showroom_bin())
        .arg("check")
        .arg(&show)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(support::showroom_bin())
        .args(["run", "show.toml", "--duration", "1"])
        .current_dir(&dir)
        .env("XDG_STATE_HOME", dir.join("state"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let events: Vec<_> = std::fs::read_dir(dir.join("state/showroom/events")).unwrap().collect();
    assert_eq!(events.len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
