//! On-screen graphics: price cards, lower thirds, countdowns, banners and
//! featured comments. Drawn on the CPU (tiny-skia shapes, cosmic-text
//! text) into pixmaps only when their content changes, then composited on
//! the GPU as layers above program (`overlays`).

// The layers below (docs/ARCHITECTURE.md).
use showroom_base::events;
use showroom_media as media;
use showroom_products as products;
use showroom_spec as spec;

pub mod cards;
pub mod overlays;
pub mod paint;
pub mod painter;
pub mod template;
pub mod text;

pub use overlays::Overlays;
pub use template::Template;

/// What can be put on or taken off the air (engine command, show-file cue,
/// studio button).
#[derive(Debug, Clone, PartialEq)]
pub enum GraphicsCommand {
    /// Put a product's card on air, by claim code or id.
    Feature(String),
    HideProduct,
    NextProduct,
    PreviousProduct,
    /// A flash-deal timer counting down from `seconds`.
    StartCountdown {
        seconds: u64,
        label: Option<String>,
    },
    StopCountdown,
    LowerThird {
        name: String,
        title: String,
    },
    HideLowerThird,
    Banner(String),
    HideBanner,
    FeatureComment {
        author: String,
        platform: String,
        text: String,
    },
    HideComment,
}

/// The graphics, in the order they are drawn (bottom first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Banner = 0,
    LowerThird = 1,
    Comment = 2,
    Countdown = 3,
    Card = 4,
    /// The show's mode on every canvas ("REHEARSAL"): on top of the rest.
    Mark = 5,
}

pub const KINDS: [Kind; 6] = [
    Kind::Banner,
    Kind::LowerThird,
    Kind::Comment,
    Kind::Countdown,
    Kind::Card,
    Kind::Mark,
];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Banner => "banner",
            Kind::LowerThird => "lower third",
            Kind::Comment => "featured comment",
            Kind::Countdown => "countdown",
            Kind::Card => "price card",
            Kind::Mark => "rehearsal mark",
        }
    }
}
