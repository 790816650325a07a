// The built-in blueprints and assets are embedded with include_dir!/include_str!;
// rebuild whenever any of them changes.
fn main() {
    println!("cargo:rerun-if-changed=blueprints");
    println!("cargo:rerun-if-changed=assets");
}
