//! The style sheets as the pages download them in release: comments dropped and white
//! space cut to what CSS needs. Nothing is renamed or merged, so what the browser applies is
//! what `static/*.css` says, and a release page can be checked against a dev one.

/// `css` without comments and without the white space that means nothing: around `{`, `}`,
/// `;`, `,` and `>`, before a `}` the last `;`, and runs of spaces, tabs and newlines
/// elsewhere (one space is kept where one was, as in `a .b` or `1px solid`). Quoted strings
/// are copied as they are.
pub fn minify(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    // A space seen and not yet written (written only if the next character needs it).
    let mut space = false;
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for d in chars.by_ref() {
                    if prev == '*' && d == '/' {
                        break;
                    }
                    prev = d;
                }
                space = true;
            }
            '"' | '\'' => {
                flush(&mut out, &mut space, c);
                out.push(c);
                let mut escaped = false;
                for d in chars.by_ref() {
                    out.push(d);
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == c {
                        break;
                    }
                }
            }
            c if c.is_whitespace() => space = true,
            '}' => {
                space = false;
                if out.ends_with(';') {
                    out.pop();
                }
                out.push('}');
            }
            '{' | ';' | ',' | '>' => {
                space = false;
                out.push(c);
                while chars.peek().is_some_and(|d| d.is_whitespace()) {
                    chars.next();
                }
            }
            _ => {
                flush(&mut out, &mut space, c);
                out.push(c);
            }
        }
    }
    out
}

/// Writes the pending space before `next` unless the character before it makes it useless.
fn flush(out: &mut String, space: &mut bool, next: char) {
    if std::mem::take(space) {
        let after_open = matches!(out.chars().last(), None | Some('{' | '}' | ';' | ',' | '>'));
        if !after_open && next != '!' {
            out.push(' ');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::minify;

    #[test]
    fn drops_comments_and_spaces_that_mean_nothing() {
        let css = "/* head */\n.a .b,\n.c > .d {\n  color: red;\n  margin: 0 auto !important;\n}\n\n@media (max-width: 40rem) {\n  .a { font: 12px \"Segoe UI\", serif; }\n}\n";
        assert_eq!(
            minify(css),
            ".a .b,.c>.d{color: red;margin: 0 auto!important}@media (max-width: 40rem){.a{font: 12px \"Segoe UI\",serif}}"
        );
    }

    #[test]
    fn keeps_spaces_that_change_a_selector_and_strings_whole() {
        assert_eq!(minify("a :hover {x:1}"), "a :hover{x:1}");
        assert_eq!(minify("a:hover {x:1}"), "a:hover{x:1}");
        assert_eq!(
            minify(".w::before { content: \"⚠  /* not a comment */ \"; }"),
            ".w::before{content: \"⚠  /* not a comment */ \"}"
        );
        assert_eq!(
            minify("input[aria-invalid=\"true\"] { b: 1 }"),
            "input[aria-invalid=\"true\"]{b: 1}"
        );
    }

    #[test]
    fn every_style_sheet_keeps_its_rules() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../static");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "css") {
                let css = std::fs::read_to_string(&path).unwrap();
                let small = minify(&css);
                let count = |s: &str, c: char| s.chars().filter(|&d| d == c).count();
                assert_eq!(count(&css, '{'), count(&small, '{'), "{}", path.display());
                assert_eq!(count(&css, '}'), count(&small, '}'), "{}", path.display());
                assert!(small.len() * 10 < css.len() * 9, "{}", path.display());
                assert!(!small.contains("/*"), "{}", path.display());
            }
        }
    }
}
