//! `showroom relay-config --for nginx-rtmp SHOW.toml`: the configuration of
//! a relay that takes one upload per canvas and pushes it to every
//! destination of the show (docs/relay.md), and `run --via`'s
//! destinations: one stream per canvas to that relay.
//!
//! RTMPS destinations go through a local TLS proxy (nginx's `stream`
//! module with `proxy_ssl`): nginx-rtmp's `push` speaks plain RTMP only.

use crate::secrets::{KeyRef, Secret};
use crate::show::{DestinationSpec, Platform, Show};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The relay application of a canvas (`rtmp://RELAY/showroom-CANVAS/program`).
pub fn application(canvas: &str) -> String {
    format!("showroom-{canvas}")
}

/// The stream name the studio publishes under on the relay.
pub const STREAM: &str = "program";

/// Where the relay listens and who may publish to it.
pub struct Relay {
    pub listen: String,
    /// Addresses (or subnets) allowed to publish; everyone else is refused.
    pub publish_from: Vec<String>,
    /// The CA bundle RTMPS destinations are checked against.
    pub trust: PathBuf,
    /// The first local port of the TLS proxies (one per RTMPS destination).
    pub proxy_port: u16,
}

/// A destination with its key read.
pub struct Keyed<'a> {
    pub dest: &'a DestinationSpec,
    pub key: Secret,
}

/// host[:port] of a URL, and its port (default by scheme).
fn host_port(url: &str) -> Result<(String, u16, String), String> {
    let (scheme, host, path) = crate::show::validate::split_url(url)?;
    let default = if scheme == "rtmps" { 443 } else { 1935 };
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) => (
            n.to_string(),
            p.parse()
                .map_err(|_| format!("\"{url}\": the port `{p}` is not a number"))?,
        ),
        None => (host.to_string(), default),
    };
    Ok((name, port, path.trim_matches('/').to_string()))
}

/// The nginx configuration (an include for nginx.conf's top level).
pub fn nginx(show: &Show, dests: &[Keyed], relay: &Relay) -> Result<String, String> {
    let mut rtmp = String::new();
    let mut proxies = String::new();
    let mut port = relay.proxy_port;
    for (ci, canvas) in show.canvases.iter().enumerate() {
        let mine: Vec<&Keyed> = dests.iter().filter(|d| d.dest.canvas == ci).collect();
        if mine.is_empty() {
            continue;
        }
        let _ = writeln!(rtmp, "    application {} {{", application(&canvas.id));
        rtmp.push_str("      live on;\n      record off;\n      deny play all;\n");
        for a in &relay.publish_from {
            let _ = writeln!(rtmp, "      allow publish {a};");
        }
        rtmp.push_str("      deny publish all;\n");
        for d in mine {
            let (host, p, app) = host_port(&d.dest.url).map_err(|e| format!("destination {}: {e}", d.dest.id))?;
            let target = if d.dest.url.starts_with("rtmps://") {
                let _ = writeln!(
                    proxies,
                    "  # {id}: TLS to {host}:{p}, checked against {trust}\n  server {{\n    listen 127.0.0.1:{port};\n    proxy_pass {host}:{p};\n    proxy_ssl on;\n    proxy_ssl_server_name on;\n    proxy_ssl_name {host};\n    proxy_ssl_verify on;\n    proxy_ssl_verify_depth 4;\n    proxy_ssl_trusted_certificate {trust};\n  }}",
                    id = d.dest.id,
                    trust = relay.trust.display()
                );
                port += 1;
                format!("rtmp://127.0.0.1:{}/{app}/{}", port - 1, d.key.expose())
            } else {
                format!("rtmp://{host}:{p}/{app}/{}", d.key.expose())
            };
            let _ = writeln!(rtmp, "      # {}\n      push {target};", d.dest.id);
        }
        rtmp.push_str("    }\n");
    }
    if rtmp.is_empty() {
        return Err("the show has no destinations: nothing for a relay to push to".into());
    }
    let mut out = format!(
        "# Showroom relay for \"{name}\": one upload per canvas, pushed to every destination.\n\
         # Written by `showroom relay-config`. It holds stream keys: keep it 0600, never share it.\n\
         # Include it at the top level of nginx.conf (with libnginx-mod-rtmp{stream}):\n\
         #   include {{THIS FILE}};\n\
         # The studio sends each canvas with `showroom run SHOW --via rtmp://THIS-HOST:PORT`.\n\
         rtmp {{\n  server {{\n    listen {listen};\n    chunk_size 4096;\n",
        name = show.name,
        stream = if proxies.is_empty() {
            ""
        } else {
            " and libnginx-mod-stream"
        },
        listen = relay.listen
    );
    out.push_str(&rtmp);
    out.push_str("  }\n}\n");
    if !proxies.is_empty() {
        out.push_str("stream {\n");
        out.push_str(&proxies);
        out.push_str("}\n");
    }
    Ok(out)
}

/// `run --via URL`: the show's destinations become one per canvas that
/// had any, to the relay's application for it.
pub fn via(show: &mut Show, url: &str) -> Result<(), String> {
    let base = url.trim_end_matches('/');
    if !base.starts_with("rtmp://") && !base.starts_with("rtmps://") {
        return Err(format!("--via \"{base}\": give the relay as rtmp://HOST:PORT"));
    }
    let canvases: Vec<usize> = (0..show.canvases.len())
        .filter(|ci| show.destinations.iter().any(|d| d.canvas == *ci))
        .collect();
    if canvases.is_empty() {
        return Err("--via: the show has no destinations for the relay to push to".into());
    }
    show.destinations = canvases
        .into_iter()
        .map(|ci| DestinationSpec {
            id: format!("relay-{}", show.canvases[ci].id),
            platform: Platform::Custom,
            canvas: ci,
            url: format!("{base}/{}", application(&show.canvases[ci].id)),
            key: KeyRef::Inline(Secret::new(STREAM)),
            video_kbps: None,
            latency_ms: None,
            primary: false,
        })
        .collect();
    Ok(())
}

/// Writes `text` to `path` readable by its owner only (0600), whole.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("part");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

pub struct Args {
    pub server: String,
    pub show: PathBuf,
    pub out: Option<PathBuf>,
    pub relay: Relay,
}

/// A listen address only this machine reaches.
fn loopback(listen: &str) -> bool {
    listen.starts_with("127.") || listen.starts_with("[::1]") || listen.starts_with("localhost:")
}

pub fn command(args: Args) -> ExitCode {
    if args.server != "nginx-rtmp" {
        eprintln!(
            "error: --for {}: the relay this writes for is nginx-rtmp (--for nginx-rtmp)",
            args.server
        );
        return ExitCode::from(2);
    }
    if args.relay.publish_from.is_empty() && !loopback(&args.relay.listen) {
        eprintln!(
            "error: a relay on {} would push anyone's stream to your platforms: give --publish-from ADDR (the studio's address or subnet)",
            args.relay.listen
        );
        return ExitCode::from(2);
    }
    let mut relay = args.relay;
    if relay.publish_from.is_empty() {
        relay.publish_from.push("127.0.0.1".into());
    }
    let show = match crate::show::load(&args.show) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut keyed = Vec::new();
    for d in &show.destinations {
        match d.key.read() {
            Ok(Some(key)) => keyed.push(Keyed { dest: d, key }),
            Ok(None) => {
                eprintln!("error: destination {}: it has no stream key to push with", d.id);
                return ExitCode::from(1);
            }
            Err(e) => {
                eprintln!("error: destination {}: {e}", d.id);
                return ExitCode::from(1);
            }
        }
    }
    let text = match nginx(&show, &keyed, &relay) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let out = args.out.unwrap_or_else(|| {
        args.show.with_file_name(format!(
            "{}-relay-nginx.conf",
            args.show.file_stem().and_then(|s| s.to_str()).unwrap_or("show")
        ))
    });
    if let Err(e) = write_private(&out, &text) {
        eprintln!("error: cannot write {}: {e}", out.display());
        return ExitCode::from(1);
    }
    eprintln!(
        "wrote {} (mode 0600: it holds the stream keys of {} destinations — keep it on the relay only)",
        out.display(),
        keyed.len()
    );
    eprintln!(
        "on the relay: `include {};` at the top level of nginx.conf, then `nginx -s reload`",
        out.display()
    );
    for c in show.canvases.iter().filter(|c| {
        let ci = show.canvas_index(&c.id);
        show.destinations.iter().any(|d| Some(d.canvas) == ci)
    }) {
        eprintln!("  canvas {} → rtmp://RELAY:PORT/{}/{STREAM}", c.id, application(&c.id));
    }
    eprintln!("then: showroom run {} --via rtmp://RELAY:PORT", args.show.display());
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show() -> Show {
        let text = "[show]\nname = \"R\"\n[[canvases]]\nid = \"land\"\nwidth = 320\nheight = 180\nfps = 15\n\
            [[canvases]]\nid = \"port\"\nwidth = 176\nheight = 320\nfps = 15\n\
            [[sources]]\nid = \"s\"\nkind = \"test-pattern\"\n[[scenes]]\nid = \"m\"\n[[scenes.layers]]\nsource = \"s\"\n\
            place.land = { x = 0, y = 0, width = 320, height = 180 }\nplace.port = { x = 0, y = 0, width = 176, height = 320 }\n\
            [[destinations]]\nid = \"yt\"\nplatform = \"custom\"\ncanvas = \"land\"\nurl = \"rtmp://a.example:1935/live2\"\nkey = { env = \"K1\" }\n\
            [[destinations]]\nid = \"ig\"\nplatform = \"custom\"\ncanvas = \"land\"\nurl = \"rtmps://b.example/rtmp\"\nkey = { env = \"K2\" }\n";
        crate::show::parse_str(text, "show.toml", &std::env::temp_dir()).unwrap()
    }

    #[test]
    fn pushes_each_destination_and_proxies_rtmps_through_tls() {
        let s = show();
        let keyed: Vec<Keyed> = s
            .destinations
            .iter()
            .zip(["k-one", "k-two"])
            .map(|(d, k)| Keyed {
                dest: d,
                key: Secret::new(k),
            })
            .collect();
        let relay = Relay {
            listen: "0.0.0.0:1935".into(),
            publish_from: vec!["10.0.0.5".into()],
            trust: "/etc/ssl/certs/ca-certificates.crt".into(),
            proxy_port: 19350,
        };
        let conf = nginx(&s, &keyed, &relay).unwrap();
        assert!(conf.contains("application showroom-land {"), "{conf}");
        assert!(
            !conf.contains("showroom-port"),
            "a canvas without destinations has none: {conf}"
        );
        assert!(conf.contains("push rtmp://a.example:1935/live2/k-one;"), "{conf}");
        assert!(conf.contains("push rtmp://127.0.0.1:19350/rtmp/k-two;"), "{conf}");
        assert!(conf.contains("proxy_pass b.example:443;") && conf.contains("proxy_ssl_name b.example;"));
        assert!(
            conf.contains("allow publish 10.0.0.5;\n      deny publish all;"),
            "{conf}"
        );
        assert!(conf.contains("deny play all;"));
    }

    #[test]
    fn via_sends_one_stream_per_canvas_with_destinations() {
        let mut s = show();
        via(&mut s, "rtmp://relay.lan:1935/").unwrap();
        assert_eq!(s.destinations.len(), 1);
        let d = &s.destinations[0];
        assert_eq!(
            (d.id.as_str(), d.url.as_str()),
            ("relay-land", "rtmp://relay.lan:1935/showroom-land")
        );
        assert_eq!(d.key.read().unwrap().unwrap().expose(), STREAM);
        assert!(via(&mut show(), "srt://x").unwrap_err().contains("rtmp://HOST:PORT"));
    }
}
