//! Stream keys in the OS keyring: a real Secret Service (gnome-keyring on a
//! private D-Bus session bus) stores a key with `showroom key set`; a show
//! that references it goes live with that key; a missing entry and an
//! unreachable keyring are explained. The key never appears in output.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::*;

/// A private session bus with gnome-keyring's Secret Service on it.
struct SecretService {
    env: Vec<(String, String)>,
    dbus: Child,
    keyring: Child,
}

impl SecretService {
    fn start(dir: &Path) -> SecretService {
        let runtime = dir.join("runtime");
        std::fs::create_dir_all(&runtime).unwrap();
        std::fs::set_permissions(&runtime, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        let socket = dir.join("bus");
        let address = format!("unix:path={}", socket.display());
        // A session bus without service activation: otherwise our readiness
        // probe would make dbus-daemon start a second, locked gnome-keyring.
        let config = dir.join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{address}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#
            ),
        )
        .unwrap();
        let dbus = Command::new("dbus-daemon")
            .args([
                "--nofork",
                "--nopidfile",
                &format!("--config-file={}", config.display()),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon missing: apt-get install dbus-daemon");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "dbus-daemon did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        let env = vec![
            ("DBUS_SESSION_BUS_ADDRESS".to_string(), address),
            ("HOME".to_string(), dir.display().to_string()),
            ("XDG_DATA_HOME".to_string(), dir.join("data").display().to_string()),
            ("XDG_RUNTIME_DIR".to_string(), runtime.display().to_string()),
        ];
        let log = dir.join("gnome-keyring.log");
        let start_keyring = || {
            let mut child = Command::new("gnome-keyring-daemon")
                .args(["--foreground", "--unlock", "--components=secrets"])
                .envs(env.iter().cloned())
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .expect("gnome-keyring-daemon missing: apt-get install gnome-keyring");
            // The login keyring's password, then EOF: it is created unlocked.
            child.stdin.take().unwrap().write_all(b"showroom-test").unwrap();
            child
        };
        let ready = |env: &[(String, String)]| {
            // Ready when the default collection exists and is unlocked.
            Command::new("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.secrets",
                    "/org/freedesktop/secrets/aliases/default",
                    "org.freedesktop.DBus.Properties.Get",
                    "string:org.freedesktop.Secret.Collection",
                    "string:Locked",
                ])
                .envs(env.iter().cloned())
                .output()
                .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("boolean false"))
        };
        let mut keyring = start_keyring();
        // If it does not come up (it exits when the name is taken), start it
        // again, as a session manager would.
        for attempt in 1..=3 {
            let deadline = Instant::now() + Duration::from_secs(8);
            while Instant::now() < deadline && !ready(&env) {
                std::thread::sleep(Duration::from_millis(100));
            }
            if ready(&env) {
                break;
            }
            assert!(
                attempt < 3,
                "the Secret Service did not come up: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            let _ = keyring.kill();
            let _ = keyring.wait();
            let _ = std::fs::remove_dir_all(dir.join("data"));
            keyring = start_keyring();
        }
        SecretService { env, dbus, keyring }
    }

    fn showroom(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(showroom_bin())
            .args(args)
            .envs(self.env.iter().cloned())
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
}

impl Drop for SecretService {
    fn drop(&mut self) {
        let _ = self.keyring.kill();
        let _ = self.keyring.wait();
        let _ = self.dbus.kill();
        let _ = self.dbus.wait();
    }
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

    let out = svc.showroom(&["key", "set", "shop-main"], Some(&format!("{key}\n")));
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
    let out = svc.showroom(&["run", &good, "--duration", "3"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains(key), "key in output:\n{stderr}");
    let received = nginx.received(key);
    assert!(received.exists(), "nginx got no stream under the keyring's key");
    assert_eq!(stream_facts(&received).video_codec, "h264");

    let missing = show(&dir, nginx.rtmp_port, "not-stored");
    let out = svc.showroom(&["run", &missing, "--duration", "2"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(
            "no stream key is stored in the OS keyring under `not-stored` — run `showroom key set not-stored`"
        ),
        "{stderr}"
    );

    let out = svc.showroom(&["key", "delete", "shop-main"], None);
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
