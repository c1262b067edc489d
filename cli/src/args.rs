//! A small hand-written argument parser: `--flag value`, `--flag=value`, switches,
//! positionals and `--` (everything after it is positional).

use crate::{quote, Failure};

/// One command-line item.
#[derive(Debug, PartialEq, Eq)]
pub enum Arg {
    /// `--name` or `-x` (with any `=value` held back for [`Parser::value`]).
    Flag(String),
    Positional(String),
}

pub struct Parser {
    /// The command, for error messages (`run`, `sweep`).
    cmd: &'static str,
    args: std::vec::IntoIter<String>,
    /// The `value` of a `--flag=value` just returned.
    inline: Option<String>,
    /// The flag last returned, for messages.
    last_flag: String,
    /// After `--`.
    positional_only: bool,
}

impl Parser {
    pub fn new(cmd: &'static str, args: Vec<String>) -> Self {
        Parser {
            cmd,
            args: args.into_iter(),
            inline: None,
            last_flag: String::new(),
            positional_only: false,
        }
    }

    /// The next item. Fails if the previous flag was a switch given a `=value`.
    pub fn next(&mut self) -> Result<Option<Arg>, Failure> {
        if let Some(v) = self.inline.take() {
            return Err(self.usage(format!(
                "{} takes no value (got `{}`)",
                quote(&self.last_flag),
                quote(&v)
            )));
        }
        let Some(a) = self.args.next() else {
            return Ok(None);
        };
        if self.positional_only {
            return Ok(Some(Arg::Positional(a)));
        }
        if a == "--" {
            self.positional_only = true;
            return self.next();
        }
        if let Some(rest) = a.strip_prefix("--") {
            let flag = match rest.split_once('=') {
                Some((name, value)) => {
                    self.inline = Some(value.to_string());
                    format!("--{name}")
                }
                None => a,
            };
            self.last_flag.clone_from(&flag);
            return Ok(Some(Arg::Flag(flag)));
        }
        if a.len() > 1 && a.starts_with('-') {
            self.last_flag.clone_from(&a);
            return Ok(Some(Arg::Flag(a)));
        }
        Ok(Some(Arg::Positional(a)))
    }

    /// The value of the flag just returned by [`Parser::next`].
    pub fn value(&mut self, flag: &str) -> Result<String, Failure> {
        if let Some(v) = self.inline.take() {
            return Ok(v);
        }
        match self.args.next() {
            Some(v) => Ok(v),
            None => Err(self.usage(format!("{flag} needs a value"))),
        }
    }

    /// A whole number given to `flag`.
    pub fn number(&mut self, flag: &str) -> Result<u64, Failure> {
        let v = self.value(flag)?;
        parse_u64(&v).ok_or_else(|| {
            self.usage(format!(
                "invalid value `{}` for {flag}: expected a whole number",
                quote(&v)
            ))
        })
    }

    /// An error about the command line, with a pointer to the command's help.
    pub fn usage(&self, msg: impl std::fmt::Display) -> Failure {
        Failure::Usage(format!("{msg} (see `dsplay {} --help`)", self.cmd))
    }

    pub fn unknown(&self, arg: &Arg) -> Failure {
        match arg {
            Arg::Flag(f) => self.usage(format!(
                "unknown option `{}` for `dsplay {}`",
                quote(f),
                self.cmd
            )),
            Arg::Positional(p) => self.usage(format!("unexpected argument `{}`", quote(p))),
        }
    }
}

/// A decimal `u64`, `_` allowed as a digit separator (`10_000`).
pub fn parse_u64(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || s.starts_with('_') || !s.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
        return None;
    }
    s.replace('_', "").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(v: &[&str]) -> Vec<Arg> {
        let mut p = Parser::new("run", v.iter().map(|s| s.to_string()).collect());
        let mut out = Vec::new();
        while let Some(a) = p.next().unwrap() {
            if a == Arg::Flag("--steps".into()) {
                out.push(Arg::Positional(p.value("--steps").unwrap()));
            } else {
                out.push(a);
            }
        }
        out
    }

    #[test]
    fn flags_values_and_positionals() {
        assert_eq!(
            items(&["a.json", "--steps", "5", "--steps=6", "--hash", "--", "--x"]),
            vec![
                Arg::Positional("a.json".into()),
                Arg::Positional("5".into()),
                Arg::Positional("6".into()),
                Arg::Flag("--hash".into()),
                Arg::Positional("--x".into()),
            ]
        );
    }

    #[test]
    fn switch_with_value_is_refused() {
        let mut p = Parser::new("run", vec!["--hash=yes".into()]);
        assert_eq!(p.next().unwrap(), Some(Arg::Flag("--hash".into())));
        assert!(p.next().is_err());
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_u64("10_000"), Some(10_000));
        assert_eq!(parse_u64("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64("18446744073709551616"), None);
        assert_eq!(parse_u64("-1"), None);
        assert_eq!(parse_u64("+1"), None);
        assert_eq!(parse_u64("1e3"), None);
        assert_eq!(parse_u64(""), None);
    }
}
