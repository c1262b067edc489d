//! What a person sets on the page: a transaction's writes as typed, and the page's options
//! applied to a scenario.

use super::types::{Writes, MAX_WRITES};

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

/// A scenario (JSON) with one of the page's options changed: `protocol` (`2pc`/`3pc`),
/// `participants` (2 to 7), `timeout` (50 to 60,000 ms) or `cooperative`. An out-of-range
/// value is refused with a message naming the option. With fewer participants, what the
/// scenario says about the ones that no longer exist is left out (scripted actions, links,
/// vote settings; a partition keeps its other members), and each omission is listed.
pub fn with_option(
    json: &str,
    field: &str,
    value: serde_json::Value,
) -> Result<(String, Vec<String>), String> {
    use serde_json::Value;
    let range = |label: &str, lo: u64, hi: u64, unit: &str| match value.as_u64() {
        Some(x) if (lo..=hi).contains(&x) => Ok(x),
        _ => Err(format!(
            "{label} must be between {lo} and {hi}{unit} (not {})",
            match &value {
                Value::String(s) if s.trim().is_empty() => "empty".to_string(),
                Value::String(s) => format!("`{s}`"),
                v => v.to_string(),
            }
        )),
    };
    let mut keep = 0;
    match field {
        "participants" => keep = range("Participants", 2, 7, "")?,
        "timeout" => {
            range("Timeout", 50, 60_000, " ms")?;
        }
        "protocol" if matches!(value.as_str(), Some("2pc" | "3pc")) => {}
        "protocol" => return Err("Protocol must be 2PC or 3PC".into()),
        "cooperative" if value.is_boolean() => {}
        "cooperative" => return Err("Cooperative termination is on or off".into()),
        _ => return Err(format!("there is no option `{field}`")),
    }
    let mut doc: Value =
        serde_json::from_str(json).map_err(|e| format!("cannot change {field}: {e}"))?;
    if !doc["params"].is_object() {
        doc["params"] = Value::Object(Default::default());
    }
    doc["params"][field] = value.clone();
    let mut dropped = Vec::new();
    if keep > 0 {
        let gone = |v: &Value| {
            v.as_str()
                .and_then(|s| s.strip_prefix('n'))
                .and_then(|s| s.parse::<u64>().ok())
                .is_some_and(|i| i > keep)
        };
        // (`get_mut`, not indexing: indexing would add the missing fields as nulls.)
        if let Some(votes) = doc["params"]
            .get_mut("votes")
            .and_then(Value::as_object_mut)
        {
            let names: Vec<String> = votes
                .keys()
                .filter(|k| gone(&Value::String(k.to_string())))
                .cloned()
                .collect();
            for k in names {
                votes.remove(&k);
                dropped.push(format!("the vote setting of {k}"));
            }
        }
        if let Some(links) = doc
            .get_mut("network")
            .and_then(|n| n.get_mut("links"))
            .and_then(Value::as_array_mut)
        {
            links.retain(|l| {
                let out = gone(&l["from"]) || gone(&l["to"]);
                if out {
                    dropped.push(format!(
                        "the link setting {} -> {}",
                        l["from"].as_str().unwrap_or("?"),
                        l["to"].as_str().unwrap_or("?")
                    ));
                }
                !out
            });
        }
        if let Some(actions) = doc.get_mut("actions").and_then(Value::as_array_mut) {
            actions.retain_mut(|a| {
                let when = match (a.get("at"), a.get("at_step")) {
                    (Some(Value::Number(t)), _) => format!("at t={t}"),
                    (_, Some(Value::Number(s))) => format!("at step {s}"),
                    _ => "scripted".to_string(),
                };
                let Some((kind, body)) = a
                    .get_mut("action")
                    .and_then(Value::as_object_mut)
                    .and_then(|o| o.iter_mut().next())
                else {
                    return true;
                };
                let kind = kind.clone();
                if let Some(groups) = body.get_mut("groups").and_then(Value::as_array_mut) {
                    let mut removed = Vec::new();
                    for g in groups.iter_mut() {
                        if let Some(g) = g.as_array_mut() {
                            g.retain(|n| {
                                let out = gone(n);
                                if out {
                                    removed.push(n.as_str().unwrap_or("?").to_string());
                                }
                                !out
                            });
                        }
                    }
                    groups.retain(|g| g.as_array().is_some_and(|g| !g.is_empty()));
                    if removed.is_empty() {
                        return true;
                    }
                    if groups.len() < 2 {
                        dropped.push(format!(
                            "the {kind} {when} (without {} it splits nothing)",
                            removed.join(", ")
                        ));
                        return false;
                    }
                    dropped.push(format!("{} from the {kind} {when}", removed.join(", ")));
                    return true;
                }
                let named: Vec<String> = ["node", "a", "b", "from", "to"]
                    .iter()
                    .filter_map(|k| body.get(*k))
                    .filter(|v| gone(v))
                    .map(|v| v.as_str().unwrap_or("?").to_string())
                    .collect();
                if named.is_empty() {
                    return true;
                }
                dropped.push(format!("the {kind} of {} {when}", named.join(", ")));
                false
            });
        }
    }
    Ok((doc.to_string(), dropped))
}
