//! What stackwright reads in rendered TypeScript (the CDK flavour): a syntax
//! check that brackets, strings, template literals, comments and regular
//! expressions are balanced; the jest tests named after controls; and the
//! acknowledgment table of `lib/compliance.ts`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::blueprint::RenderedFile;

/// Where a problem is, 1-based.
fn at(text: &str, offset: usize) -> String {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {col}")
}

/// Whether a `/` after this previous significant character (or keyword) starts
/// a regular expression rather than a division.
fn regex_may_follow(prev: Option<char>, word: &str) -> bool {
    match prev {
        None => true,
        Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '$' => matches!(
            word,
            "return"
                | "typeof"
                | "case"
                | "do"
                | "else"
                | "in"
                | "of"
                | "new"
                | "delete"
                | "void"
                | "throw"
                | "yield"
                | "await"
        ),
        Some(')') | Some(']') | Some('}') | Some('\'') | Some('"') | Some('`') => false,
        Some(_) => true,
    }
}

/// Checks that a TypeScript text is lexically balanced: every `(`, `[`, `{`
/// and `${` closes in order, and no string, template literal, comment or
/// regular expression is left open. Not a parser: it catches what a broken
/// template most often leaves behind (a missing brace, an unclosed quote).
pub fn check_balanced(text: &str) -> std::result::Result<(), String> {
    // Open brackets: (char, offset). A `${` in a template literal pushes '$'.
    let mut stack: Vec<(char, usize)> = Vec::new();
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    let mut prev: Option<char> = None;
    let mut word = String::new();
    // Inside a template literal (whose `${` is on the stack as '$') when the top is '`'.
    let close_of = |c: char| match c {
        '(' => ')',
        '[' => ']',
        '{' | '$' => '}',
        _ => '\0',
    };
    while i < bytes.len() {
        let (off, c) = bytes[i];
        let next = bytes.get(i + 1).map(|b| b.1);
        if matches!(stack.last(), Some(('`', _))) {
            // Template literal text.
            match c {
                '\\' => i += 2,
                '`' => {
                    stack.pop();
                    prev = Some('`');
                    i += 1;
                }
                '$' if next == Some('{') => {
                    stack.push(('$', off));
                    prev = Some('{');
                    i += 2;
                }
                _ => i += 1,
            }
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' || c == '$' {
            if !prev.is_some_and(|p| p.is_ascii_alphanumeric() || p == '_' || p == '$') {
                word.clear();
            }
            word.push(c);
            prev = Some(c);
            i += 1;
            continue;
        }
        match c {
            '/' if next == Some('/') => {
                while i < bytes.len() && bytes[i].1 != '\n' {
                    i += 1;
                }
                continue;
            }
            '/' if next == Some('*') => {
                let start = off;
                i += 2;
                loop {
                    match bytes.get(i) {
                        None => {
                            return Err(format!(
                                "comment opened at {} is never closed",
                                at(text, start)
                            ))
                        }
                        Some((_, '*')) if bytes.get(i + 1).map(|b| b.1) == Some('/') => {
                            i += 2;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                continue;
            }
            '/' if regex_may_follow(prev, &word) => {
                let start = off;
                let mut class = false;
                i += 1;
                loop {
                    match bytes.get(i).map(|b| b.1) {
                        None | Some('\n') => {
                            return Err(format!(
                                "regular expression opened at {} is never closed",
                                at(text, start)
                            ))
                        }
                        Some('\\') => i += 2,
                        Some('[') => {
                            class = true;
                            i += 1;
                        }
                        Some(']') => {
                            class = false;
                            i += 1;
                        }
                        Some('/') if !class => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                while bytes.get(i).is_some_and(|b| b.1.is_ascii_alphabetic()) {
                    i += 1;
                }
                prev = Some(')');
                continue;
            }
            '\'' | '"' => {
                let start = off;
                i += 1;
                loop {
                    match bytes.get(i).map(|b| b.1) {
                        None | Some('\n') => {
                            return Err(format!(
                                "string opened at {} is never closed on its line",
                                at(text, start)
                            ))
                        }
                        Some('\\') => i += 2,
                        Some(q) if q == c => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                prev = Some(c);
                continue;
            }
            '`' => {
                stack.push(('`', off));
                i += 1;
                continue;
            }
            '(' | '[' | '{' => stack.push((c, off)),
            ')' | ']' | '}' => match stack.pop() {
                Some((open, _)) if close_of(open) == c => {}
                Some((open, o)) => {
                    return Err(format!(
                        "`{c}` at {} does not close `{}` opened at {}",
                        at(text, off),
                        if open == '$' {
                            "${".to_string()
                        } else {
                            open.to_string()
                        },
                        at(text, o)
                    ))
                }
                None => return Err(format!("`{c}` at {} closes nothing", at(text, off))),
            },
            _ => {}
        }
        prev = Some(c);
        i += 1;
    }
    match stack.last() {
        None => Ok(()),
        Some(('`', o)) => Err(format!(
            "template literal opened at {} is never closed",
            at(text, *o)
        )),
        Some((open, o)) => Err(format!(
            "`{}` opened at {} is never closed",
            if *open == '$' {
                "${".to_string()
            } else {
                open.to_string()
            },
            at(text, *o)
        )),
    }
}

/// Jest tests named after controls (`test('test_net_03_…'`) in the rendered
/// `.ts` files under `test/`: control id → `file::name`.
pub fn jest_tests(files: &[RenderedFile]) -> BTreeMap<String, Vec<String>> {
    let mut tests: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in files
        .iter()
        .filter(|f| f.path.starts_with("test/") && f.path.ends_with(".ts"))
    {
        for line in std::str::from_utf8(&f.content).unwrap_or_default().lines() {
            let line = line.trim_start();
            let Some(rest) = ["test(", "it("].iter().find_map(|p| line.strip_prefix(p)) else {
                continue;
            };
            let Some(rest) = rest.strip_prefix(['\'', '"']) else {
                continue;
            };
            let Some(name) = rest.strip_prefix("test_") else {
                continue;
            };
            let func: String = name
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let mut parts = func.splitn(3, '_');
            let (Some(area), Some(num)) = (parts.next(), parts.next()) else {
                continue;
            };
            if !area.is_empty()
                && area.bytes().all(|b| b.is_ascii_alphabetic())
                && num.len() == 2
                && num.bytes().all(|b| b.is_ascii_digit())
            {
                tests
                    .entry(format!("{}-{num}", area.to_uppercase()))
                    .or_default()
                    .push(format!("{}::test_{func}", f.path));
            }
        }
    }
    tests
}

/// One line of an acknowledgment table: `nag('target', 'rule', 'reason'[, 'profile']),`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AckDoc {
    /// `nag`, `checkov` or `cfn-lint`.
    pub checker: String,
    pub target: String,
    pub rule: String,
    pub reason: String,
    /// The environment profile the entry is limited to, if any.
    pub profile: Option<String>,
    pub file: String,
}

/// The single-quoted string arguments of a call such as `nag('a', 'b')`,
/// with `\\` and `\'` unescaped; `None` unless the line is exactly that call.
fn quoted_args(rest: &str) -> Option<Vec<String>> {
    let mut args = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        if chars.next()? != '\'' {
            return None;
        }
        let mut s = String::new();
        loop {
            match chars.next()? {
                '\\' => s.push(chars.next()?),
                '\'' => break,
                c => s.push(c),
            }
        }
        args.push(s);
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        match chars.next()? {
            ',' => continue,
            ')' => break,
            _ => return None,
        }
    }
    let tail: String = chars.collect();
    matches!(tail.trim(), "" | "," | ";").then_some(args)
}

/// The acknowledgment and checker-skip entries of every rendered `.ts` file
/// under `lib/`, in file order.
pub fn acknowledgments(files: &[RenderedFile]) -> Vec<AckDoc> {
    let mut out = Vec::new();
    for f in files
        .iter()
        .filter(|f| f.path.starts_with("lib/") && f.path.ends_with(".ts"))
    {
        for line in std::str::from_utf8(&f.content).unwrap_or_default().lines() {
            let line = line.trim_start();
            let Some((checker, rest)) = [
                ("nag(", "nag"),
                ("checkov(", "checkov"),
                ("cfnLint(", "cfn-lint"),
            ]
            .iter()
            .find_map(|(p, name)| line.strip_prefix(p).map(|r| (*name, r))) else {
                continue;
            };
            let Some(args) = quoted_args(rest) else {
                continue;
            };
            if args.len() < 3 || args.len() > 4 {
                continue;
            }
            out.push(AckDoc {
                checker: checker.to_string(),
                target: args[0].clone(),
                rule: args[1].clone(),
                reason: args[2].clone(),
                profile: args.get(3).cloned(),
                file: f.path.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_typescript_passes() {
        let ok = "const a = { b: [1, 2], c: `x${y({ z: 1 })}w` };\n\
                  // a comment with ( and {\n\
                  /* block } */ const r = /[^}]+\\/(/g; const d = a / b / c;\n\
                  const s = 'it\\'s {'; const t = \"}\";\n\
                  if (x) { return /\\{([^}]+)\\}/.test(s); }\n";
        assert_eq!(check_balanced(ok), Ok(()));
    }

    #[test]
    fn unbalanced_typescript_is_located() {
        let missing = "class A {\n  f() {\n    return 1;\n}\n";
        let err = check_balanced(missing).unwrap_err();
        assert!(err.contains("line 1, column 9"), "{err}");
        let wrong = "const a = [1, 2);\n";
        assert!(check_balanced(wrong)
            .unwrap_err()
            .contains("does not close `[`"));
        assert!(check_balanced("const s = 'open;\n")
            .unwrap_err()
            .contains("string opened at line 1"));
        assert!(check_balanced("const t = `a ${b`;\n").is_err());
        assert!(check_balanced("/* never closed").is_err());
        assert!(check_balanced("}").unwrap_err().contains("closes nothing"));
    }

    fn file(path: &str, text: &str) -> RenderedFile {
        RenderedFile {
            path: path.into(),
            content: text.as_bytes().to_vec(),
            blueprint: "x".into(),
        }
    }

    #[test]
    fn jest_tests_are_found_by_control() {
        let files = [
            file("test/a.test.ts", "test('test_net_01_vpc', () => {});\n  it(\"test_sec_02_trail\", f);\ntest('other', f);\n"),
            file("lib/a.ts", "test('test_net_02_x', f);\n"),
        ];
        let found = jest_tests(&files);
        assert_eq!(found["NET-01"], vec!["test/a.test.ts::test_net_01_vpc"]);
        assert_eq!(found["SEC-02"], vec!["test/a.test.ts::test_sec_02_trail"]);
        assert!(!found.contains_key("NET-02"));
    }

    #[test]
    fn acknowledgment_lines_are_read() {
        let files = [file(
            "lib/compliance.ts",
            "  nag('^A/B$', 'AwsSolutions::X[Action::s3:*]', 'why it is fine', 'ephemeral'),\n  checkov('^C\\\\w', 'CKV_AWS_1', 'it\\'s fine'),\n  nag(target, rule, reason),\nfunction nag(target: string) {}\n",
        )];
        let acks = acknowledgments(&files);
        assert_eq!(acks.len(), 2);
        assert_eq!(acks[0].profile.as_deref(), Some("ephemeral"));
        assert_eq!(acks[1].target, "^C\\w");
        assert_eq!(acks[1].reason, "it's fine");
        assert_eq!(acks[1].checker, "checkov");
    }
}
