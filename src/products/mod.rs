//! Products: the catalog (CSV and JSON import), prices in the viewer's
//! format. Cards that show them are in `graphics`.

pub mod catalog;
pub mod images;
pub mod json;
pub mod price;
pub mod refresh;
pub mod shopify;
