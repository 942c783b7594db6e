//! Products: prices in the viewer's format (groundwork for the products
//! issue; catalogs and on-screen cards build on it, none is on screen yet).

pub mod catalog;
pub mod price;
