//! End-to-end tests of the `stackwright` binary: one test binary, a small
//! builder over assert_cmd and a temporary directory per test.

mod answers;
mod cdk;
mod cli;
mod controls;
mod cost;
mod fuzz;
mod hostile;
mod install;
mod output;
mod terraform;
mod update;
mod update_props;
mod wizard;
mod workshop;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

/// One run of the binary in its own temporary directory, with the user
/// config directory pointed inside it.
pub struct Test {
    dir: TempDir,
    args: Vec<String>,
    stdin: Option<String>,
    answers_flag: bool,
    /// Environment changes; `None` removes the variable.
    env: Vec<(String, Option<String>)>,
}

pub struct Run {
    pub output: Output,
    pub dir: PathBuf,
    _keep: TempDir,
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

impl Test {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        Test {
            dir,
            args: Vec::new(),
            stdin: None,
            answers_flag: false,
            env: Vec::new(),
        }
    }

    /// Sets an environment variable of the run (after the fixed ones).
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), Some(value.to_string())));
        self
    }

    /// Removes an environment variable from the run.
    pub fn env_remove(mut self, key: &str) -> Self {
        self.env.push((key.to_string(), None));
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|s| s.to_string()));
        self
    }

    /// Writes `answers.yaml` in the test directory and passes `--answers answers.yaml`.
    pub fn answers(self, yaml: &str) -> Self {
        let mut t = self.file("answers.yaml", yaml);
        t.answers_flag = true;
        t
    }

    pub fn file(self, rel: &str, content: &str) -> Self {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
        self
    }

    /// The user config file (`config.yaml` in the config directory).
    pub fn config(self, yaml: &str) -> Self {
        self.file("config/config.yaml", yaml)
    }

    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_string());
        self
    }

    pub fn run(self) -> Run {
        let mut cmd = Command::cargo_bin("stackwright").unwrap();
        cmd.current_dir(self.dir.path())
            .env("STACKWRIGHT_CONFIG_DIR", self.dir.path().join("config"))
            .env("NO_COLOR", "1")
            // The login decides the workshop preset's project name: fixed, so
            // results do not depend on who runs the tests.
            .env("USER", "tester")
            .env_remove("LOGNAME")
            .env_remove("USERNAME")
            .args(&self.args);
        for (key, value) in &self.env {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        if self.answers_flag {
            cmd.args(["--answers", "answers.yaml"]);
        }
        cmd.write_stdin(self.stdin.unwrap_or_default());
        let output = cmd.output().expect("runs");
        Run {
            output,
            dir: self.dir.path().to_path_buf(),
            _keep: self.dir,
        }
    }
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    #[track_caller]
    pub fn success(self) -> Self {
        assert_eq!(
            self.code(),
            0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
    #[track_caller]
    pub fn fails(self, code: i32) -> Self {
        assert_eq!(
            self.code(),
            code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
    /// Asserts stderr contains every fragment.
    #[track_caller]
    pub fn stderr_has(self, fragments: &[&str]) -> Self {
        let err = self.stderr();
        for f in fragments {
            assert!(err.contains(f), "stderr lacks {f:?}:\n{err}");
        }
        self
    }
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }
}

/// Every file under `root`: relative path → bytes.
pub fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/answers")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A file under tests/fixtures/.
pub fn fixture_path(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub fn fixtures() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/answers");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    names
}
