//! What a person sets on the page: a transaction's writes as typed, the page's numeric
//! options as typed, and the parameters with another number of participants.

use super::types::{Params, Writes, MAX_WRITES};
use crate::collections::VecMap;
use std::ops::RangeInclusive;

/// Parse what a person typed as a transaction's writes: `key=value` pairs separated by
/// commas, semicolons or spaces, with spaces allowed around `=` (`x = 1, y=2` and
/// `x=1 y=2` both work). Says what is wrong otherwise; the rules are those the
/// coordinator checks.
pub fn parse_writes(text: &str) -> Result<Writes, String> {
    // Glue each `=` to its neighbours, so that `x = 1` reads as `x=1`.
    let mut glued = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '=' {
            while glued.ends_with(char::is_whitespace) {
                glued.pop();
            }
        } else if c.is_whitespace() && glued.ends_with('=') {
            continue;
        }
        glued.push(c);
    }
    let mut w = Writes::new();
    for part in glued
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}` is not of the form key=value (e.g. x=1)"))?;
        if k.is_empty() || k.len() > 16 || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(format!("`{part}`: a key is 1 to 16 letters, digits or '_'"));
        }
        if v.contains('=') {
            return Err(format!("`{part}`: one '=' per pair (e.g. x=1, y=2)"));
        }
        if v.chars().count() > 16 {
            return Err(format!("`{part}`: a value is at most 16 characters"));
        }
        if w.insert(k.to_string(), v.to_string()).is_some() {
            return Err(format!("`{k}` is written twice: write each key once"));
        }
    }
    if w.is_empty() {
        return Err("write at least one value, e.g. x=1".into());
    }
    if w.len() > MAX_WRITES {
        return Err(format!("at most {MAX_WRITES} writes per transaction"));
    }
    Ok(w)
}

/// A number a person typed for one of the page's options, checked against its range. The
/// message names the option and what was typed (`Participants must be between 2 and 7
/// (not 9)`, `Timeout must be between 50 and 60000 ms (not empty)`).
pub fn parse_option(
    label: &str,
    text: &str,
    range: RangeInclusive<u64>,
    unit: &str,
) -> Result<u64, String> {
    let text = text.trim();
    match text.parse::<u64>() {
        Ok(x) if range.contains(&x) => Ok(x),
        parsed => Err(format!(
            "{label} must be between {} and {}{unit} (not {})",
            range.start(),
            range.end(),
            match parsed {
                Ok(x) => x.to_string(),
                Err(_) if text.is_empty() => "empty".to_string(),
                Err(_) => format!("`{text}`"),
            }
        )),
    }
}

impl Params {
    /// These parameters with `n` participants (`n1` to `nN`). The vote settings of the
    /// participants that no longer exist are left out; their names are returned, in order.
    /// (What a scenario's script and network say about them is fitted by
    /// [`crate::scenario::Scenario::with_params`].)
    pub fn with_participants(&self, n: u32) -> (Params, Vec<String>) {
        let exists = |name: &str| {
            name.strip_prefix('n')
                .and_then(|i| i.parse::<u32>().ok())
                .is_some_and(|i| (1..=n).contains(&i))
        };
        let (votes, dropped): (VecMap<_, _>, VecMap<_, _>) = self
            .votes
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .partition(|(k, _)| exists(k));
        let params = Params {
            participants: n,
            votes,
            ..self.clone()
        };
        (params, dropped.into_keys().collect())
    }
}
