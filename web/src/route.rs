//! Routes: one per algorithm, plus the home page.

use crate::pages::{Home, NotFound, Playground};
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Clone, Routable, PartialEq, Debug)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/messaging")]
    Messaging,
    #[at("/hashring")]
    Hashring,
    #[at("/transactions")]
    Transactions,
    #[at("/locks")]
    Locks,
    #[at("/raft")]
    Raft,
    #[not_found]
    #[at("/404")]
    NotFound,
}

impl Route {
    pub fn for_algorithm(name: &str) -> Route {
        match name {
            "messaging" => Route::Messaging,
            "hashring" => Route::Hashring,
            "transactions" => Route::Transactions,
            "locks" => Route::Locks,
            "raft" => Route::Raft,
            _ => Route::NotFound,
        }
    }
}

pub fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <Home /> },
        Route::Messaging => html! { <Playground algorithm="messaging" /> },
        Route::Hashring => html! { <Playground algorithm="hashring" /> },
        Route::Transactions => html! { <Playground algorithm="transactions" /> },
        Route::Locks => html! { <Playground algorithm="locks" /> },
        Route::Raft => html! { <Playground algorithm="raft" /> },
        Route::NotFound => html! { <NotFound /> },
    }
}
