//! The graphics on air: what each shows, its in/out animation, and its
//! pictures per canvas. Commands change state here; the render loop asks
//! for each canvas's layers every tick and uploads a picture only when it
//! was re-drawn (a new content or a new second on the countdown). The
//! pictures are drawn by the painter's thread (painter.rs), never here:
//! this lock is held for bookkeeping only.

use super::painter::{DealLine, Drawing, Painter};
use super::template::{AnimationKind, Template};
use super::{GraphicsCommand, KINDS, Kind, cards};
use crate::events::{Event, Events};
use crate::media::frame::VideoFrame;
use crate::products::catalog::{Catalog, Product};
use crate::products::price::PriceFormatter;
use crate::spec::{LayerSpec, Rect, SceneSpec, Style};
use std::path::PathBuf;
use std::sync::Arc;

/// How fast a ticker moves, in design pixels per second.
const TICKER_SPEED: f32 = 150.0;

/// A countdown that reached zero stays on air this long, then goes.
const ENDED_HOLD_NS: u64 = 3_000_000_000;

/// What the show file sets up for graphics.
#[derive(Debug, Clone)]
pub struct GraphicsSetup {
    pub catalog: Catalog,
    /// Product pictures that are not absolute paths resolve here.
    pub catalog_dir: PathBuf,
    /// BCP 47 locale prices are written in (`en-US`).
    pub locale: String,
    pub template: Template,
    /// Stock and price refresh while the show runs, if asked for.
    pub refresh: Option<crate::products::refresh::Refresh>,
}

impl Default for GraphicsSetup {
    fn default() -> Self {
        GraphicsSetup {
            catalog: Catalog::default(),
            catalog_dir: PathBuf::from("."),
            locale: "en-US".into(),
            template: Template::default_template(),
            refresh: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Content {
    /// The show's mode ("REHEARSAL").
    Mark(String),
    Card(usize),
    LowerThird {
        name: String,
        title: String,
    },
    Countdown {
        label: String,
        ends_ns: u64,
    },
    Banner(String),
    Comment {
        author: String,
        platform: String,
        text: String,
    },
}

/// One graphic drawn for one canvas.
struct Raster {
    /// What was drawn: the picture is re-drawn when this changes.
    key: String,
    seq: u64,
    frame: VideoFrame,
    size: (u32, u32),
    /// A ticker: the strip scrolls by this many pixels per cycle.
    scroll: Option<u32>,
}

#[derive(Default)]
struct Slot {
    content: Option<Content>,
    /// Show-clock time the graphic was put on or taken off.
    since_ns: u64,
    showing: bool,
    rasters: Vec<Option<Raster>>,
}

/// Where the mark sits: centred at the top, whatever the template.
const MARK_PLACE: super::template::Place = super::template::Place {
    x: 0.3,
    width: 0.4,
    y: Some(0.015),
    bottom: None,
};

/// What is on air, for snapshots (the studio's products panel).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct GraphicsStatus {
    /// Claim code of the product whose card is on air.
    pub featured: Option<String>,
    /// Graphics on air (or animating out), by name.
    pub on_air: Vec<&'static str>,
    pub countdown_left_s: Option<u64>,
    /// Flash deals on now.
    pub deals: Vec<DealStatus>,
    /// The auction on now.
    pub auction: Option<AuctionCardStatus>,
    /// Each catalog product's stock now (None: not tracked).
    pub stock: Vec<Option<u32>>,
    /// Pictures drawn so far and the last one's time (data → pixels).
    pub draws: u64,
    pub last_draw_ms: f64,
}

/// Why a graphics command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphicsError {
    #[error("no product `{0}`: the show has no catalog (add [products] catalog = \"FILE\")")]
    NoCatalog(String),
    #[error("no product with code or id `{asked}` (the catalog has {codes})")]
    UnknownProduct { asked: String, codes: String },
    #[error("no product to feature: the show has no catalog")]
    NothingToFeature,
    #[error("countdown of {0} s: use 1 s to 24 h")]
    CountdownLength(u64),
    #[error("banner text is empty")]
    EmptyBanner,
}

pub struct Overlays {
    canvases: Vec<(u32, u32)>,
    /// Compositor source slot of the first graphic (kind-major, then canvas).
    first_source: usize,
    setup: GraphicsSetup,
    painter: Painter,
    slots: Vec<Slot>,
    featured: Option<usize>,
    seq: u64,
    events: Arc<Events>,
    /// Flash deals on now (the claims ledger's, on the show clock).
    deals: Vec<CardDeal>,
    /// The auction on now (the chat's, on the show clock).
    auction: Option<CardAuction>,
}

/// An auction as the card shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CardAuction {
    pub id: u64,
    pub product_id: String,
    /// The leading bid, or the start price.
    pub price: crate::products::price::Money,
    pub leader: Option<String>,
    pub bids: usize,
    /// Show-clock time it ends (a snipe moves it).
    pub ends_ns: u64,
}

/// The auction on now, for snapshots.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuctionCardStatus {
    pub id: u64,
    pub product: String,
    /// The leading bid (or the start price) as a decimal.
    pub price: String,
    pub leader: Option<String>,
    pub bids: usize,
    pub left_s: u64,
}

/// A flash deal as the card shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CardDeal {
    pub product_id: String,
    pub price: crate::products::price::Money,
    /// Show-clock time it ends.
    pub ends_ns: u64,
    /// Units left at the deal price (None: no cap).
    pub left: Option<u32>,
}

/// A flash deal on now, for snapshots.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DealStatus {
    pub product: String,
    /// The deal's price as a decimal.
    pub price: String,
    pub left_s: u64,
    pub units_left: Option<u32>,
}

fn ease_out(p: f32) -> f32 {
    1.0 - (1.0 - p).powi(3)
}

impl Overlays {
    pub fn new(setup: GraphicsSetup, canvases: Vec<(u32, u32)>, first_source: usize, events: Arc<Events>) -> Self {
        // The show check refuses a bad locale; this only guards library use.
        let prices = PriceFormatter::new(&setup.locale)
            .inspect_err(|e| tracing::warn!("prices: {e}; using en-US"))
            .or_else(|_| PriceFormatter::new("en-US"))
            .expect("en-US price data is compiled in");
        Overlays {
            slots: KINDS
                .iter()
                .map(|_| Slot {
                    rasters: canvases.iter().map(|_| None).collect(),
                    ..Slot::default()
                })
                .collect(),
            canvases,
            first_source,
            painter: Painter::new(setup.template.clone(), setup.catalog_dir.clone(), prices),
            setup,
            featured: None,
            seq: 0,
            events,
            deals: Vec::new(),
            auction: None,
        }
    }

    /// Compositor source slots the graphics need.
    pub fn slots_needed(canvases: usize) -> usize {
        KINDS.len() * canvases
    }

    fn product_index(&self, code_or_id: &str) -> Result<usize, GraphicsError> {
        let products = &self.setup.catalog.products;
        products
            .iter()
            .position(|p| p.code.eq_ignore_ascii_case(code_or_id) || p.id == code_or_id)
            .ok_or_else(|| {
                if products.is_empty() {
                    GraphicsError::NoCatalog(code_or_id.to_string())
                } else {
                    GraphicsError::UnknownProduct {
                        asked: code_or_id.to_string(),
                        codes: products.iter().map(|p| p.code.as_str()).collect::<Vec<_>>().join(", "),
                    }
                }
            })
    }

    /// A mark on every canvas, above every graphic, that no graphics
    /// command takes off ("REHEARSAL"); None: none.
    pub fn set_mark(&mut self, words: Option<String>, now_ns: u64) {
        match words {
            Some(w) => self.put_on(Kind::Mark, Content::Mark(w), now_ns),
            None => {
                self.take_off(Kind::Mark, now_ns);
            }
        }
    }

    fn put_on(&mut self, kind: Kind, content: Content, now_ns: u64) {
        let slot = &mut self.slots[kind as usize];
        // Already on air: the new content replaces it in place.
        if !(slot.showing && slot.content.is_some()) {
            slot.since_ns = now_ns;
        }
        slot.showing = true;
        slot.content = Some(content);
    }

    fn take_off(&mut self, kind: Kind, now_ns: u64) -> bool {
        let slot = &mut self.slots[kind as usize];
        if !slot.showing {
            return false;
        }
        slot.showing = false;
        slot.since_ns = now_ns;
        true
    }

    /// Applies a command at show-clock time `now_ns`; every change on air
    /// goes to the event log.
    pub fn apply(&mut self, cmd: &GraphicsCommand, now_ns: u64) -> Result<(), GraphicsError> {
        use GraphicsCommand as G;
        let n = self.setup.catalog.products.len();
        match cmd {
            G::Feature(code) => {
                let i = self.product_index(code)?;
                self.feature(i, now_ns);
            }
            G::NextProduct | G::PreviousProduct => {
                if n == 0 {
                    return Err(GraphicsError::NothingToFeature);
                }
                let i = match (self.featured, cmd) {
                    (None, G::NextProduct) => 0,
                    (None, _) => n - 1,
                    (Some(i), G::NextProduct) => (i + 1) % n,
                    (Some(i), _) => (i + n - 1) % n,
                };
                self.feature(i, now_ns);
            }
            G::HideProduct => {
                if self.take_off(Kind::Card, now_ns) {
                    let code = self
                        .featured
                        .take()
                        .map(|i| self.setup.catalog.products[i].code.clone());
                    self.log(
                        now_ns,
                        Event::Hide {
                            graphic: "card".into(),
                            product: code,
                        },
                    );
                }
            }
            G::StartCountdown { seconds, label } => {
                if *seconds == 0 || *seconds > 24 * 3600 {
                    return Err(GraphicsError::CountdownLength(*seconds));
                }
                let label = label
                    .clone()
                    .unwrap_or_else(|| self.setup.template.words.deal_ends.clone());
                self.log(
                    now_ns,
                    Event::Countdown {
                        seconds: *seconds,
                        label: label.clone(),
                    },
                );
                let ends_ns = now_ns + seconds * 1_000_000_000;
                self.put_on(Kind::Countdown, Content::Countdown { label, ends_ns }, now_ns);
            }
            G::StopCountdown => self.hide_logged(Kind::Countdown, "countdown", now_ns),
            G::LowerThird { name, title } => {
                self.log(
                    now_ns,
                    Event::LowerThird {
                        name: name.clone(),
                        title: title.clone(),
                    },
                );
                let content = Content::LowerThird {
                    name: name.clone(),
                    title: title.clone(),
                };
                self.put_on(Kind::LowerThird, content, now_ns);
            }
            G::HideLowerThird => self.hide_logged(Kind::LowerThird, "lower_third", now_ns),
            G::Banner(text) => {
                if text.trim().is_empty() {
                    return Err(GraphicsError::EmptyBanner);
                }
                self.log(now_ns, Event::Banner { text: text.clone() });
                self.put_on(Kind::Banner, Content::Banner(text.clone()), now_ns);
            }
            G::HideBanner => self.hide_logged(Kind::Banner, "banner", now_ns),
            G::FeatureComment { author, platform, text } => {
                self.log(
                    now_ns,
                    Event::Comment {
                        author: author.clone(),
                        platform: platform.clone(),
                        text: text.clone(),
                    },
                );
                let content = Content::Comment {
                    author: author.clone(),
                    platform: platform.clone(),
                    text: text.clone(),
                };
                self.put_on(Kind::Comment, content, now_ns);
            }
            G::HideComment => self.hide_logged(Kind::Comment, "comment", now_ns),
        }
        Ok(())
    }

    fn feature(&mut self, i: usize, now_ns: u64) {
        self.featured = Some(i);
        let p = &self.setup.catalog.products[i];
        self.log(
            now_ns,
            Event::Feature {
                product: p.code.clone(),
                title: p.title.clone(),
            },
        );
        self.put_on(Kind::Card, Content::Card(i), now_ns);
    }

    fn hide_logged(&mut self, kind: Kind, name: &str, now_ns: u64) {
        if self.take_off(kind, now_ns) {
            self.log(
                now_ns,
                Event::Hide {
                    graphic: name.to_string(),
                    product: None,
                },
            );
        }
    }

    fn log(&self, now_ns: u64, event: Event) {
        self.events.emit(now_ns, event);
    }

    /// Takes stock and prices of the products `fresh` lists (matched by
    /// id, variants in order); the card on air re-draws if its product
    /// changed. Returns the claim codes of the products that changed.
    pub fn update_stock(&mut self, fresh: &Catalog, now_ns: u64) -> Vec<String> {
        let mut changed = Vec::new();
        for p in &mut self.setup.catalog.products {
            let Some(f) = fresh.products.iter().find(|f| f.id == p.id) else {
                continue;
            };
            let mut any = false;
            for (v, fv) in p.variants.iter_mut().zip(&f.variants) {
                if (v.stock, v.price, v.compare_at) != (fv.stock, fv.price, fv.compare_at) {
                    (v.stock, v.price, v.compare_at) = (fv.stock, fv.price, fv.compare_at);
                    any = true;
                }
            }
            if any {
                changed.push(p.code.clone());
            }
        }
        if !changed.is_empty() {
            self.log(
                now_ns,
                Event::Stock {
                    products: changed.clone(),
                },
            );
        }
        changed
    }

    /// The flash deals on now, as the claims ledger has them; a deal no
    /// longer among them is over (its card shows the regular price again).
    pub fn set_deals(&mut self, deals: Vec<CardDeal>, now_ns: u64) {
        let gone: Vec<String> = self
            .deals
            .iter()
            .filter(|d| !deals.iter().any(|n| n.product_id == d.product_id))
            .map(|d| d.product_id.clone())
            .collect();
        self.deals = deals;
        for id in gone {
            self.deal_ended(&id, now_ns);
        }
    }

    /// The auction on now, as the chat has it (None: none open).
    pub fn set_auction(&mut self, auction: Option<CardAuction>) {
        self.auction = auction;
    }

    fn auction_of(&self, product: usize) -> Option<&CardAuction> {
        let id = &self.setup.catalog.products.get(product)?.id;
        self.auction.as_ref().filter(|a| &a.product_id == id)
    }

    fn deal_ended(&self, product_id: &str, at_ns: u64) {
        if let Some(p) = self.setup.catalog.products.iter().find(|p| p.id == product_id) {
            self.log(
                at_ns,
                Event::DealEnded {
                    product: p.code.clone(),
                },
            );
        }
    }

    /// Deals whose time ran out come off by themselves.
    fn expire_deals(&mut self, now_ns: u64) {
        let (over, on): (Vec<CardDeal>, Vec<CardDeal>) = self.deals.drain(..).partition(|d| now_ns >= d.ends_ns);
        self.deals = on;
        for d in over {
            self.deal_ended(&d.product_id, d.ends_ns);
        }
    }

    fn deal_of(&self, product: usize) -> Option<&CardDeal> {
        let id = &self.setup.catalog.products.get(product)?.id;
        self.deals.iter().find(|d| &d.product_id == id)
    }

    /// 0.0 (off) – 1.0 (fully on) for a slot at `now_ns`.
    fn progress(&self, slot: &Slot, now_ns: u64) -> f32 {
        let a = &self.setup.template.animation;
        let p = if a.kind == AnimationKind::None || a.duration_ms == 0 {
            1.0
        } else {
            (now_ns.saturating_sub(slot.since_ns) as f64 / (a.duration_ms as f64 * 1e6)).min(1.0) as f32
        };
        if slot.showing { p } else { 1.0 - p }
    }

    /// What a graphic shows at `now_ns`, as text: when it changes the
    /// picture is re-drawn.
    fn key(&self, content: &Content, now_ns: u64) -> String {
        match content {
            Content::Card(i) => {
                let p = &self.setup.catalog.products[*i];
                let prices = p
                    .variants
                    .first()
                    .map(|v| (v.price.minor, v.compare_at.map(|c| c.minor)));
                let deal = self
                    .deal_of(*i)
                    .map(|d| (d.price.minor, d.left, remaining_s(d.ends_ns, now_ns)));
                let auction = self
                    .auction_of(*i)
                    .map(|a| (a.price.minor, &a.leader, remaining_s(a.ends_ns, now_ns)));
                format!("{i}:{:?}:{prices:?}:{deal:?}:{auction:?}", stock(p))
            }
            Content::Countdown { ends_ns, label } => format!("{label}:{}", remaining_s(*ends_ns, now_ns)),
            other => format!("{other:?}"),
        }
    }

    /// What the painter draws for `content` at `now_ns` (a copy).
    fn drawing(&self, content: &Content, now_ns: u64) -> Drawing {
        match content {
            Content::Card(i) => {
                let mut p = self.setup.catalog.products[*i].clone();
                let deal = self.deal_of(*i).map(|d| {
                    // The deal's price, the regular one struck through.
                    for v in &mut p.variants {
                        v.compare_at = Some(v.compare_at.filter(|c| c.minor > v.price.minor).unwrap_or(v.price));
                        v.price = d.price;
                    }
                    DealLine::Deal {
                        remaining_s: remaining_s(d.ends_ns, now_ns),
                        left: d.left,
                    }
                });
                // An auction's card: the leading bid is the price.
                let deal = match self.auction_of(*i) {
                    Some(a) => {
                        for v in &mut p.variants {
                            v.compare_at = None;
                            v.price = a.price;
                        }
                        Some(DealLine::Auction {
                            remaining_s: remaining_s(a.ends_ns, now_ns),
                            leader: a.leader.clone(),
                        })
                    }
                    None => deal,
                };
                Drawing::Card(Box::new(p), deal)
            }
            Content::LowerThird { name, title } => Drawing::LowerThird {
                name: name.clone(),
                title: title.clone(),
            },
            Content::Countdown { label, ends_ns } => Drawing::Countdown {
                label: label.clone(),
                remaining_s: remaining_s(*ends_ns, now_ns),
            },
            Content::Banner(words) => Drawing::Banner(words.clone()),
            Content::Mark(words) => Drawing::Mark(words.clone()),
            Content::Comment { author, platform, text } => Drawing::Comment {
                author: author.clone(),
                platform: platform.clone(),
                text: text.clone(),
            },
        }
    }

    /// The graphics layers of canvas `canvas` at `now_ns`, and the pictures
    /// the compositor must upload first: (source slot, sequence, frame).
    pub fn frame(&mut self, canvas: usize, now_ns: u64) -> (SceneSpec, Vec<(usize, u64, VideoFrame)>) {
        let size = self.canvases[canvas];
        let mut layers = Vec::new();
        let mut uploads = Vec::new();
        self.expire_countdown(now_ns);
        self.expire_deals(now_ns);
        for kind in KINDS {
            let k = kind as usize;
            let Some(content) = self.slots[k].content.clone() else {
                continue;
            };
            let p = self.progress(&self.slots[k], now_ns);
            if !self.slots[k].showing && p <= 0.0 {
                self.slots[k].content = None;
                self.slots[k].rasters.iter_mut().for_each(|r| *r = None);
                continue;
            }
            let key = self.key(&content, now_ns);
            if self.slots[k].rasters[canvas].as_ref().is_none_or(|r| r.key != key)
                && let Some(p) = self
                    .painter
                    .get((k, canvas), &key, size, || self.drawing(&content, now_ns))
            {
                // Its first picture: the in-animation starts now, so a
                // picture slow to draw still slides (or fades) in whole.
                let slot = &mut self.slots[k];
                if slot.showing && slot.rasters.iter().all(Option::is_none) {
                    slot.since_ns = slot.since_ns.max(now_ns);
                }
                self.seq += 1;
                self.slots[k].rasters[canvas] = Some(Raster {
                    key: p.key,
                    seq: self.seq,
                    size: p.size,
                    frame: p.frame,
                    scroll: p.scroll,
                });
            }
            // Until its first picture is drawn a graphic is not shown; after
            // that the last picture stays up while the next is drawn.
            let Some(raster) = self.slots[k].rasters[canvas].as_ref() else {
                continue;
            };
            let p = self.progress(&self.slots[k], now_ns);
            let source = self.first_source + k * self.canvases.len() + canvas;
            uploads.push((source, raster.seq, raster.frame.clone()));
            let places = self.setup.template.places(size);
            let place = match kind {
                Kind::Card => places.card,
                Kind::LowerThird => places.lower_third,
                Kind::Countdown => places.countdown,
                Kind::Banner => places.banner,
                Kind::Comment => places.comment,
                Kind::Mark => MARK_PLACE,
            };
            let (mut w, h) = raster.size;
            let (x, y) = place.origin(size, h);
            // A ticker shows a banner-wide window of its strip, moving on
            // the show clock.
            let mut crop = crate::spec::Crop::default();
            if let Some(cycle) = raster.scroll {
                let window = place.width_px(size);
                let speed = TICKER_SPEED * cards::unit(size);
                let secs = now_ns.saturating_sub(self.slots[k].since_ns) as f64 / 1e9;
                let offset = (secs * speed as f64).round() as u64 % cycle as u64;
                crop.left = offset as f32 / w as f32;
                crop.right = 1.0 - (offset as f32 + window as f32) / w as f32;
                w = window;
            }
            let e = ease_out(p);
            let (dx, opacity) = match self.setup.template.animation.kind {
                AnimationKind::Slide => {
                    // In from the nearer side edge, out the same way.
                    let off = if x + w as i32 / 2 < size.0 as i32 / 2 {
                        -(x + w as i32)
                    } else {
                        size.0 as i32 - x
                    };
                    (((1.0 - e) * off as f32).round() as i32, 1.0)
                }
                AnimationKind::Fade => (0, e),
                AnimationKind::None => (0, 1.0),
            };
            let mut place_per_canvas = vec![None; self.canvases.len()];
            place_per_canvas[canvas] = Some(Rect {
                x: x + dx,
                y,
                width: w,
                height: h,
            });
            layers.push(LayerSpec {
                source,
                z: k as i32,
                opacity,
                crop,
                place: place_per_canvas,
                style: Style::default(),
                hidden: false,
            });
        }
        let scene = SceneSpec {
            id: "graphics".into(),
            layers,
        };
        (scene, uploads)
    }

    /// A countdown that ended goes off air after a short hold.
    fn expire_countdown(&mut self, now_ns: u64) {
        let slot = &self.slots[Kind::Countdown as usize];
        if let Some(Content::Countdown { ends_ns, .. }) = slot.content
            && slot.showing
            && now_ns >= ends_ns + ENDED_HOLD_NS
        {
            self.log(ends_ns, Event::CountdownEnded);
            self.take_off(Kind::Countdown, now_ns);
        }
    }

    /// `frame`, and once more after the painter has drawn what it asked
    /// for (at most 10 s): the layers with every picture in place. For
    /// benchmarks and tests that step the overlays by hand; the render loop
    /// never waits.
    pub fn frame_painted(&mut self, canvas: usize, now_ns: u64) -> (SceneSpec, Vec<(usize, u64, VideoFrame)>) {
        self.frame(canvas, now_ns);
        self.painter.wait_idle(std::time::Duration::from_secs(10));
        self.frame(canvas, now_ns)
    }

    pub fn status(&self, now_ns: u64) -> GraphicsStatus {
        let (draws, last_draw_ms) = self.painter.figures();
        let on_air = KINDS
            .iter()
            .filter(|k| self.slots[**k as usize].content.is_some() && self.slots[**k as usize].showing)
            .map(|k| k.name())
            .collect();
        let countdown_left_s = match &self.slots[Kind::Countdown as usize] {
            Slot {
                content: Some(Content::Countdown { ends_ns, .. }),
                showing: true,
                ..
            } => Some(remaining_s(*ends_ns, now_ns)),
            _ => None,
        };
        GraphicsStatus {
            featured: self
                .featured
                .filter(|_| self.slots[Kind::Card as usize].showing)
                .map(|i| self.setup.catalog.products[i].code.clone()),
            on_air,
            countdown_left_s,
            deals: self
                .deals
                .iter()
                .filter_map(|d| {
                    let p = self.setup.catalog.products.iter().find(|p| p.id == d.product_id)?;
                    Some(DealStatus {
                        product: p.code.clone(),
                        price: d.price.decimal(),
                        left_s: remaining_s(d.ends_ns, now_ns),
                        units_left: d.left,
                    })
                })
                .collect(),
            auction: self.auction.as_ref().and_then(|a| {
                let p = self.setup.catalog.products.iter().find(|p| p.id == a.product_id)?;
                Some(AuctionCardStatus {
                    id: a.id,
                    product: p.code.clone(),
                    price: a.price.decimal(),
                    leader: a.leader.clone(),
                    bids: a.bids,
                    left_s: remaining_s(a.ends_ns, now_ns),
                })
            }),
            stock: self.setup.catalog.products.iter().map(stock).collect(),
            draws,
            last_draw_ms,
        }
    }
}

fn stock(p: &Product) -> Option<u32> {
    super::painter::stock(p)
}

/// Whole seconds left, rounded up (a timer shows 00:01 until it ends).
fn remaining_s(ends_ns: u64, now_ns: u64) -> u64 {
    ends_ns.saturating_sub(now_ns).div_ceil(1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::products::catalog::import_csv;

    const S: u64 = 1_000_000_000;

    fn overlays(animation: &str) -> Overlays {
        crate::media::init().unwrap();
        let (catalog, problems) = import_csv(
            "id,code,title,price,currency,stock\na,A1,Shirt,39.00,USD,3\nb,B2,Mug,18.50,USD,\nc,C3,Cap,9.00,USD,0\n",
            "t.csv",
            None,
        );
        assert!(problems.is_empty(), "{problems:?}");
        let template = Template::parse(&format!("[animation]\n{animation}")).unwrap();
        let setup = GraphicsSetup {
            catalog,
            template,
            ..GraphicsSetup::default()
        };
        Overlays::new(setup, vec![(640, 360), (360, 640)], 7, Arc::new(Events::new()))
    }

    fn card_rect(o: &mut Overlays, canvas: usize, now: u64) -> Option<(Rect, f32, usize)> {
        let (scene, _) = o.frame_painted(canvas, now);
        scene
            .layers
            .iter()
            .find(|l| l.z == Kind::Card as i32)
            .map(|l| (l.place[canvas].unwrap(), l.opacity, l.source))
    }

    #[test]
    fn a_card_slides_in_from_off_canvas_and_out_again() {
        let mut o = overlays("kind = \"slide\"\nduration_ms = 400");
        o.apply(&GraphicsCommand::Feature("a1".into()), S).unwrap();
        let (start, _, source) = card_rect(&mut o, 0, S).unwrap();
        assert!(start.x >= 640, "starts beyond the right edge: {start:?}");
        assert_eq!(
            source,
            7 + Kind::Card as usize * 2,
            "first graphics slot, card, canvas 0"
        );
        let (end, opacity, _) = card_rect(&mut o, 0, S + S / 2).unwrap();
        let place = Template::default_template().landscape.card;
        assert_eq!(end.x, (place.x * 640.0).round() as i32);
        assert_eq!(opacity, 1.0);
        assert!(end.y + end.height as i32 <= (place.bottom.unwrap() * 360.0).round() as i32 + 1);
        // The portrait canvas has its own picture, sized for it.
        let (portrait, _, psource) = card_rect(&mut o, 1, S + S / 2).unwrap();
        assert_eq!(psource, source + 1);
        assert!(
            portrait.width > end.width / 2,
            "portrait card is not squeezed: {portrait:?} vs {end:?}"
        );
        o.apply(&GraphicsCommand::HideProduct, 2 * S).unwrap();
        assert!(card_rect(&mut o, 0, 2 * S + S / 10).is_some(), "animates out");
        assert!(card_rect(&mut o, 0, 3 * S).is_none(), "gone after the animation");
        assert_eq!(o.status(3 * S).featured, None);
    }

    #[test]
    fn fade_animates_opacity_and_none_is_immediate() {
        let mut o = overlays("kind = \"fade\"\nduration_ms = 1000");
        o.apply(&GraphicsCommand::Feature("B2".into()), 0).unwrap();
        // Its picture is there at 0: the fade starts then.
        assert_eq!(card_rect(&mut o, 0, 0).unwrap().1, 0.0);
        let (_, early, _) = card_rect(&mut o, 0, S / 10).unwrap();
        let (_, late, _) = card_rect(&mut o, 0, 2 * S).unwrap();
        assert!(early > 0.0 && early < 0.5, "{early}");
        assert_eq!(late, 1.0);
        let mut o = overlays("kind = \"none\"");
        o.apply(&GraphicsCommand::Feature("B2".into()), 0).unwrap();
        assert_eq!(card_rect(&mut o, 0, 0).unwrap().1, 1.0);
    }

    #[test]
    fn next_and_previous_wrap_and_unknown_products_are_named() {
        let mut o = overlays("kind = \"none\"");
        o.apply(&GraphicsCommand::NextProduct, 0).unwrap();
        assert_eq!(o.status(0).featured.as_deref(), Some("A1"));
        o.apply(&GraphicsCommand::PreviousProduct, 0).unwrap();
        assert_eq!(o.status(0).featured.as_deref(), Some("C3"));
        o.apply(&GraphicsCommand::NextProduct, 0).unwrap();
        assert_eq!(o.status(0).featured.as_deref(), Some("A1"));
        let e = o.apply(&GraphicsCommand::Feature("Q7".into()), 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no product with code or id `Q7` (the catalog has A1, B2, C3)"
        );
    }

    #[test]
    fn pictures_are_redrawn_only_when_what_they_show_changes() {
        let mut o = overlays("kind = \"none\"");
        o.apply(
            &GraphicsCommand::StartCountdown {
                seconds: 10,
                label: None,
            },
            0,
        )
        .unwrap();
        o.apply(&GraphicsCommand::Feature("A1".into()), 0).unwrap();
        let (_, first) = o.frame_painted(0, 0);
        assert_eq!(o.status(0).draws, 2, "countdown and card drawn once");
        // Ten frames within the same second: nothing is drawn again and the
        // uploads carry the same sequence numbers (the compositor skips them).
        for f in 1..10 {
            let (_, again) = o.frame_painted(0, f * S / 30);
            assert_eq!(
                again.iter().map(|u| u.1).collect::<Vec<_>>(),
                first.iter().map(|u| u.1).collect::<Vec<_>>()
            );
        }
        assert_eq!(o.status(0).draws, 2);
        o.frame_painted(0, S + 1);
        assert_eq!(o.status(S).draws, 3, "the next second re-draws the countdown only");
        assert_eq!(o.status(S + 1).countdown_left_s, Some(9));
        // Ended: holds at zero, then goes by itself.
        o.frame_painted(0, 11 * S);
        assert_eq!(o.status(11 * S).countdown_left_s, Some(0));
        o.frame_painted(0, 14 * S);
        assert!(!o.status(14 * S).on_air.contains(&"countdown"));
    }

    #[test]
    fn a_banner_too_long_for_its_place_scrolls_as_a_ticker() {
        let mut o = overlays("kind = \"none\"");
        let banner = |o: &mut Overlays, now| {
            let (scene, _) = o.frame_painted(0, now);
            let l = scene.layers.into_iter().find(|l| l.z == Kind::Banner as i32).unwrap();
            (l.place[0].unwrap(), l.crop)
        };
        o.apply(&GraphicsCommand::Banner("Free shipping today".into()), 0)
            .unwrap();
        let (rect, crop) = banner(&mut o, 0);
        assert_eq!(
            (rect.width, crop.left, crop.right),
            (640, 0.0, 0.0),
            "fits: a plain banner"
        );
        let long =
            "Free shipping on every order today · Comment SOLD and the code on the card to claim yours · ".repeat(2);
        o.apply(&GraphicsCommand::Banner(long), 0).unwrap();
        let (rect, first) = banner(&mut o, 0);
        assert_eq!(rect.width, 640, "the window keeps the banner's width");
        assert!(first.right > 0.0, "a window onto a longer strip: {first:?}");
        let (_, later) = banner(&mut o, S);
        assert!(later.left > first.left, "it moves: {first:?} → {later:?}");
        let width = |c: crate::spec::Crop| 1.0 - c.left - c.right;
        assert!((width(first) - width(later)).abs() < 1e-4, "the window keeps its size");
    }

    #[test]
    fn bad_commands_are_refused_with_the_reason() {
        let mut o = overlays("kind = \"none\"");
        let zero = GraphicsCommand::StartCountdown {
            seconds: 0,
            label: None,
        };
        assert_eq!(o.apply(&zero, 0).unwrap_err(), GraphicsError::CountdownLength(0));
        assert!(o.apply(&zero, 0).unwrap_err().to_string().contains("use 1 s to 24 h"));
        assert_eq!(
            o.apply(&GraphicsCommand::Banner("  ".into()), 0)
                .unwrap_err()
                .to_string(),
            "banner text is empty"
        );
        crate::media::init().unwrap();
        let mut empty = Overlays::new(GraphicsSetup::default(), vec![(640, 360)], 0, Arc::new(Events::new()));
        assert!(
            empty
                .apply(&GraphicsCommand::Feature("A1".into()), 0)
                .unwrap_err()
                .to_string()
                .contains("the show has no catalog")
        );
    }
}
