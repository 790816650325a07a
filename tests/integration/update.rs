//! `stackwright update`: answers changed in place, three-way merges that keep
//! the team's edits, conflicts, removals, dirty trees, projects from the
//! previous release format, git blueprint sets and interruption.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::tree;

/// A project directory with its own config and cache directories beside it.
struct Proj {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    dir: PathBuf,
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("stackwright")
}

impl Proj {
    fn empty() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        std::fs::create_dir_all(root.join("config")).unwrap();
        Proj {
            dir: root.join("proj"),
            root,
            _tmp: tmp,
        }
    }

    /// `stackwright new` from answers text, then `git init` and a first commit.
    fn new(answers: &str) -> Self {
        let p = Self::empty();
        std::fs::write(p.root.join("answers.yaml"), answers).unwrap();
        p.sw_in(
            &p.root,
            &["new", "--answers", "answers.yaml", "--out", "proj"],
        )
        .ok();
        p.git_init();
        p
    }

    fn cmd(&self, cwd: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.current_dir(cwd)
            .env("STACKWRIGHT_CONFIG_DIR", self.root.join("config"))
            .env("STACKWRIGHT_CACHE_DIR", self.root.join("cache"))
            .env("NO_COLOR", "1")
            .args(args)
            .stdin(Stdio::null());
        git_identity(&mut c);
        c
    }

    fn sw_in(&self, cwd: &Path, args: &[&str]) -> Out {
        Out(self.cmd(cwd, args).output().unwrap())
    }

    /// `stackwright ARGS` run inside the project.
    fn sw(&self, args: &[&str]) -> Out {
        self.sw_in(&self.dir, args)
    }

    fn git(&self, args: &[&str]) -> String {
        git(&self.dir, args)
    }

    fn git_init(&self) {
        self.git(&["init", "-q"]);
        self.commit("generated");
    }

    fn commit(&self, msg: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn exists(&self, rel: &str) -> bool {
        self.dir.join(rel).exists()
    }

    /// The project's files, without git's.
    fn files(&self) -> BTreeMap<String, Vec<u8>> {
        project_files(&self.dir)
    }

    /// What `stackwright new` writes for the project's stored answers now.
    fn fresh(&self) -> BTreeMap<String, Vec<u8>> {
        let out = self.root.join(format!("fresh-{}", rand_suffix()));
        self.sw_in(
            &self.root,
            &[
                "new",
                "--answers",
                self.dir.join(".stackwright/answers.yaml").to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
        )
        .ok();
        let t = tree(&out);
        std::fs::remove_dir_all(&out).unwrap();
        t
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn git_identity(c: &mut Command) {
    c.env("GIT_AUTHOR_NAME", "Team")
        .env("GIT_AUTHOR_EMAIL", "team@example.com")
        .env("GIT_COMMITTER_NAME", "Team")
        .env("GIT_COMMITTER_EMAIL", "team@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let mut c = Command::new("git");
    c.current_dir(dir).args(args);
    git_identity(&mut c);
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn project_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    tree(dir)
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".git/"))
        .collect()
}

struct Out(Output);

impl Out {
    fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    #[track_caller]
    fn code_is(self, code: i32) -> Self {
        assert_eq!(
            self.code(),
            code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
    #[track_caller]
    fn ok(self) -> Self {
        self.code_is(0)
    }
}

const THREE_ENV: &str = "project: {name: shop, owner: platform}\nregion: eu-west-1\nenvironments:\n  - {name: dev}\n  - {name: staging}\n  - {name: prod, profile: production, approval: true}\ndatabase: {engine: postgres}\n";

/// Differences between two trees, by path, for assertion messages.
fn differing(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut out = Vec::new();
    for (p, v) in a {
        match b.get(p) {
            None => out.push(format!("only left: {p}")),
            Some(w) if w != v => out.push(format!("differs: {p}")),
            _ => {}
        }
    }
    out.extend(
        b.keys()
            .filter(|p| !a.contains_key(*p))
            .map(|p| format!("only right: {p}")),
    );
    out
}

#[track_caller]
fn assert_same(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) {
    let d = differing(a, b);
    assert!(d.is_empty(), "trees differ:\n{}", d.join("\n"));
}

#[test]
fn stored_answers_keep_auto_and_the_lock_holds_what_it_resolved_to() {
    let p = Proj::new(THREE_ENV);
    let answers = p.read(".stackwright/answers.yaml");
    assert!(answers.contains("version: auto"), "{answers}");
    assert!(!answers.contains("vpc_cidr"), "{answers}");
    let lock = p.read(".stackwright/lock.yaml");
    for want in [
        "stackwright: ",
        "digest: sha256:",
        "engine: postgres",
        "vpc_cidr: 10.0.0.0/16",
        "vpc_cidr: 10.2.0.0/16",
    ] {
        assert!(lock.contains(want), "lock lacks {want}:\n{lock}");
    }
    // An update with nothing changed changes nothing.
    let before = p.files();
    let out = p.sw(&["update"]).ok();
    assert!(
        out.stdout().contains("0 added, 0 updated"),
        "{}",
        out.stdout()
    );
    assert_same(&before, &p.files());
}

#[test]
fn an_answer_changes_in_place_and_the_teams_edits_survive() {
    let p = Proj::new(THREE_ENV);
    // The team adds a comment at the top of a template and a file of its own.
    let net = p.read("templates/network.yaml");
    p.write(
        "templates/network.yaml",
        &format!("# team: reviewed by netops\n{net}"),
    );
    p.write("docs/runbook.md", "# our runbook\n");
    p.commit("team edits");
    p.sw(&["update", "--set", "project.owner=payments-team"])
        .ok();
    let net = p.read("templates/network.yaml");
    assert!(net.starts_with("# team: reviewed by netops\n"), "{net}");
    assert!(
        net.contains("payments-team"),
        "the render's change is merged in"
    );
    assert_eq!(p.read("docs/runbook.md"), "# our runbook\n");
    assert!(p
        .read(".stackwright/answers.yaml")
        .contains("owner: payments-team"));
    // Apart from the team's two edits the project is what `new` makes of the new answers.
    let mut fresh = p.fresh();
    let files = p.files();
    fresh.insert("docs/runbook.md".into(), b"# our runbook\n".to_vec());
    fresh.insert(
        "templates/network.yaml".into(),
        files["templates/network.yaml"].clone(),
    );
    assert_same(&files, &fresh);
}

#[test]
fn engine_switch_postgres_to_none_to_mysql() {
    let p = Proj::new(THREE_ENV);
    let lock_before = p.read(".stackwright/lock.yaml");
    p.sw(&["update", "--set", "database.engine=none"]).ok();
    assert!(!p.exists("templates/database.yaml"));
    assert!(!p.exists("tests/unit/test_database.py"));
    assert!(!p.exists("tests/integration/test_database.py"));
    assert_same(&p.files(), &p.fresh());
    p.commit("no database");

    // Versions stayed `auto`, so switching engine on the stored answers works.
    p.sw(&["update", "--set", "database.engine=mysql"]).ok();
    assert!(p.read("templates/database.yaml").contains("mysql"));
    assert!(p.exists("tests/unit/test_database.py"));
    let answers = p.read(".stackwright/answers.yaml");
    assert!(answers.contains("engine: mysql") && answers.contains("version: auto"));
    let lock = p.read(".stackwright/lock.yaml");
    assert!(lock.contains("engine: mysql"), "{lock}");
    // VPC ranges stay what they were.
    let ranges = |l: &str| -> Vec<String> {
        l.lines()
            .filter(|x| x.contains("vpc_cidr"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(ranges(&lock), ranges(&lock_before));
    assert_same(&p.files(), &p.fresh());
}

#[test]
fn environments_are_added_and_removed_and_the_flavour_stays() {
    let p = Proj::new(THREE_ENV);
    p.sw(&["update", "--set", "environments[3]={name: qa}"])
        .ok();
    assert!(p.exists("params/qa.json"));
    let lock = p.read(".stackwright/lock.yaml");
    assert!(lock.contains("name: qa\n  vpc_cidr: 10.3.0.0/16"), "{lock}");
    assert!(lock.contains("flavor: cloudformation"));
    assert_same(&p.files(), &p.fresh());
    p.commit("qa");

    // Removing staging: its parameter file goes, the other ranges stay.
    p.sw(&[
        "update",
        "--set",
        "environments=[{name: dev}, {name: prod, profile: production, approval: true}, {name: qa}]",
    ])
    .ok();
    assert!(!p.exists("params/staging.json"));
    let lock = p.read(".stackwright/lock.yaml");
    assert!(!lock.contains("staging"));
    assert!(
        lock.contains("name: prod\n  vpc_cidr: 10.2.0.0/16"),
        "{lock}"
    );
    assert!(lock.contains("name: qa\n  vpc_cidr: 10.3.0.0/16"), "{lock}");
}

#[test]
fn overlapping_edits_are_marked_listed_and_exit_3_with_the_rest_applied() {
    let p = Proj::new(THREE_ENV);
    // The team edits the very line the owner change rewrites.
    let owner = "{Key: \"Owner\", Value: \"platform\"}";
    let mon = p.read("templates/monitoring.yaml");
    assert!(mon.contains(owner));
    p.write(
        "templates/monitoring.yaml",
        &mon.replacen(owner, "{Key: \"Owner\", Value: \"platform-ops\"}", 1),
    );
    let removed_edit = "# kept: the team relies on this\n";
    let db = p.read("templates/database.yaml");
    p.write("templates/database.yaml", &format!("{removed_edit}{db}"));
    p.commit("team edits");
    let out = p
        .sw(&[
            "update",
            "--set",
            "project.owner=payments",
            "--set",
            "database.engine=none",
        ])
        .code_is(3);
    let err = out.stderr();
    assert!(err.contains("templates/monitoring.yaml: conflict"), "{err}");
    assert!(
        err.contains("templates/database.yaml: kept: no longer produced"),
        "{err}"
    );
    let merged = p.read("templates/monitoring.yaml");
    assert!(
        merged.contains("<<<<<<< ours")
            && merged.contains("platform-ops")
            && merged.contains("Value: \"payments\"}")
            && merged.contains(">>>>>>> theirs"),
        "{merged}"
    );
    assert!(p.read("templates/database.yaml").starts_with(removed_edit));
    assert!(!p.exists("tests/unit/test_database.py"));
    assert!(p
        .read("templates/network.yaml")
        .contains("Value: \"payments\"}"));
    assert!(p
        .read(".stackwright/answers.yaml")
        .contains("owner: payments"));
}

#[test]
fn a_dirty_tree_is_refused_unless_allowed() {
    let p = Proj::new(THREE_ENV);
    p.write("templates/network.yaml", "# uncommitted\n");
    let before = p.files();
    let out = p
        .sw(&["update", "--set", "project.owner=x-team"])
        .code_is(2);
    assert!(
        out.stderr().contains("uncommitted changes") && out.stderr().contains("--allow-dirty"),
        "{}",
        out.stderr()
    );
    assert!(out.stderr().contains("templates/network.yaml"));
    assert_same(&before, &p.files());
    // Untracked files count too.
    p.git(&["checkout", "--", "templates/network.yaml"]);
    p.write("notes.txt", "scratch\n");
    p.sw(&["update", "--set", "project.owner=x-team"])
        .code_is(2);
    p.sw(&["update", "--set", "project.owner=x-team", "--allow-dirty"])
        .ok();
    assert!(p
        .read(".stackwright/answers.yaml")
        .contains("owner: x-team"));
    assert_eq!(p.read("notes.txt"), "scratch\n");
}

#[test]
fn dry_run_prints_the_diff_and_writes_nothing() {
    let p = Proj::new(THREE_ENV);
    let before = p.files();
    let out = p
        .sw(&["update", "--dry-run", "--set", "database.engine=none"])
        .ok();
    let text = out.stdout();
    assert!(
        text.contains("--- a/templates/database.yaml\n+++ /dev/null"),
        "{text}"
    );
    assert!(text.contains("+++ b/params/dev.json"), "{text}");
    assert!(
        text.contains("-  engine: postgres\n+  engine: none"),
        "{text}"
    );
    assert!(text.contains("dry run, nothing written"));
    assert_same(&before, &p.files());
}

#[test]
fn not_a_project_and_bad_input_change_nothing() {
    let p = Proj::new(THREE_ENV);
    let out = p.sw_in(&p.root, &["update", "nowhere"]).code_is(2);
    assert!(
        out.stderr().contains("not a stackwright project"),
        "{}",
        out.stderr()
    );
    let before = p.files();
    let out = p
        .sw(&["update", "--set", "database.engine=oracle"])
        .code_is(2);
    assert!(out.stderr().contains("database.engine"), "{}", out.stderr());
    assert_same(&before, &p.files());
    // A damaged lock names the file and the line.
    p.write(".stackwright/lock.yaml", "version: [\n");
    p.commit("damage");
    let out = p.sw(&["update"]).code_is(2);
    assert!(
        out.stderr().contains(".stackwright/lock.yaml:"),
        "{}",
        out.stderr()
    );
}

/// Materialises the project the previous release wrote for fixture 03.
fn previous_release(p: &Proj) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/previous-release/03-three-env-postgres.json");
    let files: BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(files.len() > 30);
    for (rel, text) in files {
        p.write(&rel, &text);
    }
}

#[test]
fn a_project_of_the_previous_release_format_updates() {
    let p = Proj::empty();
    previous_release(&p);
    assert!(!p.exists(".stackwright/lock.yaml"));
    assert!(p
        .read(".stackwright/answers.yaml")
        .contains("version: '17.11'"));
    let team = "# team: see the on-call runbook\n";
    let sec = p.read("templates/security.yaml");
    p.write("templates/security.yaml", &format!("{team}{sec}"));
    p.git_init();
    // The old stored answers pinned the version; switching engine still works.
    // The merge base is rebuilt with today's blueprints, so where they changed
    // since the previous release the old text reads as the team's: overlapping
    // changes are marked (exit 3), never lost.
    let out = p.sw(&["update", "--set", "database.engine=mysql"]);
    assert!(
        matches!(out.code(), 0 | 3),
        "{}\n{}",
        out.stdout(),
        out.stderr()
    );
    assert!(
        out.stdout().contains("rebuilt the merge base"),
        "{}",
        out.stdout()
    );
    for line in out.stderr().lines().filter(|l| l.contains(": conflict")) {
        let rel = line.trim().split(':').next().unwrap();
        let text = p.read(rel);
        assert!(
            text.contains("<<<<<<< ours") && text.contains(">>>>>>> theirs"),
            "{rel}"
        );
    }
    let answers = p.read(".stackwright/answers.yaml");
    assert!(
        answers.contains("engine: mysql") && answers.contains("version: auto"),
        "{answers}"
    );
    assert!(!answers.contains("vpc_cidr"), "{answers}");
    let lock = p.read(".stackwright/lock.yaml");
    assert!(
        lock.contains("name: staging\n  vpc_cidr: 10.20.0.0/16"),
        "{lock}"
    );
    assert!(p.exists(".stackwright/base.json.gz"));
    assert!(p.read("templates/security.yaml").starts_with(team));
    assert!(p.read("templates/database.yaml").contains("mysql"));
    // The ranges the old project deployed with are kept.
    let old: BTreeMap<String, String> = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/previous-release/03-three-env-postgres.json"),
        )
        .unwrap(),
    )
    .unwrap();
    for env in ["dev", "prod"] {
        let rel = format!("params/{env}.json");
        if let Some(old_params) = old.get(&rel) {
            let cidr = |t: &str| {
                t.lines()
                    .find(|l| l.contains("\"VpcCidr\""))
                    .map(str::to_string)
            };
            assert_eq!(cidr(old_params), cidr(&p.read(&rel)), "{rel}");
        }
    }
    p.commit("mysql");
    // From now on it is a project of this release: nothing left to do.
    let before = p.files();
    p.sw(&["update"]).ok();
    assert_same(&before, &p.files());
}

#[test]
fn the_readme_update_section_runs_as_written() {
    let p = Proj::new(THREE_ENV);
    let readme = p.read("README.md");
    let section = readme
        .split("\n## Update\n")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    let block = section
        .split("```sh\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let commands: Vec<&str> = block.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(commands
        .iter()
        .any(|c| c.starts_with("stackwright update --set")));
    // `stackwright` on PATH is the binary under test.
    let path_dir = p.root.join("bin");
    std::fs::create_dir_all(&path_dir).unwrap();
    std::os::unix::fs::symlink(bin(), path_dir.join("stackwright")).unwrap();
    let path = format!(
        "{}:{}",
        path_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let env = p.cmd(&p.dir, &[]);
    for line in commands {
        let mut sh = Command::new("sh");
        sh.current_dir(&p.dir).args(["-c", line]).env("PATH", &path);
        for (k, v) in env.get_envs() {
            if let Some(v) = v {
                sh.env(k, v);
            }
        }
        let out = Out(sh.output().unwrap());
        assert_eq!(
            out.code(),
            0,
            "`{line}`:\n{}\n{}",
            out.stdout(),
            out.stderr()
        );
    }
    assert!(p
        .read(".stackwright/answers.yaml")
        .contains("owner: new-team"));
}

#[test]
fn new_out_dot_fills_the_empty_current_directory() {
    for out in [".", "./"] {
        let p = Proj::empty();
        std::fs::create_dir_all(&p.dir).unwrap();
        p.sw(&["new", "--defaults", "--out", out]).ok();
        assert!(p.exists(".stackwright/answers.yaml"), "--out {out}");
        assert!(p.exists("templates/network.yaml"), "--out {out}");
        // The directory the shell is in is still the project.
        assert!(p.sw(&["update"]).ok().stdout().contains("0 updated"));
    }
}

/// A git repository holding a blueprint set with tags v1 and v2.
fn blueprint_repo(root: &Path) -> String {
    let repo = root.join("bp-repo");
    let bp = repo.join("cloudformation/notes");
    std::fs::create_dir_all(&bp).unwrap();
    std::fs::write(
        bp.join("blueprint.yaml"),
        "name: notes\ndescription: team notes\nfiles:\n  - { template: notes.md, to: docs/notes.md }\n",
    )
    .unwrap();
    let body =
        |v: &str| format!("# Notes\n\nintro\n\nalpha\nbeta\ngamma\n\nversion {v} of the notes\n");
    std::fs::write(bp.join("notes.md"), body("one")).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "v1"]);
    git(&repo, &["tag", "v1"]);
    std::fs::write(bp.join("notes.md"), body("two")).unwrap();
    git(&repo, &["commit", "-q", "-am", "v2"]);
    git(&repo, &["tag", "v2"]);
    format!("file://{}", repo.display())
}

#[test]
fn git_blueprint_sets_are_pinned_and_moved_with_to_ref() {
    let p = Proj::empty();
    let url = blueprint_repo(&p.root);
    let v1 = git(&p.root.join("bp-repo"), &["rev-parse", "v1"])
        .trim()
        .to_string();
    let v2 = git(&p.root.join("bp-repo"), &["rev-parse", "v2"])
        .trim()
        .to_string();
    let spec = format!("git+{url}@v1");
    p.sw_in(
        &p.root,
        &["new", "--defaults", "--out", "proj", "--blueprints", &spec],
    )
    .ok();
    assert!(p.read("docs/notes.md").contains("version one"));
    let lock = p.read(".stackwright/lock.yaml");
    assert!(
        lock.contains(&format!("git: {url}")) && lock.contains(&v1),
        "{lock}"
    );
    p.git_init();
    // The team edits the notes; the repository moves on meanwhile.
    let notes = p.read("docs/notes.md").replace("alpha\n", "alpha (ours)\n");
    p.write("docs/notes.md", &notes);
    p.commit("team notes");
    // A plain update re-renders from the locked commit: nothing changes.
    let before = p.files();
    p.sw(&["update"]).ok();
    assert_same(&before, &p.files());
    // --to-ref moves to v2 and merges.
    p.sw(&["update", "--to-ref", "v2"]).ok();
    let notes = p.read("docs/notes.md");
    assert!(
        notes.contains("alpha (ours)") && notes.contains("version two"),
        "{notes}"
    );
    assert!(p.read(".stackwright/lock.yaml").contains(&v2));
    // An unknown ref is refused, nothing written.
    p.commit("v2");
    let before = p.files();
    let out = p.sw(&["update", "--to-ref", "v9"]).code_is(2);
    assert!(out.stderr().contains("v9"), "{}", out.stderr());
    assert_same(&before, &p.files());
}

/// A blueprint whose files all mention the owner: changing it rewrites
/// hundreds of files, so an update takes long enough to be killed midway.
fn bulk_blueprint(root: &Path) {
    let bp = root.join("bp/cloudformation/bulk");
    std::fs::create_dir_all(&bp).unwrap();
    let mut manifest = String::from("name: bulk\ndescription: many files\nfiles:\n");
    for i in 0..300 {
        manifest.push_str(&format!("  - {{ template: f.txt, to: \"bulk/{{{{ env.name }}}}/f{i:03}.txt\", per_environment: true }}\n"));
    }
    std::fs::write(bp.join("blueprint.yaml"), manifest).unwrap();
    std::fs::write(
        bp.join("f.txt"),
        "{% for i in range(end=100) %}{{ env.name }} {{ project.owner }} {{ i }}\n{% endfor %}",
    )
    .unwrap();
}

fn copy_tree(from: &Path, to: &Path) {
    for (rel, bytes) in tree(from) {
        let p = to.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

#[test]
fn a_killed_update_leaves_the_project_as_before_or_fully_updated() {
    use std::time::Duration;
    let p = Proj::empty();
    bulk_blueprint(&p.root);
    let bp = p.root.join("bp");
    let bp = bp.to_str().unwrap();
    p.sw_in(
        &p.root,
        &["new", "--defaults", "--out", "proj", "--blueprints", bp],
    )
    .ok();
    p.git_init();
    let before = p.files();
    // The reference result, on a copy.
    let reference = p.root.join("reference");
    copy_tree(&p.dir, &reference);
    p.sw_in(
        &reference,
        &[
            "update",
            "--set",
            "project.owner=new-owner",
            "--blueprints",
            bp,
        ],
    )
    .ok();
    let after = project_files(&reference);
    assert!(differing(&before, &after).len() > 500);

    let mut seen = (0, 0, 0);
    for (i, delay_ms) in [0u64, 5, 15, 30, 50, 80, 120, 170, 250, 400, 600]
        .iter()
        .enumerate()
    {
        let pause = i % 2 == 1;
        let mut cmd = p.cmd(
            &p.dir,
            &[
                "update",
                "--allow-dirty",
                "--set",
                "project.owner=new-owner",
                "--blueprints",
                bp,
            ],
        );
        if pause {
            cmd.env("STACKWRIGHT_TEST_PAUSE_AFTER_COMMIT", "1");
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(*delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = p.files();
        let pending = p.exists(".stackwright/update-staging/journal.json");
        let clean = |t: &BTreeMap<String, Vec<u8>>| -> BTreeMap<String, Vec<u8>> {
            t.iter()
                .filter(|(k, _)| !k.starts_with(".stackwright/update-staging/"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        if !pending {
            let c = clean(&now);
            assert!(
                c == before || c == after,
                "kill at {delay_ms} ms left a half-updated project without a journal: {:?}",
                differing(&c, &before).len()
            );
        }
        // The next update finishes (or discards) what the killed one left.
        let out = p.sw(&["update", "--allow-dirty", "--blueprints", bp]).ok();
        let now = p.files();
        if now == after {
            seen.1 += 1;
            if pending {
                seen.2 += 1;
                assert!(
                    out.stdout().contains("finished an interrupted update"),
                    "{}",
                    out.stdout()
                );
            }
            // Back to the start for the next round.
            p.git(&["checkout", "-q", "--", "."]);
            p.git(&["clean", "-qfd"]);
            assert_same(&p.files(), &before);
        } else {
            assert_same(&now, &before);
            seen.0 += 1;
        }
    }
    eprintln!(
        "as before: {}, fully updated: {} (of which finished from a journal: {})",
        seen.0, seen.1, seen.2
    );
}
