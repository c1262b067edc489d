//! Generated inputs for the fuzz tests (core/tests/fuzz.rs, cli/tests/fuzz.rs and
//! web/tests/fuzz.rs include this file): mutations of real inputs, not only random bytes.
//!
//! A JSON input starts from a real one (a built-in scenario, an action list) and gets one
//! to a few changes, each somewhere in its tree: a value of the wrong type, a huge or odd
//! number, a string of strange characters, a field removed, an unknown field, a subtree from
//! another input (another algorithm's parameters, another scenario's actions), deep
//! nesting, an array repeated many times; then sometimes the text itself is cut short or
//! spliced. Everything comes from one seeded generator, so a failing input is found again
//! from its seed and number.
#![allow(dead_code)]

use serde_json::{json, Map, Value};

/// splitmix64: small, fast, the same everywhere (wasm too).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.u64() % n as u64) as usize
        }
    }

    /// True `num` times in `den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.u64() % den < num
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Mostly small, sometimes larger: 1, 2, 3 ... up to `max`.
    pub fn small(&mut self, max: usize) -> usize {
        let mut n = 1;
        while n < max && self.chance(1, 2) {
            n += 1 + self.below(n);
        }
        n.min(max)
    }
}

/// The seed of a fuzz run: `DSPLAY_FUZZ_SEED` if set, else a fixed one.
pub fn seed_from_env(default: u64) -> u64 {
    std::env::var("DSPLAY_FUZZ_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

/// The seed of input `i` of a run seeded `seed`: each input is made on its own, so one can
/// be made again alone.
pub fn input_seed(seed: u64, i: u64) -> u64 {
    Rng::new(seed ^ i.wrapping_mul(0xA24B_AED4_963E_E407)).u64()
}

/// Node names of every algorithm, and some that no scenario has.
pub const NAMES: &[&str] = &[
    "n1", "n2", "n3", "n4", "n5", "n9", "n10", "n0", "n65", "broker", "coord", "lock", "storage",
    "c1", "c2", "c9", "c0", "", " n1", "N1", "n1 ", "n-1", "n1\u{0}", "ñ",
];

/// Numbers at and around the limits the code checks, and some that do not fit.
pub fn odd_number(rng: &mut Rng) -> Value {
    const INTS: &[i128] = &[
        0,
        1,
        2,
        3,
        4,
        5,
        7,
        8,
        9,
        10,
        16,
        20,
        30,
        49,
        50,
        64,
        65,
        100,
        255,
        256,
        500,
        501,
        1000,
        5000,
        10_000,
        10_001,
        60_000,
        60_001,
        65_535,
        86_400_000,
        3_600_000,
        3_600_001,
        10_000_000,
        10_000_001,
        2_147_483_647,
        2_147_483_648,
        4_294_967_295,
        4_294_967_296,
        9_007_199_254_740_992,
        9_007_199_254_740_993,
        9_223_372_036_854_775_807,
        18_446_744_073_709_551_615,
        -1,
        -2,
        -9_223_372_036_854_775_808,
    ];
    match rng.below(6) {
        0..=2 => {
            let n = *rng.pick(INTS);
            if n < 0 {
                json!(n as i64)
            } else {
                json!(n as u64)
            }
        }
        3 => {
            const FLOATS: &[f64] = &[
                0.5, 0.999_999, 1.000_001, 1.5, -0.0, -0.5, 1e-300, 1e19, 1e300, -1e300, 2.5e9,
                0.1, 100.25,
            ];
            json!(*rng.pick(FLOATS))
        }
        4 => json!(rng.u64()),
        _ => json!(rng.below(200)),
    }
}

/// Strings that break assumptions: empty, long, control characters, right-to-left marks,
/// emoji, characters that mean something in a URL or in JSON, names, numbers as text.
pub fn odd_string(rng: &mut Rng) -> String {
    const STRS: &[&str] = &[
        "",
        " ",
        "x",
        "0",
        "-1",
        "1e3",
        "18446744073709551616",
        "true",
        "null",
        "[]",
        "{}",
        "ñandú",
        "日本語",
        "🦀🦀",
        "e\u{301}",
        "\u{202E}olleh",
        "\u{FEFF}bom",
        "\u{0}",
        "a\nb",
        "\t",
        "\\",
        "\"",
        "%",
        "%zz",
        "%00",
        "&",
        "=",
        "#",
        "?",
        "/",
        "+",
        "a&b=c",
        "heal",
        "crash",
        "partition",
        "acquire",
        "random",
        "none",
        "crashes,loss",
        "..",
        "0..3",
    ];
    match rng.below(10) {
        0..=5 => rng.pick(STRS).to_string(),
        6 => rng.pick(NAMES).to_string(),
        7 => {
            // Long: tens of thousands of characters.
            let unit = rng.pick(&["a", "é", "🦀", "n1,"]).to_string();
            unit.repeat(1 + rng.below(70_000 / unit.len()))
        }
        8 => (0..rng.small(12))
            .map(|_| char::from_u32(rng.below(0x3000) as u32).unwrap_or('?'))
            .collect(),
        _ => format!("{}", rng.u64()),
    }
}

/// A value of any type, odd ones first.
pub fn odd_value(rng: &mut Rng) -> Value {
    match rng.below(9) {
        0..=2 => odd_number(rng),
        3..=4 => Value::String(odd_string(rng)),
        5 => Value::Bool(rng.chance(1, 2)),
        6 => Value::Null,
        7 => json!([]),
        _ => json!({}),
    }
}

/// Walk down from `v` to a random place in the tree (the root included).
fn random_place<'a>(rng: &mut Rng, v: &'a mut Value) -> &'a mut Value {
    let mut here = v;
    let mut depth = 0;
    loop {
        let n = match &*here {
            Value::Array(a) => a.len(),
            Value::Object(o) => o.len(),
            _ => 0,
        };
        // Rarely the whole input: a changed part inside it reaches further.
        if n == 0 || rng.chance(1, if depth == 0 { 24 } else { 3 }) {
            return here;
        }
        depth += 1;
        let i = rng.below(n);
        here = match here {
            Value::Array(a) => &mut a[i],
            Value::Object(o) => o.values_mut().nth(i).expect("in range"),
            _ => unreachable!(),
        };
    }
}

/// A copy of a random subtree of one of `donors`.
fn donor_part(rng: &mut Rng, donors: &[Value]) -> Value {
    if donors.is_empty() {
        return odd_value(rng);
    }
    let mut d = rng.pick(donors).clone();
    random_place(rng, &mut d).clone()
}

/// One change somewhere in `v`.
pub fn mutate_value(rng: &mut Rng, v: &mut Value, donors: &[Value]) {
    let place = random_place(rng, v);
    match rng.below(16) {
        // A value of another type or an odd one of the same.
        0..=2 => *place = odd_value(rng),
        3 => {
            if let Value::Number(_) = place {
                *place = odd_number(rng);
            } else {
                *place = Value::String(odd_string(rng));
            }
        }
        // A number nudged.
        4 => {
            if let Some(n) = place.as_i64() {
                let d = *rng.pick(&[-1i64, 1, 1000, -1000]);
                *place = json!(n.saturating_add(d));
            } else if let Some(n) = place.as_u64() {
                *place = json!(n.saturating_mul(2).saturating_add(1));
            } else if let Some(x) = place.as_f64() {
                *place = json!(x * -1.5);
            } else {
                *place = odd_number(rng);
            }
        }
        // A field removed, or an element.
        5 | 6 => match place {
            Value::Object(o) if !o.is_empty() => {
                let k = o.keys().nth(rng.below(o.len())).cloned().expect("in range");
                o.remove(&k);
            }
            Value::Array(a) if !a.is_empty() => {
                a.remove(rng.below(a.len()));
            }
            _ => *place = Value::Null,
        },
        // An unknown field, or a known field's name misspelt.
        7 => match place {
            Value::Object(o) => {
                let key = match (rng.chance(1, 2), o.keys().next().cloned()) {
                    (true, Some(k)) => {
                        let v = o.remove(&k).expect("present");
                        let typo = match rng.below(3) {
                            0 => k.to_uppercase(),
                            1 => format!("{k}s"),
                            _ => k.replace('_', "-"),
                        };
                        o.insert(typo, v);
                        return;
                    }
                    _ => odd_string(rng),
                };
                o.insert(key, odd_value(rng));
            }
            _ => *place = json!({ odd_string(rng): odd_value(rng) }),
        },
        // Another input's part here (another algorithm's parameters, another action).
        8..=10 => *place = donor_part(rng, donors),
        // Deep nesting.
        11 => {
            // (Past 128 levels, the JSON reader refuses the text.)
            let depth = match rng.below(3) {
                0 => 1 + rng.below(4),
                1 => 100 + rng.below(60),
                _ => 200 + rng.below(200),
            };
            let mut inner = std::mem::take(place);
            for _ in 0..depth {
                inner = if rng.chance(1, 2) {
                    Value::Array(vec![inner])
                } else {
                    let mut m = Map::new();
                    m.insert("a".into(), inner);
                    Value::Object(m)
                };
            }
            *place = inner;
        }
        // An array made long (an element repeated).
        12 => {
            if let Value::Array(a) = place {
                if let Some(first) = a.first().cloned() {
                    // Many of a small element, a few of a large one (inputs stay under
                    // about a megabyte).
                    let size = serde_json::to_string(&first).map_or(0, |t| t.len());
                    let times = if rng.chance(1, 8) {
                        5_000
                    } else {
                        rng.small(50)
                    };
                    a.extend(std::iter::repeat_n(
                        first,
                        times.min(1 + 200_000 / size.max(1)),
                    ));
                }
            } else {
                let size = serde_json::to_string(&*place).map_or(0, |t| t.len());
                let times = rng.small(20).min(1 + 200_000 / size.max(1));
                *place = Value::Array(vec![place.clone(); times]);
            }
        }
        // A name of a node, of this algorithm or not.
        13 => *place = Value::String(rng.pick(NAMES).to_string()),
        // Emptied.
        14 => {
            *place = match place {
                Value::Array(_) => json!([]),
                Value::Object(_) => json!({}),
                Value::String(_) => json!(""),
                _ => json!(0),
            }
        }
        // Arrays and objects traded.
        _ => {
            *place = match std::mem::take(place) {
                Value::Array(a) => Value::Object(
                    a.into_iter()
                        .enumerate()
                        .map(|(i, v)| (i.to_string(), v))
                        .collect(),
                ),
                Value::Object(o) => Value::Array(o.into_iter().map(|(_, v)| v).collect()),
                other => json!([other]),
            }
        }
    }
}

/// The nearest character boundary at or below `i`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One change to the text: cut short, a piece removed, repeated or inserted, a character
/// replaced.
pub fn mutate_text(rng: &mut Rng, s: &str) -> String {
    if s.is_empty() {
        return odd_string(rng);
    }
    let a = floor_boundary(s, rng.below(s.len() + 1));
    let b = floor_boundary(s, a + rng.below(s.len() - a + 1).min(64));
    match rng.below(6) {
        0 => s[..a].to_string(),
        1 => format!("{}{}", &s[..a], &s[b..]),
        2 => format!("{}{}{}", &s[..b], &s[a..b], &s[b..]),
        3 => format!("{}{}{}", &s[..a], odd_string(rng), &s[a..]),
        4 => {
            const JUNK: &[&str] = &[
                "{", "}", "[", "]", ",", ":", "\"", "\\", "-", "0", "e9", "\u{0}", "é",
            ];
            format!("{}{}{}", &s[..a], rng.pick(JUNK), &s[b..])
        }
        _ => {
            // Digits become huge.
            let mut out = String::with_capacity(s.len() + 32);
            for (i, c) in s.char_indices() {
                out.push(c);
                if i == a && c.is_ascii_digit() {
                    out.push_str("99999999999999999999");
                }
            }
            out
        }
    }
}

/// An input made from `corpus`: one of its values changed one to a few times (with parts
/// of `donors`), written out, and sometimes changed as text as well.
pub fn json_input(rng: &mut Rng, corpus: &[Value], donors: &[Value]) -> String {
    let mut v = rng.pick(corpus).clone();
    let changes = if rng.chance(1, 10) { 0 } else { rng.small(6) };
    for _ in 0..changes {
        mutate_value(rng, &mut v, donors);
    }
    let mut text = if rng.chance(1, 4) {
        serde_json::to_string_pretty(&v)
    } else {
        serde_json::to_string(&v)
    }
    .expect("values serialize");
    if rng.chance(1, 4) {
        for _ in 0..rng.small(3) {
            text = mutate_text(rng, &text);
        }
    }
    text
}

/// Actions of every kind the kernel knows, with node names (each algorithm has some of
/// these names and not others).
pub fn action_examples() -> Vec<Value> {
    [
        r#""heal""#,
        r#"{"crash":{"node":"n1"}}"#,
        r#"{"restart":{"node":"n1"}}"#,
        r#"{"pause":{"node":"n2"}}"#,
        r#"{"resume":{"node":"n2"}}"#,
        r#"{"crash":{"node":"broker"}}"#,
        r#"{"crash":{"node":"coord"}}"#,
        r#"{"pause":{"node":"c1"}}"#,
        r#"{"crash":{"node":"lock"}}"#,
        r#"{"partition":{"groups":[["n1","n2"],["n3"]]}}"#,
        r#"{"partition":{"groups":[["c1"],["lock","storage"]]}}"#,
        r#"{"cut":{"a":"n1","b":"n2"}}"#,
        r#"{"network":{"latency":[1,5],"loss":0.5,"duplicate":0.25}}"#,
        r#"{"network":{}}"#,
        r#"{"link":{"from":"n1","to":"n2","latency":[10,20],"loss":1.0,"duplicate":0.0,"both":true}}"#,
        r#"{"drop_message":{"id":0}}"#,
        r#"{"drop_message":{"id":3}}"#,
        r#"{"delay_message":{"id":1,"by":500}}"#,
        r#"{"command":{"node":"n1","cmd":{"client":{"key":"x","value":"1"}}}}"#,
        r#"{"command":{"node":"n1","cmd":"timeout"}}"#,
        r#"{"command":{"node":"c1","cmd":"acquire"}}"#,
        r#"{"command":{"node":"c1","cmd":"release"}}"#,
        r#"{"command":{"node":"coord","cmd":{"begin":{"writes":{"x":"1"}}}}}"#,
        r#"{"command":{"node":"coord","cmd":{"add_node":{"node":"n5"}}}}"#,
        r#"{"command":{"node":"coord","cmd":{"lookup":{"key":"k0001"}}}}"#,
        r#"{"command":{"node":"n1","cmd":{"request":{"to":"n2","body":"ping"}}}}"#,
        r#"{"command":{"node":"n1","cmd":{"publish":{"topic":"news","body":"b"}}}}"#,
    ]
    .iter()
    .map(|s| serde_json::from_str(s).expect("examples are JSON"))
    .collect()
}

/// A list of actions people did as a link holds it (`[{"step":N,"action":...}]`), from
/// the examples, then changed like any input.
pub fn user_actions(rng: &mut Rng, donors: &[Value]) -> String {
    let examples = action_examples();
    let mut step = 0u64;
    let list: Vec<Value> = (0..rng.small(8))
        .map(|_| {
            step += rng.below(30) as u64;
            json!({ "step": step, "action": rng.pick(&examples).clone() })
        })
        .collect();
    let corpus = [Value::Array(list)];
    if rng.chance(1, 4) {
        serde_json::to_string(&corpus[0]).expect("values serialize")
    } else {
        json_input(rng, &corpus, donors)
    }
}

/// What a fuzz run found, printed at its end.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Default)]
pub struct Tally {
    /// Inputs that were taken, and that were refused with an error.
    pub taken: u64,
    pub refused: u64,
    /// Each error message (its first 100 characters, digits as `#`) and how often.
    pub errors: std::collections::BTreeMap<String, u64>,
    /// The longest error message, in characters.
    pub longest_error: usize,
}

#[cfg(not(target_arch = "wasm32"))]
impl Tally {
    pub fn error(&mut self, message: &str) {
        self.refused += 1;
        self.longest_error = self.longest_error.max(message.chars().count());
        let shape: String = message
            .chars()
            .take(100)
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect();
        *self.errors.entry(shape).or_default() += 1;
    }

    pub fn add(&mut self, other: Tally) {
        self.taken += other.taken;
        self.refused += other.refused;
        self.longest_error = self.longest_error.max(other.longest_error);
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
    }
}

/// Run `count` inputs: `make(i)` makes input `i` (from the run's seed), `check` runs it and
/// panics on anything wrong. Each input runs on a worker thread watched by this one: one
/// that takes longer than `limit` fails the run, naming it (a hang cannot go unnoticed).
/// Prints the count, the time and what was found; `DSPLAY_FUZZ_SEED` changes the seed and
/// `DSPLAY_FUZZ_ONLY=N` runs input N alone.
#[cfg(not(target_arch = "wasm32"))]
pub fn fuzz<I, M, C>(name: &str, count: u64, limit: std::time::Duration, make: M, check: C)
where
    I: std::fmt::Debug + Send + 'static,
    M: Fn(u64, &mut Rng) -> I + Send + Sync + 'static,
    C: Fn(&I, &mut Rng, &mut Tally) + Send + 'static,
{
    use std::sync::mpsc;
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    let seed = seed_from_env(0x5EED_F022);
    let make = Arc::new(make);
    let (tx, rx) = mpsc::channel::<(u64, Duration)>();
    let maker = make.clone();
    let worker = std::thread::Builder::new()
        .name(format!("fuzz {name}"))
        // The readers recurse through nested input; the thread's stack is not what is tested.
        .stack_size(64 << 20)
        .spawn(move || {
            let mut tally = Tally::default();
            // `DSPLAY_FUZZ_ONLY=N`: input N alone (to replay one that failed).
            let only: Option<u64> = std::env::var("DSPLAY_FUZZ_ONLY")
                .ok()
                .and_then(|s| s.trim().parse().ok());
            for i in 0..count {
                if only.is_some_and(|n| n != i) {
                    if tx.send((i, Duration::ZERO)).is_err() {
                        break;
                    }
                    continue;
                }
                let mut rng = Rng::new(input_seed(seed, i));
                let input = maker(i, &mut rng);
                let t = Instant::now();
                check(&input, &mut rng, &mut tally);
                if tx.send((i, t.elapsed())).is_err() {
                    break;
                }
            }
            tally
        })
        .expect("a worker thread");
    let start = Instant::now();
    let mut slowest = (Duration::ZERO, 0);
    let mut next = 0;
    while next < count {
        match rx.recv_timeout(limit) {
            Ok((i, took)) => {
                if took > slowest.0 {
                    slowest = (took, i);
                }
                next = i + 1;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let mut rng = Rng::new(input_seed(seed, next));
                let input = make(next, &mut rng);
                let shown = format!("{input:?}");
                panic!(
                    "fuzz {name}: input {next} (seed {seed}) took more than {limit:?}: {}",
                    shown.chars().take(2000).collect::<String>()
                );
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let tally = match worker.join() {
        Ok(t) => t,
        Err(_) => {
            let mut rng = Rng::new(input_seed(seed, next));
            let input = make(next, &mut rng);
            let shown = format!("{input:?}");
            panic!(
                "fuzz {name}: input {next} (seed {seed}) failed (above): {}",
                shown.chars().take(2000).collect::<String>()
            );
        }
    };
    let secs = start.elapsed().as_secs_f64();
    println!(
        "fuzz {name}: {count} inputs in {secs:.1} s (seed {seed}): {} taken, {} refused; slowest input {:.3} s (#{}); longest error {} characters",
        tally.taken,
        tally.refused,
        slowest.0.as_secs_f64(),
        slowest.1,
        tally.longest_error
    );
    if std::env::var_os("DSPLAY_FUZZ_ERRORS").is_some() {
        let mut common: Vec<_> = tally.errors.iter().collect();
        common.sort_by(|a, b| b.1.cmp(a.1));
        for (shape, n) in common.iter().take(60) {
            println!("  {n:>7}  {shape}");
        }
        println!("  ({} kinds of error)", tally.errors.len());
    }
}
