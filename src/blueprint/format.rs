//! The syntax check of every rendered file, chosen by its extension: nothing
//! that fails to parse is ever written. The engine knows the data formats
//! every flavour writes (JSON, YAML, HCL); a flavour adds the formats of its
//! own source files (TypeScript for CDK) through
//! [`Flavour::formats`](super::flavour::Flavour::formats).

/// Checks one rendered text; the error says where and what.
pub type Checker = fn(&str) -> std::result::Result<(), String>;

/// Extension (without the dot) → checker. Files with other extensions
/// (Markdown, Python, shell, Makefiles) are written as rendered.
pub type Formats = [(&'static str, Checker)];

/// The formats the engine checks for every flavour.
pub const FORMATS: &Formats = &[
    ("json", check_json),
    ("yaml", check_yaml),
    ("yml", check_yaml),
    ("tf", check_hcl),
    ("tfvars", check_hcl),
    ("hcl", check_hcl),
];

/// The engine's checker for a path, by its extension.
pub fn checker(path: &str) -> Option<Checker> {
    find(FORMATS, path)
}

/// Every checker for a path: the engine's, then the one of `extra` (a
/// flavour's own formats), so a flavour can add formats but not loosen one.
pub fn checkers(path: &str, extra: &Formats) -> impl Iterator<Item = Checker> {
    find(FORMATS, path).into_iter().chain(find(extra, path))
}

fn find(table: &Formats, path: &str) -> Option<Checker> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let (_, ext) = name.rsplit_once('.')?;
    table.iter().find(|(e, _)| *e == ext).map(|(_, c)| *c)
}

fn check_json(text: &str) -> std::result::Result<(), String> {
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn check_yaml(text: &str) -> std::result::Result<(), String> {
    crate::yaml::scan_rendered(text, |_, _| {}).map(|_| ())
}

/// HCL (Terraform configuration, tfvars, backend settings, test files).
fn check_hcl(text: &str) -> std::result::Result<(), String> {
    hcl::parse(text).map(|_| ()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_refuses_a_broken_file() {
        assert!(checker("a/b.json").unwrap()("{\"a\": 1}").is_ok());
        assert!(checker("a/b.json").unwrap()("{\"a\": }").is_err());
        assert!(checker("b.yaml").unwrap()("a: [1\n").is_err());
        assert!(checker("b.yml").unwrap()("a: 1\n").is_ok());
        assert!(checker("main.tf").unwrap()("resource \"a\" \"b\" { x = 1 }\n").is_ok());
        assert!(checker("envs/dev/main.tf").unwrap()("resource \"a\" { x = \n").is_err());
        assert!(checker("t.tftest.hcl").unwrap()("run \"x\" {\n").is_err());
        assert!(checker("README.md").is_none());
        assert!(checker("Makefile").is_none());
        assert!(
            checker("lib/app.ts").is_none(),
            "TypeScript is a flavour's format"
        );
    }

    #[test]
    fn a_flavour_adds_formats_after_the_engine_s() {
        fn refuse(_: &str) -> std::result::Result<(), String> {
            Err("refused".into())
        }
        let extra: &Formats = &[("ts", refuse), ("json", refuse)];
        assert_eq!(checkers("lib/app.ts", extra).count(), 1);
        assert!(checkers("lib/app.ts", extra).all(|c| c("x").is_err()));
        // JSON: the engine's check first, then the flavour's.
        let both: Vec<Checker> = checkers("a.json", extra).collect();
        assert_eq!(both.len(), 2);
        assert!(both[0]("{}").is_ok() && both[1]("{}").is_err());
        assert_eq!(checkers("README.md", extra).count(), 0);
    }
}
