//! Products: the catalog (CSV and JSON import), prices in the viewer's
//! format. Cards that show them are in `graphics`.

// The layers below (docs/ARCHITECTURE.md).
use showroom_base::{hint, session, shutdown};

pub mod catalog;
pub mod images;
pub mod json;
pub mod price;
pub mod refresh;
pub mod shopify;
