//! The syntax check of every rendered file, chosen by its extension: nothing
//! that fails to parse is ever written.

/// Checks one rendered text; the error says where and what.
pub type Checker = fn(&str) -> std::result::Result<(), String>;

/// Extension (without the dot) → checker. Files with other extensions
/// (Markdown, Python, shell, Makefiles) are written as rendered.
pub const FORMATS: &[(&str, Checker)] = &[
    ("json", check_json),
    ("yaml", check_yaml),
    ("yml", check_yaml),
    ("ts", super::typescript::check_balanced),
    ("tf", check_hcl),
    ("tfvars", check_hcl),
    ("hcl", check_hcl),
];

/// The checker for a path, by its extension.
pub fn checker(path: &str) -> Option<Checker> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let (_, ext) = name.rsplit_once('.')?;
    FORMATS.iter().find(|(e, _)| *e == ext).map(|(_, c)| *c)
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
    }
}
