//! The documents: one template for every algorithm page, and the home page.

use crate::dist::{Asset, Page};

/// What the home page says under its title (as the app said it).
const LEAD: &str = "The classic algorithms of distributed systems, running step by step. Step forward and back, crash a node, cut the network, and watch what the algorithm does next.";
const DESCRIPTION: &str =
    "dsplay: distributed-systems algorithms you can run step by step in the browser.";

/// `NAME.html`: the shell's and the page's stylesheets, the glue and the wasm preloaded, and
/// a module script that starts the page (the binary's `main` runs when `init` instantiates
/// the wasm). Relative addresses, so the site works from any folder.
pub fn page(page: &Page, css: &[&Asset], js: &Asset, wasm: &Asset) -> String {
    let title = esc(page.title);
    let links: String = css
        .iter()
        .map(|c| format!("    <link rel=\"stylesheet\" href=\"{}\">\n", c.href))
        .collect();
    format!(
        r##"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light dark">
    <meta name="description" content="{summary}">
    <title>{title} · dsplay</title>
    <!-- No favicon request: the page makes no request it does not need. -->
    <link rel="icon" href="data:,">
{links}    <link rel="modulepreload" href="{js}">
    <link rel="preload" href="{wasm}" as="fetch" type="application/wasm" crossorigin>
    <script type="module">
      import init from "./{js}";
      init({{ module_or_path: "{wasm}" }}).catch((e) => {{
        const p = document.querySelector("#app .loading");
        if (p) p.textContent = "{title} could not start: " + e;
        throw e;
      }});
    </script>
  </head>
  <body>
    <div id="app"><p class="loading" role="status">Loading {title}…</p></div>
    <noscript>
      <p class="noscript">dsplay runs its simulations in your browser with JavaScript and WebAssembly. Please enable JavaScript to use it.</p>
    </noscript>
  </body>
</html>
"##,
        summary = esc(page.summary),
        js = js.href,
        wasm = wasm.href,
    )
}

/// `index.html`: plain HTML and CSS, one card per page with its static preview. The link is
/// the title (its name is the text it shows, WCAG 2.5.3); it covers the whole card (home.css),
/// and the summary and the number of scenarios describe it. The one
/// script sends old addresses (`#/NAME?QUERY`, from before each page had its own
/// document) to `NAME.html#QUERY`, and says so when NAME is no page.
pub fn home(pages: &[Page], previews: &[String], css: &Asset) -> String {
    let cards: String = pages
        .iter()
        .zip(previews)
        .map(|(p, svg)| {
            let n = p.scenarios;
            format!(
                r#"        <li class="card">
          {svg}
          <h2><a href="{name}.html" aria-describedby="card-{name}-about card-{name}-count">{title}</a></h2>
          <p id="card-{name}-about">{summary}</p>
          <span class="muted" id="card-{name}-count">{n} {scenarios}</span>
        </li>
"#,
                name = p.name,
                svg = svg.trim().replace('\n', "\n          "),
                title = esc(p.title),
                summary = esc(p.summary),
                scenarios = if n == 1 { "scenario" } else { "scenarios" },
            )
        })
        .collect();
    let names: Vec<String> = pages.iter().map(|p| format!("\"{}\"", p.name)).collect();
    let list: Vec<String> = pages
        .iter()
        .map(|p| format!("<a href=\"{0}.html\">{0}</a>", p.name))
        .collect();
    format!(
        r##"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light dark">
    <meta name="description" content="{DESCRIPTION}">
    <title>dsplay</title>
    <!-- No favicon request: the page makes no request it does not need. -->
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="{css}">
    <script>
      // Old addresses: #/NAME?QUERY is now NAME.html#QUERY (also inside an iframe).
      (function () {{
        var pages = [{names}];
        function route() {{
          var m = /^#\/([^?]*)(?:\?(.*))?$/.exec(location.hash);
          if (!m || m[1] === "") return;
          if (pages.indexOf(m[1]) >= 0) {{
            location.replace(m[1] + ".html" + (m[2] ? "#" + m[2] : ""));
            return;
          }}
          var show = function () {{
            var name = m[1];
            try {{ name = decodeURIComponent(name); }} catch (e) {{}}
            document.getElementById("unknown-name").textContent = name;
            document.getElementById("unknown").hidden = false;
          }};
          if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", show);
          else show();
        }}
        route();
        addEventListener("hashchange", route);
      }})();
    </script>
  </head>
  <body>
    <main class="home">
      <header class="intro">
        <h1>dsplay</h1>
        <p class="lead">{LEAD}</p>
      </header>
      <p id="unknown" class="unknown" role="alert" hidden>There is no page called “<span id="unknown-name"></span>”. The pages are: {list}.</p>
      <ul class="cards" aria-label="Algorithms">
{cards}      </ul>
    </main>
  </body>
</html>
"##,
        css = css.href,
        names = names.join(", "),
        list = list.join(", "),
    )
}

/// Escape text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(esc(r#"a<b & "c"'"#), "a&lt;b &amp; &quot;c&quot;&#39;");
    }
}
