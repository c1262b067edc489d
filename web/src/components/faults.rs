//! Placeholder: replaced by the real component.

use yew::prelude::*;

#[function_component(FaultPalette)]
pub fn faults_component() -> Html {
    html! {}
}
