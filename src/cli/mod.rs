//! The command line: `run` (headless show), `check` (show file problems),
//! `devices` (cameras and microphones).

mod logging;
mod run;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "showroom", version, about = "Live-production studio for live shopping")]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Subcommand)]
enum Commands {
    /// Run a show without a window until --duration ends or Ctrl-C.
    Run(run::RunArgs),
    /// Check a show file; prints every problem as FILE:LINE:COL: what — how to fix.
    Check {
        /// The show file (TOML).
        show: PathBuf,
    },
    /// List the cameras and microphones GStreamer can see.
    Devices,
}

pub fn main() -> ExitCode {
    logging::init();
    let cli = Cli::parse();
    match cli.command {
        Commands::Run(args) => run::run(args),
        Commands::Check { show } => check(&show),
        Commands::Devices => devices(),
    }
}

fn check(path: &std::path::Path) -> ExitCode {
    match crate::show::load(path) {
        Ok(show) => {
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
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            eprintln!("{} problem(s) found", e.problems.len());
            ExitCode::from(1)
        }
    }
}

fn devices() -> ExitCode {
    if let Err(e) = crate::media::init() {
        eprintln!("error: {e:#}");
        return ExitCode::from(1);
    }
    let list = crate::media::devices::list();
    for (class, title) in [("Video/Source", "Cameras"), ("Audio/Source", "Microphones")] {
        println!("{title}:");
        let mut any = false;
        for d in list.iter().filter(|d| d.class.starts_with(class)) {
            any = true;
            match &d.device {
                Some(dev) => println!("  {}  (device = \"{dev}\")", d.name),
                None => println!("  {}", d.name),
            }
        }
        if !any {
            println!("  none found");
        }
    }
    ExitCode::SUCCESS
}
