//! Rundown benchmark: one Next, in frames on the wire, from the command to
//! the first program frame that has both the new segment's scene and its
//! product card, on each canvas (1280×720 and 720×1280 at 30 fps, rendered
//! by this machine's GPU — lavapipe here).
//!
//! The show's rundown: "Open" (a red scene, no product), "Shirts" (a green
//! scene, the card of A1), "Break" (red, no product), "Mugs" (green, the
//! card of B2). Each round goes back to "Open" or "Break" (by turns, so
//! every Next brings a card the painter has not drawn last: a new picture
//! to paint, as in a show), waits for the card to leave, then sends Next and reads every
//! picture sent to each canvas's encoder with its frame number (the tick
//! of the show clock it went out at) until the scene colour is at a
//! background spot and the card's pixels match the card as it settles.
//! Frame 1 is the first frame due after the command.
//!
//! Twice: with the template's card animation (slide, 400 ms = 12 frames)
//! and with `kind = "none"` (the engine's own latency). Peer in the same
//! run, on the same engine: a bare scene cut (`TakeScene`), frames to the
//! new scene colour — the floor of any switch, what one scene hotkey costs.
//!
//!     cargo bench --profile dev --bench rundown [-- ROUNDS]

use showroom::engine::rundown::RundownCommand;
use showroom::engine::{Command, Engine, StartOptions};
use std::path::Path;
use std::time::{Duration, Instant};

const CANVASES: [(&str, usize, usize); 2] = [("landscape", 1280, 720), ("portrait", 720, 1280)];
const RED: &str = "#C03030";
const GREEN: &str = "#30A040";

fn show_text(template: &str) -> String {
    let mut s = String::from("[show]\nname = \"Rundown bench\"\nscene = \"open\"\n\n");
    for (id, w, h) in CANVASES {
        s += &format!("[[canvases]]\nid = \"{id}\"\nwidth = {w}\nheight = {h}\nfps = 30\n\n");
    }
    for (id, colour) in [("open", RED), ("shirts", GREEN)] {
        s += &format!(
            "[[sources]]\nid = \"{id}-bg\"\nkind = \"test-pattern\"\npattern = \"solid-color\"\ncolor = \"{colour}\"\n\n\
             [[scenes]]\nid = \"{id}\"\n[[scenes.layers]]\nsource = \"{id}-bg\"\n"
        );
        for (c, w, h) in CANVASES {
            s += &format!("place.{c} = {{ x = 0, y = 0, width = {w}, height = {h} }}\n");
        }
        s += "\n";
    }
    s += &format!("[products]\ncatalog = \"catalog.csv\"\nlocale = \"en-US\"\ntemplate = \"{template}\"\n\n");
    s += "[rundown]\n";
    for (title, scene, product) in [
        ("Open", "open", None),
        ("Shirts", "shirts", Some("A1")),
        ("Break", "open", None),
        ("Mugs", "shirts", Some("B2")),
    ] {
        s += &format!("[[rundown.segments]]\ntitle = \"{title}\"\nscene = \"{scene}\"\n");
        if let Some(p) = product {
            s += &format!("products = [\"{p}\"]\n");
        }
        s += "\n";
    }
    s
}

/// The luma plane of canvas `c`'s program picture, with its frame number.
fn luma(engine: &Engine, c: usize) -> Option<(u64, Vec<u8>)> {
    let (w, h) = (CANVASES[c].1, CANVASES[c].2);
    engine.program_frame(c).map(|(tick, mut nv12)| {
        nv12.truncate(w * h);
        (tick, nv12)
    })
}

/// What a card looks like on one canvas once settled: the pixels (every
/// 4th) that differ from the green scene, with their luma.
struct Card {
    pixels: Vec<(usize, u8)>,
}

impl Card {
    fn on(&self, y: &[u8]) -> bool {
        let good = self.pixels.iter().filter(|(i, v)| y[*i].abs_diff(*v) <= 10).count();
        good * 100 >= self.pixels.len() * 95
    }
    fn gone(&self, y: &[u8]) -> bool {
        let good = self.pixels.iter().filter(|(i, v)| y[*i].abs_diff(*v) <= 10).count();
        good * 100 <= self.pixels.len() * 5
    }
}

/// A spot no card covers: the top left corner of each canvas.
fn background(y: &[u8], c: usize) -> u8 {
    y[16 * CANVASES[c].1 + 16]
}

fn wait(what: &str, mut ok: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(20);
    while !ok() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Frames from the command to the scene alone and to scene + card (when
/// `cards` is given), per canvas.
fn measure(engine: &Engine, cmd: Command, green: [u8; 2], cards: Option<&[Card; 2]>) -> Vec<(u64, Option<u64>)> {
    let start: Vec<u64> = (0..2).map(|c| engine.next_tick(c).unwrap()).collect();
    engine.execute(cmd).unwrap();
    let mut found: Vec<(Option<u64>, Option<u64>)> = vec![(None, None); 2];
    let mut seen = [0u64; 2];
    let until = Instant::now() + Duration::from_secs(20);
    while found
        .iter()
        .any(|f| f.0.is_none() || (cards.is_some() && f.1.is_none()))
    {
        assert!(Instant::now() < until, "the switch never showed: {found:?}");
        for c in 0..2 {
            let Some((tick, y)) = luma(engine, c) else { continue };
            // Pictures drawn for frames due before the command are not its.
            if tick == seen[c] || tick < start[c] {
                continue;
            }
            seen[c] = tick;
            let frames = tick + 1 - start[c];
            let scene = background(&y, c).abs_diff(green[c]) <= 6;
            if scene && found[c].0.is_none() {
                found[c].0 = Some(frames);
            }
            if let Some(cards) = cards
                && scene
                && cards[c].on(&y)
                && found[c].1.is_none()
            {
                found[c].1 = Some(frames);
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    found.into_iter().map(|(s, b)| (s.unwrap(), b)).collect()
}

fn stats(mut v: Vec<u64>) -> String {
    v.sort_unstable();
    let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    format!("median {:>2}  p90 {:>2}  max {:>2}", p(0.5), p(0.9), v[v.len() - 1])
}

fn run(dir: &Path, animation: &str, rounds: usize) {
    let default = std::fs::read_to_string("assets/templates/default.toml").unwrap();
    let template = default.replace("kind = \"slide\"", &format!("kind = \"{animation}\""));
    std::fs::write(dir.join("template.toml"), template).unwrap();
    std::fs::write(
        dir.join("catalog.csv"),
        "id,code,title,price,currency,stock\nlinen-shirt,A1,Linen Shirt,39.00,USD,30\nmug,B2,Ceramic Mug,18.50,USD,40\n",
    )
    .unwrap();
    let text = show_text("template.toml");
    let show = showroom::show::parse_str(&text, "bench.toml", dir).unwrap();
    let engine = Engine::start_with(
        show,
        StartOptions {
            live: false,
            ..Default::default()
        },
    )
    .unwrap();

    // Each settled card (A1 in segment 1, B2 in segment 3) and the green
    // scene's luma, on each canvas.
    let mut green = [0u8; 2];
    let mut settled = |segment: usize| -> [Card; 2] {
        engine.execute(Command::Rundown(RundownCommand::GoTo(segment))).unwrap();
        std::thread::sleep(Duration::from_secs(3));
        std::array::from_fn(|c| {
            let (_, y) = luma(&engine, c).expect("no program picture");
            green[c] = background(&y, c);
            let pixels: Vec<(usize, u8)> = (0..y.len())
                .step_by(4)
                .filter(|i| y[*i].abs_diff(green[c]) > 12)
                .map(|i| (i, y[i]))
                .collect();
            assert!(pixels.len() > 1000, "no card on canvas {c}");
            Card { pixels }
        })
    };
    let cards = [settled(1), settled(3)];
    let red_screen = |engine: &Engine| {
        (0..2).all(|c| {
            luma(engine, c).is_some_and(|(_, y)| {
                background(&y, c).abs_diff(green[c]) > 20 && cards.iter().all(|card| card[c].gone(&y))
            })
        })
    };
    let back_to = |engine: &Engine, segment: usize| {
        engine.execute(Command::Rundown(RundownCommand::GoTo(segment))).unwrap();
        wait("the red segment", || red_screen(engine));
        std::thread::sleep(Duration::from_millis(300));
    };

    let mut next: [Vec<u64>; 2] = Default::default();
    let mut scene_only: [Vec<u64>; 2] = Default::default();
    let mut cut: [Vec<u64>; 2] = Default::default();
    for round in 0..rounds {
        // By turns: Open → Shirts (A1), Break → Mugs (B2).
        let (from, card) = [(0, &cards[0]), (2, &cards[1])][round % 2];
        back_to(&engine, from);
        for (c, (s, both)) in measure(&engine, Command::Rundown(RundownCommand::Next), green, Some(card))
            .into_iter()
            .enumerate()
        {
            scene_only[c].push(s);
            next[c].push(both.unwrap());
        }
        // The peer: a bare cut from red to green (no card).
        back_to(&engine, from);
        for (c, (s, _)) in measure(&engine, Command::TakeScene("shirts".into()), green, None)
            .into_iter()
            .enumerate()
        {
            cut[c].push(s);
        }
    }
    let snap = engine.stop();
    let fps: Vec<String> = snap
        .canvases
        .iter()
        .map(|c| format!("{:.1}", c.frames_rendered as f64 / snap.elapsed_s))
        .collect();
    println!(
        "card animation {animation:<6} ({rounds} rounds; pictures rendered per second: {})",
        fps.join(" / ")
    );
    for (c, (id, _, _)) in CANVASES.iter().enumerate() {
        println!("  {id:<9} Next → scene + card   {}", stats(next[c].clone()));
        println!("  {id:<9} Next → scene          {}", stats(scene_only[c].clone()));
        println!("  {id:<9} peer: cut → scene     {}", stats(cut[c].clone()));
    }
}

fn main() {
    let rounds: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(20);
    let dir = std::env::temp_dir().join(format!("showroom-bench-rundown-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!("frames at 30 fps from the command (1 = the first frame due after it)");
    for animation in ["none", "slide"] {
        run(&dir, animation, rounds);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
