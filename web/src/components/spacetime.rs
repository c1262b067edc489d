//! Placeholder: replaced by the real component.

use yew::prelude::*;

#[function_component(SpaceTime)]
pub fn spacetime_component() -> Html {
    html! {}
}
