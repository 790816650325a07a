//! The roots of each environment, their module instantiations and the
//! `resource` blocks of each, for `new --dry-run`.

use std::fmt::Write as _;

use crate::answers::Answers;
use crate::blueprint::flavour::Texts as Files;
use crate::inventory::plural;

/// `resource` blocks in one folder's `.tf` files, and the folders its
/// `module` blocks instantiate: (resources, with count/for_each, modules).
fn tf_folder<'a>(files: &Files<'a>, dir: &str) -> (usize, usize, Vec<(String, String)>) {
    let (mut resources, mut repeated, mut modules) = (0, 0, Vec::new());
    let prefix = format!("{dir}/");
    for (path, text) in files.range(prefix.as_str()..) {
        let Some(rest) = path.strip_prefix(&prefix) else {
            break;
        };
        if rest.contains('/') || !rest.ends_with(".tf") {
            continue;
        }
        let Ok(body) = hcl::parse(text) else { continue };
        for b in body.blocks() {
            match b.identifier() {
                "resource" => {
                    resources += 1;
                    if b.body()
                        .attributes()
                        .any(|a| a.key() == "count" || a.key() == "for_each")
                    {
                        repeated += 1;
                    }
                }
                "module" => {
                    let source = b
                        .body()
                        .attributes()
                        .find(|a| a.key() == "source")
                        .and_then(|a| match a.expr() {
                            hcl::Expression::String(s) => Some(s.clone()),
                            _ => None,
                        });
                    if let (Some(label), Some(source)) = (b.labels().first(), source) {
                        modules.push((label.as_str().to_string(), join(dir, &source)));
                    }
                }
                _ => {}
            }
        }
    }
    (resources, repeated, modules)
}

/// `dir` joined with a relative module source (`../../modules/network`).
fn join(dir: &str, source: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').collect();
    for p in source.split('/') {
        match p {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Resources of one module instantiation, its nested modules included.
fn tf_module(files: &Files, dir: &str, depth: usize) -> (usize, usize) {
    let (mut n, mut r, modules) = tf_folder(files, dir);
    if depth < 8 {
        for (_, sub) in modules {
            let (sn, sr) = tf_module(files, &sub, depth + 1);
            n += sn;
            r += sr;
        }
    }
    (n, r)
}

pub fn terraform(files: &Files, answers: &Answers) -> String {
    let mut out = String::from(
        "Terraform roots per environment, the module instantiations of each and their `resource`\n\
         blocks (nested modules included; a block with count or for_each counted once):\n",
    );
    let mut roots: Vec<(String, String)> = answers
        .environments
        .iter()
        .map(|e| (e.name.clone(), format!("envs/{}", e.name)))
        .collect();
    roots.push(("pipeline (once)".into(), "pipeline".into()));
    let mut any = false;
    for (group, dir) in roots {
        let (own, own_r, modules) = tf_folder(files, &dir);
        if own == 0 && modules.is_empty() {
            continue;
        }
        any = true;
        let mut rows = Vec::new();
        if own > 0 {
            rows.push((format!("{dir}/ (root)"), own, own_r));
        }
        for (label, source) in &modules {
            let (n, r) = tf_module(files, source, 0);
            rows.push((format!("module.{label} ({source})"), n, r));
        }
        let total: usize = rows.iter().map(|r| r.1).sum();
        let _ = writeln!(
            out,
            "  {group}: root {dir}/, {} module{}, {total} resource blocks",
            modules.len(),
            plural(modules.len())
        );
        for (head, n, r) in rows {
            let _ = writeln!(
                out,
                "    {head:<44} {n:>4} resources{}",
                if r == 0 {
                    String::new()
                } else {
                    format!(" ({r} with count/for_each)")
                }
            );
        }
    }
    if !any {
        out.push_str("  no roots\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_modules_are_followed_through_relative_sources() {
        let files: Files = [
            ("envs/dev/main.tf", "module \"net\" {\n  source = \"../../modules/network\"\n}\nresource \"aws_s3_bucket\" \"x\" {}\n"),
            ("modules/network/main.tf", "resource \"aws_vpc\" \"v\" {}\nresource \"aws_subnet\" \"s\" {\n  count = 2\n}\nmodule \"b\" {\n  source = \"../bucket\"\n}\n"),
            ("modules/network/variables.tf", "variable \"x\" {}\n"),
            ("modules/bucket/main.tf", "resource \"aws_s3_bucket\" \"b\" {}\n"),
        ]
        .into_iter()
        .collect();
        assert_eq!(join("envs/dev", "../../modules/network"), "modules/network");
        assert_eq!(tf_module(&files, "modules/network", 0), (3, 1));
        let (own, _, modules) = tf_folder(&files, "envs/dev");
        assert_eq!((own, modules.len()), (1, 1));
    }
}
