//! `install.sh --from FILE`: installs a release tarball without a toolchain,
//! verifying the checksum file next to it. The tarballs here hold a tiny
//! stand-in binary, laid out as scripts/dist.sh lays out the real one.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

const NAME: &str = "stackwright-9.9.9-test-target";

fn install_sh() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("install.sh")
}

/// A stand-in binary that prints `version` as `--version` does.
fn fake_binary(version: &str) -> String {
    format!("#!/bin/sh\necho 'stackwright {version}'\n")
}

/// Writes `<dir>/<NAME>.tar.gz` with `files` (path under the top directory →
/// content; `stackwright` is made executable) and, with `sums`, its checksum file.
fn tarball(dir: &Path, files: &[(&str, &str)], sums: bool) -> PathBuf {
    let stage = dir.join("stage");
    let _ = std::fs::remove_dir_all(&stage);
    for (rel, content) in files {
        let path = stage.join(NAME).join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        let mode = if rel.ends_with("stackwright") || rel.ends_with(".sh") {
            0o755
        } else {
            0o644
        };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let file = dir.join(format!("{NAME}.tar.gz"));
    let status = Command::new("tar")
        .args([
            "--create",
            "--gzip",
            "--sort=name",
            "--owner=0",
            "--group=0",
        ])
        .arg("--file")
        .arg(&file)
        .arg("-C")
        .arg(&stage)
        .arg(NAME)
        .status()
        .unwrap();
    assert!(status.success());
    if sums {
        let hash = format!("{:x}", Sha256::digest(std::fs::read(&file).unwrap()));
        std::fs::write(
            dir.join(format!("{NAME}.tar.gz.sha256")),
            format!("{hash}  {NAME}.tar.gz\n"),
        )
        .unwrap();
    }
    file
}

/// Runs install.sh with only the system directories on PATH (no cargo).
fn install(dir: &Path, args: &[&str]) -> Output {
    Command::new("bash")
        .arg(install_sh())
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", dir)
        .env("PREFIX", dir.join("prefix"))
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[track_caller]
fn refused(o: &Output, dir: &Path, fragments: &[&str]) {
    let (out, err) = text(o);
    assert_eq!(o.status.code(), Some(2), "stdout:\n{out}\nstderr:\n{err}");
    for f in fragments {
        assert!(err.contains(f), "stderr lacks {f:?}:\n{err}");
    }
    assert!(err.contains("Nothing was installed"), "{err}");
    assert!(
        !dir.join("prefix/bin/stackwright").exists(),
        "installed anyway"
    );
}

#[test]
fn installs_a_verified_tarball_without_a_toolchain_and_only_once() {
    assert!(
        !Path::new("/usr/bin/cargo").exists() && !Path::new("/bin/cargo").exists(),
        "cargo on the test PATH would prove nothing"
    );
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let bin = fake_binary("9.9.9");
    tarball(
        dir,
        &[
            ("stackwright", &bin),
            ("README.md", "readme\n"),
            ("install.sh", "#!/bin/sh\n"),
            ("docs/WORKSHOP.md", "workshop\n"),
        ],
        true,
    );
    let o = install(dir, &["--from", &format!("{NAME}.tar.gz")]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains(&format!("verified {NAME}.tar.gz")), "{out}");
    assert!(out.contains("stackwright 9.9.9 from"), "{out}");
    assert!(out.contains("installed "), "{out}");
    assert!(out.contains("is not on your PATH"), "{out}");
    let dest = dir.join("prefix/bin/stackwright");
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), bin);
    assert_eq!(
        std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
        0o755
    );
    // Nothing but the binary lands in the prefix.
    assert_eq!(std::fs::read_dir(dir.join("prefix")).unwrap().count(), 1);
    assert_eq!(
        std::fs::read_dir(dir.join("prefix/bin")).unwrap().count(),
        1
    );

    // Again: same bytes, nothing replaced.
    let before = std::fs::metadata(&dest).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let o = install(dir, &[&format!("--from={NAME}.tar.gz")]);
    let (out, _) = text(&o);
    assert!(o.status.success());
    assert!(out.contains("stackwright is up to date"), "{out}");
    assert_eq!(
        std::fs::metadata(&dest).unwrap().modified().unwrap(),
        before
    );

    // A new release replaces it.
    let newer = fake_binary("9.9.10");
    tarball(dir, &[("stackwright", &newer)], true);
    let o = install(dir, &["--from", &format!("{NAME}.tar.gz")]);
    let (out, _) = text(&o);
    assert!(o.status.success() && out.contains("installed "), "{out}");
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), newer);

    // --uninstall takes it away again.
    let o = install(dir, &["--uninstall"]);
    assert!(o.status.success());
    assert!(!dest.exists());
}

#[test]
fn a_missing_or_wrong_checksum_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let file = tarball(dir, &[("stackwright", &fake_binary("9.9.9"))], false);
    let arg = format!("{NAME}.tar.gz");
    refused(
        &install(dir, &["--from", &arg]),
        dir,
        &["no checksum file", ".tar.gz.sha256"],
    );

    // One byte changed after the checksum was taken.
    tarball(dir, &[("stackwright", &fake_binary("9.9.9"))], true);
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();
    refused(
        &install(dir, &["--from", &arg]),
        dir,
        &["checksum mismatch", "damaged or not the one handed out"],
    );

    // The checksum of another file, and a file that is not in sha256sum format.
    tarball(dir, &[("stackwright", &fake_binary("9.9.9"))], true);
    let sums = dir.join(format!("{NAME}.tar.gz.sha256"));
    let good = std::fs::read_to_string(&sums).unwrap();
    std::fs::write(&sums, good.replace(NAME, "other")).unwrap();
    refused(
        &install(dir, &["--from", &arg]),
        dir,
        &["names 'other.tar.gz'"],
    );
    std::fs::write(&sums, "not a checksum\n").unwrap();
    refused(&install(dir, &["--from", &arg]), dir, &["sha256sum format"]);
    std::fs::write(&sums, good).unwrap();
    assert!(install(dir, &["--from", &arg]).status.success());
}

#[test]
fn a_tarball_that_is_not_a_release_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let arg = format!("{NAME}.tar.gz");
    tarball(dir, &[("README.md", "no binary\n")], true);
    refused(
        &install(dir, &["--from", &arg]),
        dir,
        &["no stackwright-9.9.9-test-target/stackwright inside"],
    );
    refused(
        &install(dir, &["--from", "nope.tar.gz"]),
        dir,
        &["--from nope.tar.gz: no such file"],
    );
    // A binary for another machine (here: one that cannot run) is named as such.
    tarball(dir, &[("stackwright", "#!/no/such/interpreter\n")], true);
    let o = install(dir, &["--from", &arg]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("does not run on this machine"), "{err}");
    assert!(!dir.join("prefix/bin/stackwright").exists());
    // Usage mistakes.
    let o = install(dir, &["--from"]);
    assert_eq!(o.status.code(), Some(2));
    let o = install(dir, &["--from", &arg, "--uninstall"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn help_documents_from() {
    let dir = tempfile::tempdir().unwrap();
    let o = install(dir.path(), &["--help"]);
    let (out, _) = text(&o);
    assert!(o.status.success());
    for part in [
        "--from FILE",
        "FILE.sha256",
        "scripts/dist.sh",
        "no Rust toolchain",
        "replaced only if it changed",
    ] {
        assert!(out.contains(part), "{part:?} not in:\n{out}");
    }
}
