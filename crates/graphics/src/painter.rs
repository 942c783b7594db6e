//! Draws the graphics' pictures on a thread of its own: text shaping,
//! product pictures decoded from disk, the RGBA conversion. The render
//! loop asks for a picture and keeps showing the one it has (or nothing,
//! the first time) until the new one is ready, as it does with a camera's
//! latest frame: a cold picture never holds a render tick, the overlays
//! lock, the chat writer or the window.

use super::template::Template;
use super::text::Text;
use super::{cards, paint};
use crate::media::frame::VideoFrame;
use crate::products::catalog::{Badge, Product};
use crate::products::price::PriceFormatter;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tiny_skia::Pixmap;

/// Which picture: (graphic kind, canvas).
pub type Place = (usize, usize);

/// The line under the price: a flash deal's, or an auction's.
#[derive(Debug, Clone, PartialEq)]
pub enum DealLine {
    Deal {
        remaining_s: u64,
        /// Units left at the deal price (None: no cap).
        left: Option<u32>,
    },
    Auction {
        remaining_s: u64,
        /// Who leads (None: no bids yet, the price is the start price).
        leader: Option<String>,
    },
}

/// What to draw, with everything it needs (a copy: the catalog may change
/// meanwhile).
#[derive(Debug, Clone)]
pub enum Drawing {
    /// The product as the card shows it (a flash deal's price already in
    /// place), and the deal's line.
    Card(Box<Product>, Option<DealLine>),
    LowerThird {
        name: String,
        title: String,
    },
    Countdown {
        label: String,
        remaining_s: u64,
    },
    Banner(String),
    /// The show's mode, in a red badge ("REHEARSAL").
    Mark(String),
    Comment {
        author: String,
        platform: String,
        text: String,
    },
}

/// A request: the picture of `place` showing `key`, for a canvas of `size`.
struct Job {
    key: String,
    drawing: Drawing,
    size: (u32, u32),
}

/// A finished picture.
pub struct Painted {
    /// What it shows (the request's key).
    pub key: String,
    pub frame: VideoFrame,
    pub size: (u32, u32),
    /// A ticker: the strip scrolls by this many pixels per cycle.
    pub scroll: Option<u32>,
}

#[derive(Default)]
struct Board {
    /// Latest request per place (a newer one replaces an older one).
    wanted: HashMap<Place, Job>,
    /// Drawn, not yet taken.
    done: HashMap<Place, Painted>,
    /// Being drawn now.
    drawing: Option<(Place, String)>,
    stop: bool,
    draws: u64,
    last_draw_ms: f64,
}

struct Shared {
    board: Mutex<Board>,
    /// A request came, or stop.
    work: Condvar,
    /// A picture was finished.
    finished: Condvar,
}

/// What the painter draws with: fonts, the template, prices, pictures.
struct Brushes {
    template: Template,
    catalog_dir: PathBuf,
    prices: PriceFormatter,
    /// Made on first use: loading the fonts takes a few milliseconds.
    text: Option<Text>,
    pictures: HashMap<String, Option<Pixmap>>,
}

pub struct Painter {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Painter {
    pub fn new(template: Template, catalog_dir: PathBuf, prices: PriceFormatter) -> Painter {
        let shared = Arc::new(Shared {
            board: Mutex::default(),
            work: Condvar::new(),
            finished: Condvar::new(),
        });
        let brushes = Brushes {
            template,
            catalog_dir,
            prices,
            text: None,
            pictures: HashMap::new(),
        };
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("graphics".into())
            .spawn(move || run(s, brushes))
            .inspect_err(|e| tracing::error!("graphics: cannot start the painter thread: {e}"))
            .ok();
        Painter { shared, thread }
    }

    fn board(&self) -> std::sync::MutexGuard<'_, Board> {
        self.shared.board.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The picture of `place` showing `key`, if it is drawn; otherwise it is
    /// asked for (once) and None comes back meanwhile.
    pub fn get(&self, place: Place, key: &str, size: (u32, u32), drawing: impl FnOnce() -> Drawing) -> Option<Painted> {
        let mut b = self.board();
        match b.done.remove(&place) {
            Some(p) if p.key == key => return Some(p),
            _ => {}
        }
        let asked = b.wanted.get(&place).is_some_and(|j| j.key == key)
            || b.drawing.as_ref().is_some_and(|(p, k)| *p == place && k == key);
        if !asked {
            b.wanted.insert(
                place,
                Job {
                    key: key.to_string(),
                    drawing: drawing(),
                    size,
                },
            );
            self.shared.work.notify_one();
        }
        None
    }

    /// Pictures drawn so far, and the last one's time (data → pixels).
    pub fn figures(&self) -> (u64, f64) {
        let b = self.board();
        (b.draws, b.last_draw_ms)
    }

    /// Waits until nothing is asked for or being drawn, at most `timeout`
    /// (benchmarks and tests that step the overlays by hand). False when
    /// it is still busy.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let b = self.board();
        let (b, _) = self
            .shared
            .finished
            .wait_timeout_while(b, timeout, |b| !b.wanted.is_empty() || b.drawing.is_some())
            .unwrap_or_else(|e| e.into_inner());
        b.wanted.is_empty() && b.drawing.is_none()
    }
}

impl Drop for Painter {
    fn drop(&mut self) {
        self.board().stop = true;
        self.shared.work.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(shared: Arc<Shared>, mut brushes: Brushes) {
    loop {
        let (place, job) = {
            let b = shared.board.lock().unwrap_or_else(|e| e.into_inner());
            let mut b = shared
                .work
                .wait_while(b, |b| b.wanted.is_empty() && !b.stop)
                .unwrap_or_else(|e| e.into_inner());
            if b.stop {
                return;
            }
            let place = *b.wanted.keys().next().expect("waited for one");
            let job = b.wanted.remove(&place).expect("just seen");
            b.drawing = Some((place, job.key.clone()));
            (place, job)
        };
        let started = Instant::now();
        let (pm, scroll) = brushes.draw(&job.drawing, job.size);
        let painted = Painted {
            key: job.key,
            size: (pm.width(), pm.height()),
            frame: paint::to_frame(&pm),
            scroll,
        };
        let mut b = shared.board.lock().unwrap_or_else(|e| e.into_inner());
        b.draws += 1;
        b.last_draw_ms = started.elapsed().as_secs_f64() * 1e3;
        b.drawing = None;
        b.done.insert(place, painted);
        drop(b);
        shared.finished.notify_all();
    }
}

impl Brushes {
    fn picture(&mut self, name: &str) -> Option<&Pixmap> {
        if !self.pictures.contains_key(name) {
            let path = if crate::products::images::is_url(name) {
                // Fetched in the background at start: not there yet means
                // not yet, so nothing is remembered until it is.
                let cached = crate::products::images::cached_path(&crate::products::images::cache_dir(), name);
                if !cached.is_file() {
                    return None;
                }
                cached
            } else {
                self.catalog_dir.join(name)
            };
            let loaded = paint::load_picture(&path)
                .inspect_err(|e| tracing::warn!("product picture: {e}; the card is drawn without it"))
                .ok();
            self.pictures.insert(name.to_string(), loaded);
        }
        self.pictures.get(name).and_then(Option::as_ref)
    }

    fn draw(&mut self, drawing: &Drawing, canvas: (u32, u32)) -> (Pixmap, Option<u32>) {
        if let Drawing::Card(p, _) = drawing
            && let Some(img) = p.images.first()
        {
            self.picture(img);
        }
        let text = self.text.get_or_insert_with(|| {
            let mut t = Text::new();
            let tpl = &self.template;
            if let Err(e) = t.use_family(&tpl.family, &tpl.font_files) {
                tracing::warn!("template: {e}; drawing with Noto Sans");
            }
            t
        });
        let t = &self.template;
        let pm = match drawing {
            Drawing::Card(p, deal) => {
                let v = p.variants.first();
                let fmt = |m: &crate::products::price::Money| self.prices.format(m);
                let compare = v.and_then(|v| v.compare_at.filter(|c| c.minor > v.price.minor));
                let data = cards::CardData {
                    title: &p.title,
                    price: v.map(|v| fmt(&v.price)).unwrap_or_default(),
                    compare_at: compare.as_ref().map(fmt),
                    discount: v.zip(compare).and_then(|(v, c)| v.price.percent_off(&c)),
                    stock: stock(p),
                    code: &p.code,
                    badges: p
                        .badges
                        .iter()
                        .map(|b| match b {
                            Badge::New => "NEW",
                            Badge::Limited => "LIMITED",
                        })
                        .collect(),
                    picture: p
                        .images
                        .first()
                        .and_then(|i| self.pictures.get(i))
                        .and_then(Option::as_ref),
                    url: p.url.as_deref(),
                    deal: deal.as_ref().map(|d| match d {
                        DealLine::Deal { remaining_s: s, left } => {
                            let mut line = format!("{} {}:{:02}", t.words.deal_ends, s / 60, s % 60);
                            if let Some(n) = left {
                                line += &format!(" · {}", t.words.left_at_price.replace("{n}", &n.to_string()));
                            }
                            line
                        }
                        DealLine::Auction { remaining_s: s, leader } => {
                            let who = match leader {
                                Some(name) => t.words.leads.replace("{name}", name),
                                None => t.words.starting_bid.clone(),
                            };
                            format!("{who} · {} {}:{:02}", t.words.auction_ends, s / 60, s % 60)
                        }
                    }),
                    call: matches!(deal, Some(DealLine::Auction { .. })).then(|| t.words.bid.clone()),
                };
                cards::price_card(text, t, canvas, &data)
            }
            Drawing::LowerThird { name, title } => cards::lower_third(text, t, canvas, name, title),
            Drawing::Countdown { label, remaining_s } => cards::countdown(text, t, canvas, label, *remaining_s),
            Drawing::Banner(words) => return cards::banner_or_ticker(text, t, canvas, words),
            Drawing::Mark(words) => cards::mark(text, t, canvas, words),
            Drawing::Comment {
                author,
                platform,
                text: body,
            } => cards::comment(text, t, canvas, author, platform, body),
        };
        (pm, None)
    }
}

/// The stock of a product: the sum over its variants, if all are tracked.
pub fn stock(p: &Product) -> Option<u32> {
    p.variants.iter().map(|v| v.stock).sum()
}
