//! dsplay-web: the browser front end of dsplay (Yew, client-side rendering).
//!
//! Each algorithm page is its own document and its own WebAssembly binary
//! (`src/bin/NAME.rs`, one line each), built from this library: the shared shell plus that
//! one algorithm. The home page is plain HTML (written by `cargo xtask dist`).
//!
//! - [`page`]: a page ([`page::Page`]: an algorithm, its view, its panel) and the shell
//!   around it; [`page::start`] mounts one.
//! - [`store`]: a page's state and the messages that change it.
//! - [`components`]: the shell every page shares (controls, event log, inspector,
//!   properties, fault palette, space-time diagram, share and export).
//! - [`views`]: each algorithm's own view and panel.

pub mod browser;
pub mod components;
pub mod math;
pub mod page;
pub mod panic;
pub mod store;
pub mod url;
pub mod views;

pub use page::{start, Page};
