//! dsplay-web: the browser front end of dsplay (Yew, client-side rendering).
//!
//! - [`store`]: the playground state (a loaded scenario behind the core's `Session` facade,
//!   playback settings) and its reducer.
//! - [`components`]: the shell every algorithm page shares (controls, event log,
//!   inspector, invariants, the cluster drawing).
//! - [`views`]: each algorithm's own view.
//! - [`pages`], [`route`], [`app`]: the pages, the routes and the root component.

pub mod app;
pub mod browser;
pub mod components;
pub mod pages;
pub mod panic;
pub mod route;
pub mod store;
pub mod url;
pub mod views;

pub use app::App;

/// Mounts [`App`] into the element with id `app` (removing the loading message in it),
/// or into `<body>` when there is no such element.
pub fn start() {
    let document = gloo::utils::document();
    match document.get_element_by_id("app") {
        Some(root) => {
            root.set_text_content(None);
            yew::Renderer::<App>::with_root(root).render();
        }
        None => {
            yew::Renderer::<App>::new().render();
        }
    }
}
