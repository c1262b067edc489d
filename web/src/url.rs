//! The state in the address: `raft.html#scenario=ID&seed=N&step=N&actions=B64&embed`.
//!
//! Addresses from before each page had its own document name the page in the hash
//! (`index.html#/raft?scenario=...`); [`route`] reads them.
//!
//! `actions` is the JSON list of what people did (`[{"step":3,"action":{...}}]`) in
//! base64url without padding; an imported scenario travels whole in `custom=B64`. Reading
//! never fails as a whole: each bad part is reported by name and left out.

/// Where an address's hash belongs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// On this page, with this state part.
    Here(String),
    /// On another page: go to this address.
    Elsewhere(String),
}

/// Where the hash `hash` (with or without its `#`) belongs, seen from the page of the
/// algorithm `me`. `#scenario=...` is this page's state; an old `#/NAME?STATE` is this
/// page's when NAME is `me`, and otherwise goes to the home page, which knows every page
/// and sends it on (`index.html#/NAME?STATE`).
pub fn route(hash: &str, me: &str) -> Route {
    let h = hash.strip_prefix('#').unwrap_or(hash);
    match h.strip_prefix('/') {
        None => Route::Here(h.to_string()),
        Some(rest) => {
            let (name, query) = rest.split_once('?').unwrap_or((rest, ""));
            if name == me {
                Route::Here(query.to_string())
            } else if name.is_empty() {
                Route::Elsewhere("index.html".into())
            } else {
                Route::Elsewhere(format!("index.html#/{rest}"))
            }
        }
    }
}

/// What the query part of the hash says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UrlState {
    pub scenario: Option<String>,
    /// A whole scenario file (for imported scenarios).
    pub custom: Option<String>,
    pub seed: Option<u64>,
    pub step: Option<u64>,
    /// JSON text of the actions people did.
    pub actions: Option<String>,
    pub embed: bool,
}

impl UrlState {
    /// Parse `a=1&b=2` (the part after `?`). Returns the state and the problems found.
    pub fn parse(query: &str) -> (UrlState, Vec<String>) {
        let mut st = UrlState::default();
        let mut problems = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value);
            match key {
                "scenario" => st.scenario = Some(value),
                "custom" => match b64_decode(&value).and_then(|b| String::from_utf8(b).ok()) {
                    Some(s) => st.custom = Some(s),
                    None => problems.push("`custom` is not a valid encoded scenario".into()),
                },
                "seed" => match value.parse() {
                    Ok(n) => st.seed = Some(n),
                    Err(_) => problems.push(format!(
                        "`seed` must be a whole number, not `{}`",
                        quote(&value)
                    )),
                },
                "step" => match value.parse() {
                    Ok(n) => st.step = Some(n),
                    Err(_) => problems.push(format!(
                        "`step` must be a whole number, not `{}`",
                        quote(&value)
                    )),
                },
                "actions" => match b64_decode(&value).and_then(|b| String::from_utf8(b).ok()) {
                    Some(s) => st.actions = Some(s),
                    None => problems.push(
                        "`actions` is not valid (it should be base64url-encoded JSON)".into(),
                    ),
                },
                "embed" => st.embed = value.is_empty() || value == "1" || value == "true",
                other => problems.push(format!("unknown URL parameter `{}`", quote(other))),
            }
        }
        (st, problems)
    }

    /// The query string (without `?`), parts in a fixed order.
    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.scenario {
            parts.push(format!("scenario={}", percent_encode(s)));
        }
        if let Some(c) = &self.custom {
            parts.push(format!("custom={}", b64_encode(c.as_bytes())));
        }
        if let Some(n) = self.seed {
            parts.push(format!("seed={n}"));
        }
        if let Some(n) = self.step {
            parts.push(format!("step={n}"));
        }
        if let Some(a) = &self.actions {
            parts.push(format!("actions={}", b64_encode(a.as_bytes())));
        }
        if self.embed {
            parts.push("embed".into());
        }
        parts.join("&")
    }
}

/// What the address said, to quote in a message: cut in the middle when long.
pub fn quote(s: &str) -> String {
    dsplay_core::scenario::clip(s, 60)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64url without padding.
pub fn b64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Decode base64url (padding and standard `+/` accepted too). `None` if malformed.
pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // A lone sixth bit group cannot end a valid encoding.
    if bits >= 6 {
        return None;
    }
    Some(out)
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn old_addresses_find_their_page() {
        assert_eq!(
            route("#scenario=a&step=3", "raft"),
            Route::Here("scenario=a&step=3".into())
        );
        assert_eq!(route("", "raft"), Route::Here(String::new()));
        assert_eq!(
            route("#/raft?scenario=a&embed", "raft"),
            Route::Here("scenario=a&embed".into())
        );
        assert_eq!(route("#/raft", "raft"), Route::Here(String::new()));
        assert_eq!(
            route("#/messaging?scenario=m", "raft"),
            Route::Elsewhere("index.html#/messaging?scenario=m".into())
        );
        assert_eq!(route("#/", "raft"), Route::Elsewhere("index.html".into()));
    }

    #[wasm_bindgen_test]
    fn base64_round_trips() {
        for s in ["", "a", "ab", "abc", "abcd", "[{\"step\":3}]", "héllo ✓"] {
            assert_eq!(b64_decode(&b64_encode(s.as_bytes())).unwrap(), s.as_bytes());
        }
        assert_eq!(b64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(b64_encode(b"fo"), "Zm8");
        assert!(b64_decode("%%%").is_none());
    }

    #[wasm_bindgen_test]
    fn query_round_trips_and_reports_bad_parts() {
        let st = UrlState {
            scenario: Some("messaging-normal".into()),
            custom: None,
            seed: Some(7),
            step: Some(12),
            actions: Some("[{\"step\":1}]".into()),
            embed: true,
        };
        let (back, problems) = UrlState::parse(&st.to_query());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(back, st);
        let (st, problems) = UrlState::parse("scenario=x&step=abc&actions=%%%&zzz=1");
        assert_eq!(st.scenario.as_deref(), Some("x"));
        assert_eq!(st.step, None);
        assert_eq!(problems.len(), 3, "{problems:?}");
    }
}
