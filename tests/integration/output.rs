//! Writing projects: no-clobber, --force, dry-run, replay byte-identity,
//! determinism, path safety of user blueprints.

use crate::{fixture, fixtures, tree, Test};

#[test]
fn new_writes_a_project_with_stored_answers_and_params() {
    let run = Test::new()
        .answers(&fixture(
            "03-three-env-eu-west-1-postgres-cross-account.yaml",
        ))
        .args(&["new", "--out", "proj"])
        .run()
        .success();
    let stored = run.read("proj/.stackwright/answers.yaml");
    assert!(stored.starts_with("# yaml-language-server: $schema=answers.schema.json"));
    for env in ["dev", "staging", "prod"] {
        let params: serde_json::Value =
            serde_json::from_str(&run.read(&format!("proj/params/{env}.json"))).unwrap();
        assert_eq!(params["network"]["Parameters"]["EnvironmentName"], env);
    }
    assert!(run.stdout().contains("wrote proj"));
    assert!(!run.dir.join(".proj.stackwright-staging-").exists());
    let leftovers: Vec<_> = std::fs::read_dir(&run.dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("staging"))
        .collect();
    assert!(leftovers.is_empty(), "staging directory left behind");
}

#[test]
fn replaying_the_stored_answers_reproduces_every_byte() {
    for name in fixtures() {
        let first = Test::new()
            .answers(&fixture(&name))
            .args(&["new", "--out", "a"])
            .run()
            .success();
        let stored = first.read("a/.stackwright/answers.yaml");
        let second = Test::new()
            .answers(&stored)
            .args(&["new", "--out", "b"])
            .run()
            .success();
        let (a, b) = (tree(&first.dir.join("a")), tree(&second.dir.join("b")));
        assert_eq!(
            a.keys().collect::<Vec<_>>(),
            b.keys().collect::<Vec<_>>(),
            "{name}: file lists differ"
        );
        for (path, bytes) in &a {
            assert!(bytes == &b[path], "{name}: {path} differs on replay");
        }
    }
}

#[test]
fn same_answers_same_bytes() {
    let yaml = fixture("04-four-env-ap-southeast-2-aurora-postgresql-ecs.yaml");
    let one = Test::new()
        .answers(&yaml)
        .args(&["new", "--out", "x"])
        .run()
        .success();
    let two = Test::new()
        .answers(&yaml)
        .args(&["new", "--out", "x"])
        .run()
        .success();
    assert_eq!(tree(&one.dir.join("x")), tree(&two.dir.join("x")));
}

#[test]
fn a_non_empty_target_is_refused_without_force() {
    let run = Test::new()
        .file("proj/notes.txt", "mine")
        .args(&["new", "--defaults", "--out", "proj"])
        .run()
        .fails(1)
        .stderr_has(&["proj: the directory is not empty", "--force"]);
    assert_eq!(run.read("proj/notes.txt"), "mine");
    assert_eq!(
        tree(&run.dir.join("proj")).len(),
        1,
        "nothing else may be written"
    );
}

#[test]
fn force_updates_our_files_and_leaves_the_rest() {
    let run = Test::new()
        .file("proj/notes.txt", "mine")
        .file("proj/README.md", "old readme")
        .args(&["new", "--defaults", "--out", "proj", "--force"])
        .run()
        .success();
    assert_eq!(run.read("proj/notes.txt"), "mine");
    assert_ne!(run.read("proj/README.md"), "old readme");
    assert!(run.stdout().contains("1 updated"), "{}", run.stdout());
}

#[test]
fn an_empty_target_directory_is_filled() {
    Test::new()
        .file("proj/.keep-dir-only/x", "")
        .args(&["new", "--defaults", "--out", "proj"])
        .run()
        .fails(1);
    let t = Test::new();
    std::fs::create_dir(t.path().join("empty")).unwrap();
    let run = t
        .args(&["new", "--defaults", "--out", "empty"])
        .run()
        .success();
    assert!(run.dir.join("empty/.stackwright/answers.yaml").is_file());
}

#[test]
fn dry_run_lists_files_with_sizes_and_writes_nothing() {
    let run = Test::new()
        .args(&["new", "--defaults", "--out", "proj", "--dry-run"])
        .run()
        .success();
    let out = run.stdout();
    assert!(out.contains("would write proj/"), "{out}");
    assert!(
        out.contains("answers.yaml") && out.contains(" B\n") || out.contains("KiB"),
        "{out}"
    );
    assert!(!run.dir.join("proj").exists());
}

#[test]
fn invalid_answers_write_nothing() {
    let run = Test::new()
        .answers("region: nowhere\n")
        .args(&["new", "--out", "proj"])
        .run()
        .fails(2);
    assert!(!run.dir.join("proj").exists());
}

const EVIL_MANIFEST: &str = "name: evil\ndescription: tries to escape\nfiles:\n  - { template: x.txt, to: \"../escaped.txt\" }\n";

#[test]
fn user_blueprints_cannot_write_outside_the_project() {
    let run = Test::new()
        .file("bp/cloudformation/evil/blueprint.yaml", EVIL_MANIFEST)
        .file("bp/cloudformation/evil/x.txt", "boom")
        .args(&["new", "--defaults", "--out", "proj", "--blueprints", "bp"])
        .run()
        .fails(1)
        .stderr_has(&[
            "blueprint evil: output path `../escaped.txt`",
            "`..` would leave the project directory",
        ]);
    assert!(!run.dir.join("escaped.txt").exists());
    assert!(!run.dir.join("proj").exists());
    Test::new()
        .file(
            "bp/cloudformation/evil/blueprint.yaml",
            &EVIL_MANIFEST.replace("../escaped.txt", "/tmp/abs.txt"),
        )
        .file("bp/cloudformation/evil/x.txt", "boom")
        .args(&["new", "--defaults", "--out", "proj", "--blueprints", "bp"])
        .run()
        .fails(1)
        .stderr_has(&["absolute paths are not allowed"]);
}

#[test]
fn user_blueprints_cannot_read_through_symlinks() {
    let t = Test::new().file("secret.txt", "do not read").file(
        "bp/cloudformation/evil/blueprint.yaml",
        &EVIL_MANIFEST
            .replace("../escaped.txt", "out.txt")
            .replace("x.txt", "link.txt"),
    );
    std::os::unix::fs::symlink(
        t.path().join("secret.txt"),
        t.path().join("bp/cloudformation/evil/link.txt"),
    )
    .unwrap();
    t.args(&["new", "--defaults", "--out", "proj", "--blueprints", "bp"])
        .run()
        .fails(1)
        .stderr_has(&["is a symbolic link"]);
}

#[test]
fn user_blueprints_cannot_include_templates_of_other_blueprints() {
    // Templates are compiled per blueprint: an include reaches only the blueprint's own folder.
    Test::new()
        .file(
            "bp/cloudformation/evil/blueprint.yaml",
            &EVIL_MANIFEST.replace("../escaped.txt", "out.txt"),
        )
        .file(
            "bp/cloudformation/evil/x.txt",
            "{% include \"pipeline/_execution_policy.yaml\" %}",
        )
        .args(&["new", "--defaults", "--out", "proj", "--blueprints", "bp"])
        .run()
        .fails(1)
        .stderr_has(&["evil", "pipeline/_execution_policy.yaml"]);
}

#[test]
fn rendered_yaml_with_duplicate_keys_is_refused_before_writing() {
    // CloudFormation refuses a template with a key twice; so does the engine, naming the line.
    let run = Test::new()
        .file(
            "bp/cloudformation/dup/blueprint.yaml",
            "name: dup\ndescription: duplicate keys\nfiles:\n  - { template: t.yaml, to: templates/dup.yaml }\n",
        )
        .file(
            "bp/cloudformation/dup/t.yaml",
            "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n  Topic:\n    Type: AWS::SNS::Topic\n",
        )
        .args(&["new", "--defaults", "--out", "proj", "--blueprints", "bp"])
        .run()
        .fails(1)
        .stderr_has(&["rendered templates/dup.yaml is not valid", "duplicate key `Topic`", "line 4"]);
    assert!(!run.dir.join("proj").exists());
}

#[test]
fn user_blueprints_add_files_and_see_the_context() {
    let run = Test::new()
        .file(
            "bp/cloudformation/extra/blueprint.yaml",
            "name: extra\ndescription: adds a note per environment\nfiles:\n  - { template: note.md, to: \"notes/{{ env.name }}.md\", per_environment: true }\n",
        )
        .file("bp/cloudformation/extra/note.md", "# {{ env.name }} in {{ region.code }}: {{ project.owner | md }}\n")
        .answers("project: {owner: \"a: b + c\"}\nregion: eu-west-1\n")
        .args(&["new", "--out", "proj", "--blueprints", "bp"])
        .run()
        .success();
    assert_eq!(
        run.read("proj/notes/dev.md"),
        "# dev in eu-west-1: a: b \\+ c\n"
    );
    assert!(run.read("proj/notes/prod.md").starts_with("# prod"));
}

#[test]
fn a_user_blueprint_that_renders_runaway_output_is_stopped() {
    Test::new()
        .file(
            "bp/cloudformation/loop/blueprint.yaml",
            "name: loop\ndescription: huge\nfiles:\n  - { template: big.txt, to: big.txt }\n",
        )
        .file(
            "bp/cloudformation/loop/big.txt",
            "{% for i in range(end=2000000) %}0123456789{% endfor %}",
        )
        .args(&["new", "--defaults", "--out", "proj", "--blueprints", "bp"])
        .run()
        .fails(1)
        .stderr_has(&["exceeds"]);
}

#[test]
fn values_with_yaml_and_markdown_syntax_stay_inert_in_every_format() {
    let owner = "ops: team = a+b @x/y_z";
    let run = Test::new()
        .answers(&format!("project: {{owner: \"{owner}\", tags: {{note: \"k: v = w\"}}}}\napp: {{kind: lambda}}\n"))
        .args(&["new", "--out", "proj"])
        .run()
        .success();
    // The engine parsed every YAML/JSON file before writing; the value is there, quoted, in the templates.
    let security = run.read("proj/templates/security.yaml");
    assert!(
        security.contains(&format!("\"{owner}\"")),
        "owner not quoted in security.yaml"
    );
    assert!(security.contains("\"k: v = w\""));
    let readme = run.read("proj/README.md");
    assert!(
        !readme.contains("a+b @x/y_z") || readme.contains("y\\_z"),
        "markdown specials must be escaped"
    );
    let stored = run.read("proj/.stackwright/answers.yaml");
    let back: serde_yaml::Value = serde_yaml::from_str(&stored).unwrap();
    assert_eq!(back["project"]["owner"].as_str(), Some(owner));
}

#[test]
fn a_user_blueprint_that_loops_without_output_is_stopped() {
    let start = std::time::Instant::now();
    let mut cmd = assert_cmd::Command::cargo_bin("stackwright").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bp = dir.path().join("bp/cloudformation/spin");
    std::fs::create_dir_all(&bp).unwrap();
    std::fs::write(
        bp.join("blueprint.yaml"),
        "name: spin\ndescription: loops\nfiles:\n  - { template: t.txt, to: t.txt }\n",
    )
    .unwrap();
    std::fs::write(
        bp.join("t.txt"),
        "{% for i in range(end=100000) %}{% for j in range(end=100000) %}{% endfor %}{% endfor %}",
    )
    .unwrap();
    let out = cmd
        .current_dir(dir.path())
        .env("STACKWRIGHT_CONFIG_DIR", dir.path().join("config"))
        .env("STACKWRIGHT_RENDER_TIMEOUT", "2")
        .args(["new", "--defaults", "--out", "proj", "--blueprints", "bp"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loops without end"));
    assert!(!dir.path().join("proj").exists());
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
}

/// A project big enough that writing it takes a while: 400 files per environment.
fn big_blueprint(root: &std::path::Path) {
    let bp = root.join("bp/cloudformation/bulk");
    std::fs::create_dir_all(&bp).unwrap();
    let mut manifest = String::from("name: bulk\ndescription: many files\nfiles:\n");
    for i in 0..400 {
        manifest.push_str(&format!("  - {{ template: f.txt, to: \"bulk/{{{{ env.name }}}}/f{i:03}.txt\", per_environment: true }}\n"));
    }
    std::fs::write(bp.join("blueprint.yaml"), manifest).unwrap();
    std::fs::write(
        bp.join("f.txt"),
        "{% for i in range(end=200) %}{{ env.name }} {{ i }}\n{% endfor %}",
    )
    .unwrap();
}

#[test]
fn a_killed_run_leaves_the_target_absent_or_complete() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    big_blueprint(dir.path());
    let bin = assert_cmd::cargo::cargo_bin("stackwright");
    let run = |out: &str| {
        std::process::Command::new(&bin)
            .current_dir(dir.path())
            .env("STACKWRIGHT_CONFIG_DIR", dir.path().join("config"))
            .args(["new", "--defaults", "--out", out, "--blueprints", "bp"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    assert!(run("reference").wait().unwrap().success());
    let reference = tree(&dir.path().join("reference"));
    assert!(reference.len() > 800);
    // Kill at spread-out points, from before parsing to after the move.
    let mut outcomes = (0, 0);
    for (i, delay_ms) in [0u64, 3, 7, 12, 20, 30, 45, 60, 90, 140].iter().enumerate() {
        let out = format!("killed{i}");
        let mut child = run(&out);
        std::thread::sleep(Duration::from_millis(*delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let target = dir.path().join(&out);
        if target.exists() {
            assert_eq!(
                tree(&target),
                reference,
                "{out}: partial project after SIGKILL at {delay_ms} ms"
            );
            outcomes.1 += 1;
        } else {
            outcomes.0 += 1;
        }
    }
    eprintln!("absent: {}, complete: {}", outcomes.0, outcomes.1);
    // A normal run afterwards clears the staging directories the killed runs left.
    assert!(run("killed0").wait().unwrap().success() || dir.path().join("killed0").exists());
    let stray: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".killed0.stackwright-staging-"))
        .collect();
    assert!(
        stray.is_empty(),
        "stale staging directories remain: {stray:?}"
    );
}

const NOTES_MANIFEST: &str = "name: notes\ndescription: a note per environment\nfiles:\n  - { template: note.md, to: \"notes/{{ env.name }}.md\", per_environment: true }\n  - { template: list.yaml, to: envs.yaml }\n";

/// A blueprint directory `bp/` holding one flavour, `notes`, of one blueprint.
fn with_notes_flavour(t: Test) -> Test {
    t.file("bp/notes/notes/blueprint.yaml", NOTES_MANIFEST)
        .file(
            "bp/notes/notes/note.md",
            "# {{ env.name }} of {{ project.name }}\n",
        )
        .file(
            "bp/notes/notes/list.yaml",
            "environments:\n{% for e in environments %}  - {{ e.name | yaml_str }}\n{% endfor %}",
        )
}

#[test]
fn a_flavour_of_a_blueprint_directory_renders_only_its_own_blueprints() {
    let run = with_notes_flavour(Test::new())
        .answers("flavor: notes\nproject: {name: atlas}\n")
        .args(&["new", "--out", "proj", "--blueprints", "bp"])
        .run()
        .success();
    let files: Vec<String> = tree(&run.dir.join("proj")).into_keys().collect();
    assert_eq!(
        files,
        [
            ".stackwright/answers.schema.json",
            ".stackwright/answers.yaml",
            ".stackwright/base.json.gz",
            ".stackwright/controls.json",
            ".stackwright/lock.yaml",
            "envs.yaml",
            "notes/dev.md",
            "notes/prod.md",
        ]
    );
    assert_eq!(run.read("proj/notes/prod.md"), "# prod of atlas\n");
    assert!(run
        .read("proj/.stackwright/answers.yaml")
        .contains("flavor: notes"));
    // The CloudFormation next steps are not offered for another flavour.
    assert!(!run.stdout().contains("make deploy"), "{}", run.stdout());
    // The same answers again: the same bytes.
    let again = with_notes_flavour(Test::new())
        .file("stored.yaml", &run.read("proj/.stackwright/answers.yaml"))
        .args(&[
            "new",
            "--answers",
            "stored.yaml",
            "--out",
            "proj",
            "--blueprints",
            "bp",
        ])
        .run()
        .success();
    assert_eq!(tree(&run.dir.join("proj")), tree(&again.dir.join("proj")));
    let listed = with_notes_flavour(Test::new())
        .args(&[
            "blueprints",
            "list",
            "--flavor",
            "notes",
            "--blueprints",
            "bp",
        ])
        .run()
        .success()
        .stdout();
    assert!(listed.starts_with("notes"), "{listed}");
    assert!(listed.contains("a note per environment"), "{listed}");
}

#[test]
fn unknown_or_unsafe_flavours_are_refused_where_they_are_set() {
    let run = Test::new()
        .answers("version: 1\nflavor: cloudformatoin\n")
        .args(&["new", "--out", "proj"])
        .run()
        .fails(2)
        .stderr_has(&[
            "answers.yaml:2:9: flavor: no blueprint set `cloudformatoin`",
            "did you mean `cloudformation`?",
        ]);
    assert!(!run.dir.join("proj").exists());
    // A flavour is a folder name: nothing that walks out of a blueprint directory.
    with_notes_flavour(Test::new())
        .args(&[
            "new",
            "--defaults",
            "--set",
            "flavor=../bp/notes",
            "--out",
            "proj",
            "--blueprints",
            "bp",
        ])
        .run()
        .fails(2)
        .stderr_has(&["flavor: `../bp/notes` is not a flavour name"]);
    // A blueprint directory without the chosen flavour says what it does hold.
    with_notes_flavour(Test::new())
        .args(&["new", "--defaults", "--out", "proj", "--blueprints", "bp"])
        .run()
        .fails(2)
        .stderr_has(&[
            "no `cloudformation` folder",
            "it holds notes",
            "--set flavor=NAME",
        ]);
}

#[test]
fn a_pipe_in_a_blueprint_folder_is_refused_instead_of_read() {
    // Reading a FIFO would block for ever; the folder walk refuses anything but files and folders.
    let t = Test::new().file(
        "bp/cloudformation/odd/blueprint.yaml",
        "name: odd\ndescription: holds a pipe\nfiles: []\n",
    );
    let fifo = t.path().join("bp/cloudformation/odd/pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    t.args(&["new", "--defaults", "--out", "proj", "--blueprints", "bp"])
        .run()
        .fails(1)
        .stderr_has(&["pipe is not a regular file"]);
}
