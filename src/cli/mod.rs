//! The command line: `studio` (the window; also what no arguments open),
//! `run` (headless show), `check` (show file problems), `devices` (cameras
//! and microphones), `key`, `resume`, `catalog import-shopify`, `report`
//! (the post-show report from a show's logs), `relay-config` (a relay that
//! fans one upload out to the platforms).

mod invites;
mod logging;
mod relay;
mod report;
mod run;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "showroom", version, about = "Live-production studio for live shopping")]
struct Cli {
    /// Without a command: the studio window with the last show (the demo on first start).
    #[command(subcommand)]
    command: Option<Commands>,
}

#[derive(Subcommand)]
enum Commands {
    /// Open the studio window on a show (nothing goes on air until you press Go Live).
    Studio {
        /// The show file (TOML); default: the last show opened, else the demo.
        show: Option<PathBuf>,
        /// Rehearse: nothing is sent to any platform (every destination is
        /// a local sink), every canvas says REHEARSAL.
        #[arg(long)]
        rehearsal: bool,
    },
    /// Run a show without a window until --duration ends or Ctrl-C.
    Run(run::RunArgs),
    /// Check a show file; prints every problem as FILE:LINE:COL: what — how to fix.
    Check {
        /// The show file (TOML).
        show: PathBuf,
        /// Also measure what this machine can do for the show: about 5 s of
        /// rendering and encoding every canvas (nothing goes on air or to disk).
        #[arg(long)]
        measure: bool,
    },
    /// List the cameras and microphones GStreamer can see.
    Devices,
    /// Start again the show that did not end cleanly (crash, power loss, kill -9).
    Resume,
    /// Manage stream keys in the OS keyring (show files use key = { keyring = "NAME" }).
    Key {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Product catalogs: import from a Shopify storefront.
    Catalog {
        #[command(subcommand)]
        action: CatalogAction,
    },
    /// Write the post-show report from a show's logs: its [chat] log and
    /// its event log (`run --events`); see docs/report.md.
    Report {
        /// The chat log and the event log (JSON lines), in any order.
        #[arg(required = true)]
        logs: Vec<PathBuf>,
        /// The folder to write into (default: `report` beside the first log).
        #[arg(long)]
        out: Option<PathBuf>,
        /// How money is written (a BCP 47 locale, as the show's [products] locale).
        #[arg(long, default_value = "en-US")]
        locale: String,
        /// Cut no clips from the recordings (the figures alone).
        #[arg(long)]
        no_clips: bool,
    },
    /// Write a relay's configuration: it takes one upload per canvas and
    /// pushes it to every destination of the show (docs/relay.md). The
    /// file holds the stream keys and is written 0600.
    RelayConfig {
        /// The relay server: nginx-rtmp.
        #[arg(long = "for", value_name = "SERVER")]
        server: String,
        /// The show file (TOML).
        show: PathBuf,
        /// Where to write (default: SHOW-relay-nginx.conf beside the show).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Where the relay listens for the studio.
        #[arg(long, default_value = "0.0.0.0:1935")]
        listen: String,
        /// An address or subnet the studio publishes from (repeat for more);
        /// every other publisher is refused. Needed unless --listen is loopback.
        #[arg(long = "publish-from", value_name = "ADDR")]
        publish_from: Vec<String>,
        /// The CA bundle RTMPS destinations are checked against.
        #[arg(long, default_value = "/etc/ssl/certs/ca-certificates.crt")]
        trust: PathBuf,
        /// The first local port for the TLS proxies of RTMPS destinations.
        #[arg(long, default_value_t = 19350)]
        proxy_port: u16,
    },
}

#[derive(Subcommand)]
enum CatalogAction {
    /// Import every product of a Shopify storefront's public products.json
    /// into a catalog file (our JSON), pictures downloaded next to it.
    ImportShopify {
        /// The shop's address, like https://shop.example.com
        store: String,
        /// The currency its prices are in (ISO 4217, e.g. USD).
        #[arg(long)]
        currency: String,
        /// The catalog file to write (.json); pictures go to a `pictures`
        /// folder beside it.
        #[arg(long, default_value = "catalog.json")]
        out: PathBuf,
        /// Keep picture URLs instead of downloading them now.
        #[arg(long)]
        no_pictures: bool,
        /// Seconds to wait for each answer.
        #[arg(long, default_value_t = 20)]
        timeout: u64,
    },
}

#[derive(Subcommand)]
enum KeyAction {
    /// Store a key: typed at a hidden prompt, or read from standard input.
    Set { name: String },
    /// Remove a stored key.
    Delete { name: String },
    /// Print a token Showroom made for one of its listeners (the chat
    /// bridge's is `bridge-SHOW-SOURCE`, named in its status), made now if
    /// there is none yet.
    Token { name: String },
}

pub fn main() -> ExitCode {
    let _ = crate::studio::LAUNCHED.set(std::time::Instant::now());
    logging::init();
    let cli = Cli::parse();
    match cli.command {
        None => studio(None, false),
        Some(Commands::Studio { show, rehearsal }) => studio(show, rehearsal),
        Some(Commands::Run(args)) => run::run(args),
        Some(Commands::Check { show, measure }) => check(&show, measure),
        Some(Commands::Devices) => devices(),
        Some(Commands::Resume) => run::resume(),
        Some(Commands::Key { action }) => key(action),
        Some(Commands::Catalog { action }) => catalog(action),
        Some(Commands::Report {
            logs,
            out,
            locale,
            no_clips,
        }) => report::report(logs, out, locale, !no_clips),
        Some(Commands::RelayConfig {
            server,
            show,
            out,
            listen,
            publish_from,
            trust,
            proxy_port,
        }) => relay::command(relay::Args {
            server,
            show,
            out,
            relay: relay::Relay {
                listen,
                publish_from,
                trust,
                proxy_port,
            },
        }),
    }
}

fn studio(show: Option<PathBuf>, rehearsal: bool) -> ExitCode {
    let path = match show.map(Ok).unwrap_or_else(crate::studio::default_show) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        eprintln!(
            "error: no display to open the studio window on (neither DISPLAY nor WAYLAND_DISPLAY is set) — \
             run the show headless instead: showroom run {}",
            path.display()
        );
        return ExitCode::from(2);
    }
    match crate::studio::open(&path, rehearsal) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn key(action: KeyAction) -> ExitCode {
    let result = match action {
        KeyAction::Set { name } => read_key(&name).and_then(|k| {
            crate::secrets::store_in_keyring(&name, &k).map_err(|e| e.to_string())?;
            Ok(format!(
                "stored the stream key `{name}` in the OS keyring; use key = {{ keyring = \"{name}\" }}"
            ))
        }),
        KeyAction::Delete { name } => crate::secrets::delete_from_keyring(&name)
            .map(|_| format!("removed `{name}` from the OS keyring"))
            .map_err(|e| e.to_string()),
        KeyAction::Token { name } => crate::secrets::own_token(&name)
            .map(|(t, _)| t.expose().to_string())
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(msg) => {
            println!("{msg}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// The key from a hidden prompt (terminal) or the first line of stdin (scripts).
fn read_key(name: &str) -> Result<String, String> {
    use std::io::IsTerminal;
    let key = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("stream key for `{name}` (hidden): ")).map_err(|e| e.to_string())?
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| e.to_string())?;
        line
    };
    let key = key.trim().to_string();
    if key.is_empty() {
        return Err("no key given".into());
    }
    Ok(key)
}

/// `check`: exit 0 when the show would go on air as written, 1 with every
/// problem listed (the file's, its catalog's rows, and this machine's:
/// keys, recording folders — `show::on_air`).
/// How the stock on the card is made, in the words of docs/products.md
/// ("Stock"), for `check`.
fn stock_rule(show: &crate::show::Show) -> Option<String> {
    use crate::products::refresh::RefreshFrom;
    let tracked = show
        .graphics
        .catalog
        .products
        .iter()
        .any(|p| p.variants.iter().any(|v| v.stock.is_some()));
    let from = show.graphics.refresh.as_ref().map(|r| {
        let what = match &r.from {
            RefreshFrom::File { path, .. } => format!("{} (read again when it changes)", path.display()),
            RefreshFrom::Shopify { store, .. } => format!("the storefront {store}"),
        };
        format!("{what}, every {} s", r.every.as_secs())
    });
    Some(match (from, show.chat.is_some()) {
        (Some(from), true) => format!(
            "stock: the store's figures come from {from}; the card shows them less the units claimed in this show that are not yet in a Shopify draft order (never below 0), and a restock serves the waitlist first"
        ),
        (Some(from), false) => format!("stock: the card shows the figures from {from}"),
        (None, true) if tracked => {
            "stock: the card shows the catalog's figures less the units claimed in this show (never below 0)".into()
        }
        _ => return None,
    })
}

fn check(path: &std::path::Path, measure_too: bool) -> ExitCode {
    match crate::show::load(path) {
        Ok(show) => {
            let on_air = crate::show::on_air::problems(&show.on_air);
            if !on_air.is_empty() || !show.warnings.is_empty() {
                let e = crate::show::CheckError {
                    file: path.display().to_string(),
                    problems: on_air,
                    warnings: show.warnings.clone(),
                };
                eprintln!("{}", crate::secrets::redact(&e.to_string()));
                eprintln!("{} problem(s) found", e.count());
                return ExitCode::from(1);
            }
            println!(
                "{}: OK — \"{}\": {} canvas(es), {} source(s), {} scene(s), {} destination(s), {} recording(s)",
                path.display(),
                show.name,
                show.canvases.len(),
                show.sources.len(),
                show.scenes.len(),
                show.destinations.len(),
                show.recordings.len()
            );
            if !show.graphics.catalog.products.is_empty() || !show.cues.is_empty() {
                println!(
                    "products: {} in the catalog; {} cue(s)",
                    show.graphics.catalog.products.len(),
                    show.cues.len()
                );
            }
            if let Some(rule) = stock_rule(&show) {
                println!("{rule}");
            }
            if measure_too {
                return measure(show);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            eprintln!("{} problem(s) found", e.count());
            ExitCode::from(1)
        }
    }
}

/// `check --measure`: the engine's start-up measurement, with nothing on
/// air, no recording, no chat and no cues.
fn measure(mut show: crate::show::Show) -> ExitCode {
    show.destinations.clear();
    show.recordings.clear();
    show.cues.clear();
    show.chat = None;
    println!("measuring this machine for the show (about 5 s)…");
    let options = crate::engine::StartOptions {
        live: false,
        ..Default::default()
    };
    let engine = match crate::engine::Engine::start_with(show, options) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: the show cannot start: {e:#}");
            return ExitCode::from(3);
        }
    };
    let limit = crate::engine::governor::WARM_UP + crate::engine::governor::MEASURE + std::time::Duration::from_secs(5);
    let started = std::time::Instant::now();
    while engine.snapshot().quality.measuring && started.elapsed() < limit {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let snap = engine.stop();
    println!("GPU: {}", snap.gpu);
    if snap.quality.capacity.is_empty() {
        eprintln!("error: the measurement did not finish (the machine is far too busy?)");
        return ExitCode::from(3);
    }
    for c in &snap.quality.capacity {
        match &c.advice {
            None => println!(
                "canvas {}: holds {} fps ({:.1} measured)",
                c.canvas, c.fps, c.measured_fps
            ),
            Some(a) => println!("warning: {a}"),
        }
    }
    ExitCode::SUCCESS
}

fn catalog(action: CatalogAction) -> ExitCode {
    let CatalogAction::ImportShopify {
        store,
        currency,
        out,
        no_pictures,
        timeout,
    } = action;
    if out.extension().and_then(|e| e.to_str()) != Some("json") {
        eprintln!(
            "error: --out {}: the catalog is written as JSON; give a .json file",
            out.display()
        );
        return ExitCode::from(2);
    }
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut opts = crate::products::shopify::Options::new(&currency);
    opts.timeout = std::time::Duration::from_secs(timeout.max(1));
    opts.images_dir = (!no_pictures).then(|| dir.join("pictures"));
    eprintln!("importing {store} ...");
    let (catalog, problems) = match crate::products::shopify::import(&store, &opts, &mut |p| eprintln!("  {p}")) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    for p in &problems {
        eprintln!("warning: {p}");
    }
    if catalog.products.is_empty() {
        eprintln!("error: the store listed no product that could be read; nothing written");
        return ExitCode::from(1);
    }
    let text = crate::products::json::export_json(&catalog);
    if let Err(e) = crate::session::write_atomic(&out, text.as_bytes()) {
        eprintln!("error: cannot write {}: {e}", out.display());
        return ExitCode::from(1);
    }
    println!(
        "{}: {} products (claim codes {}…); use it with [products] catalog = \"{}\"",
        out.display(),
        catalog.products.len(),
        catalog.products.first().map(|p| p.code.as_str()).unwrap_or(""),
        out.file_name().map(|f| f.to_string_lossy()).unwrap_or_default()
    );
    ExitCode::SUCCESS
}

fn devices() -> ExitCode {
    if let Err(e) = crate::media::init() {
        eprintln!("error: {e:#}");
        return ExitCode::from(1);
    }
    let list = crate::media::devices::list();
    println!("Cameras (kind = \"camera\"):");
    let mut any = false;
    for d in &list {
        any = true;
        match &d.device {
            Some(dev) => println!("  {}  (device = \"{dev}\")", d.name),
            None => println!("  {}", d.name),
        }
    }
    if !any {
        println!("  none found");
    }
    // Microphones as the capture (cpal) names them.
    println!("Microphones (kind = \"microphone\"):");
    let mics = crate::audio::capture::list();
    if mics.is_empty() {
        println!("  none found");
    }
    for m in mics {
        println!("  {m}  (device = \"{m}\")");
    }
    println!("Outputs for headphone monitoring ([audio] monitor = ...):");
    let outputs = crate::audio::monitor::list();
    if outputs.is_empty() {
        println!("  none found");
    }
    for o in outputs {
        println!("  {o}  (monitor = \"{o}\")");
    }
    ExitCode::SUCCESS
}
