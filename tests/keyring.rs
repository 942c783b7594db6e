//! Stream keys in the OS keyring: a real Secret Service (gnome-keyring on a
//! private D-Bus session bus) stores a key with `showroom key set`; a show
//! that references it goes live with that key; a missing entry and an
//! unreachable keyring are explained. The key never appears in output.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use support::*;

fn showroom(ss: &SecretService, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(showroom_bin())
        .args(args)
        .envs(ss.env.iter().cloned())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn show(dir: &Path, rtmp_port: u16, entry: &str) -> String {
    let text = format!(
        r#"
[[canvases]]
id = "main"
width = 640
height = 360

[[sources]]
id = "bars"
kind = "test-pattern"
width = 640
height = 360

[[scenes]]
id = "s"

[[scenes.layers]]
source = "bars"
place.main = {{ x = 0, y = 0, width = 640, height = 360 }}

[[destinations]]
id = "shop"
platform = "custom"
canvas = "main"
url = "rtmp://127.0.0.1:{rtmp_port}/live"
key = {{ keyring = "{entry}" }}
"#
    );
    let path = dir.join(format!("{entry}.toml"));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn keys_from_the_os_keyring_go_live_and_failures_are_explained() {
    let _heavy = heavy_lock();
    let dir = tempdir("keyring");
    let nginx = Nginx::start(&dir.join("nginx"));
    let svc = SecretService::start(&dir.join("session"));
    let key = "kr-live-5Qz8Lm2";

    let out = showroom(&svc, &["key", "set", "shop-main"], Some(&format!("{key}\n")));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("stored the stream key `shop-main`") && !text.contains(key),
        "{text}"
    );

    let good = show(&dir, nginx.rtmp_port, "shop-main");
    let out = showroom(&svc, &["run", &good, "--duration", "3"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains(key), "key in output:\n{stderr}");
    let received = nginx.received(key);
    assert!(received.exists(), "nginx got no stream under the keyring's key");
    assert_eq!(stream_facts(&received).video_codec, "h264");

    let missing = show(&dir, nginx.rtmp_port, "not-stored");
    let out = showroom(&svc, &["run", &missing, "--duration", "2"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(
            "no stream key is stored in the OS keyring under `not-stored` — run `showroom key set not-stored`"
        ),
        "{stderr}"
    );

    let out = showroom(&svc, &["key", "delete", "shop-main"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // No Secret Service at all: say so and name the fallbacks.
    let out = Command::new(showroom_bin())
        .args(["run", &good, "--duration", "2"])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}/no-bus", dir.display()),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("the OS keyring is not reachable") && stderr.contains("key = { env = \"NAME\" }"),
        "{stderr}"
    );
    drop(svc);
    drop(nginx);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A listener's own token (the chat bridge's): made once and kept — in a
/// private file while no keyring is reachable, moved unchanged into the
/// keyring once one is — and printed only when asked for.
#[test]
fn a_listeners_token_is_made_once_and_kept() {
    let dir = tempdir("keyring-token");
    let state = dir.join("state");
    let no_keyring = |args: &[&str]| {
        Command::new(showroom_bin())
            .args(args)
            .env("XDG_STATE_HOME", &state)
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}/no-bus", dir.display()),
            )
            .output()
            .unwrap()
    };
    let out = no_keyring(&["key", "token", "bridge-test-bridge"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let first = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(first.len(), 64, "32 random bytes as hex: {first}");
    let file = state.join("showroom/tokens/bridge-test-bridge");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let again = no_keyring(&["key", "token", "bridge-test-bridge"]);
    assert_eq!(
        String::from_utf8_lossy(&again.stdout).trim(),
        first,
        "the same token each time"
    );

    // A keyring appears: the token moves into it, unchanged.
    let ss = SecretService::start(&dir.join("ss"));
    let moved = Command::new(showroom_bin())
        .args(["key", "token", "bridge-test-bridge"])
        .env("XDG_STATE_HOME", &state)
        .envs(ss.env.iter().cloned())
        .output()
        .unwrap();
    assert!(moved.status.success(), "{}", String::from_utf8_lossy(&moved.stderr));
    assert_eq!(String::from_utf8_lossy(&moved.stdout).trim(), first);
    assert!(!file.exists(), "the file is gone once the keyring holds it");
    let from_keyring = showroom(&ss, &["key", "token", "bridge-test-bridge"], None);
    assert_eq!(String::from_utf8_lossy(&from_keyring.stdout).trim(), first);
    drop(ss);
    let _ = std::fs::remove_dir_all(&dir);
}
