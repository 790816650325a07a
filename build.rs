//! Embeds the built-in data at build time.
//!
//! The AWS fact tables (`assets/*.yaml`) and the built-in blueprint manifests
//! are written as YAML for people; here they are transcoded to JSON in
//! `OUT_DIR`, so the binary parses compact JSON at startup instead of YAML. A
//! file that is not valid YAML fails the build with its path.
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

const ASSETS: &[&str] = &[
    "regions",
    "engines",
    "endpoints",
    "controls",
    "handler_permissions",
    "condition_keys",
    "prices",
];

fn main() {
    println!("cargo:rerun-if-changed=blueprints");
    println!("cargo:rerun-if-changed=assets");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out);

    for name in ASSETS {
        let src = format!("assets/{name}.yaml");
        fs::write(out.join(format!("{name}.json")), transcode(&src)).expect("write OUT_DIR");
    }

    // (flavour, blueprint, manifest as JSON) for every built-in blueprint, sorted.
    let mut manifests = Vec::new();
    for flavour in sorted_dirs(Path::new("blueprints")) {
        for bp in sorted_dirs(&flavour) {
            let manifest = bp.join("blueprint.yaml");
            if manifest.is_file() {
                manifests.push((
                    file_name(&flavour),
                    file_name(&bp),
                    transcode(&manifest.to_string_lossy()),
                ));
            }
        }
    }
    let mut code = String::from("&[\n");
    for (flavour, bp, json) in &manifests {
        writeln!(code, "    ({flavour:?}, {bp:?}, {json:?}),").unwrap();
    }
    code.push(']');
    fs::write(out.join("builtin_manifests.rs"), code).expect("write OUT_DIR");
}

fn transcode(path: &str) -> String {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let value: serde_json::Value =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::to_string(&value).expect("JSON values serialize")
}

fn sorted_dirs(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}
