//! The root component: the router over the pages.

use crate::route::{switch, Route};
use yew::prelude::*;
use yew_router::prelude::*;

/// The whole app. Hash routing (`#/messaging`) so the built files work from any folder,
/// offline, and inside an iframe.
#[function_component(App)]
pub fn app() -> Html {
    html! {
        <HashRouter>
            <Switch<Route> render={switch} />
        </HashRouter>
    }
}
