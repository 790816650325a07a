//! The wizard without a terminal: key sequences through `update` on plain
//! structs, screens drawn on `TestBackend` and snapshotted with insta, and the
//! whole loop with a scripted world.
//!
//! Snapshots use no blueprints (only the stored answers are rendered), so they
//! do not change whenever a blueprint does; the byte-for-byte test uses the
//! real built-in ones.

use std::collections::VecDeque;
use std::io;
use std::path::Path;

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

use stackwright::answers::model::{Engine, NatMode, Stage};
use stackwright::answers::validate;
use stackwright::answers::{self, Answers, Layers, Loaded};
use stackwright::blueprint;
use stackwright::error::{Error, Result};
use stackwright::ui::fields::{self, Field, Step};
use stackwright::ui::tui::message::Message;
use stackwright::ui::tui::{self, update::update, view, App, Effect, Exit, Setup, World};

fn app() -> App {
    App::new(Answers::default(), Setup::default())
}

fn k(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn alt(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::ALT)
}

fn press(app: &mut App, keys: &[KeyEvent]) {
    for key in keys {
        update(app, Message::Key(*key));
    }
}

fn enter(app: &mut App, n: usize) {
    press(app, &vec![k(KeyCode::Enter); n]);
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        update(app, Message::Key(k(KeyCode::Char(c))));
    }
}

/// Presses Enter until `step`; panics if it is never reached.
fn to_step(app: &mut App, step: Step) {
    for _ in 0..100 {
        if app.step == step {
            return;
        }
        enter(app, 1);
    }
    panic!("never reached {step:?}; status {:?}", app.status);
}

fn screen(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view::draw(f, app)).unwrap();
    format!("{}", t.backend())
}

#[test]
fn enter_through_every_step_keeps_every_default() {
    let mut a = app();
    to_step(&mut a, Step::Review);
    assert_eq!(a.answers, Answers::default());
    assert!(a.status.is_none());
    enter(&mut a, 1);
    assert_eq!(a.effect, Some(Effect::Write));
}

#[test]
fn project_step_refuses_an_invalid_name_with_the_answers_file_message() {
    let mut a = app();
    press(&mut a, &[ctrl('u')]);
    typed(&mut a, "Bad");
    let expected = validate::project_name("Bad").unwrap_err();
    assert_eq!(a.input_problem(), Some(expected.clone()));
    enter(&mut a, 1);
    assert_eq!(
        (a.step, a.focus),
        (Step::Project, 0),
        "cannot leave the field"
    );
    assert!(a.status.as_deref().unwrap().contains(&expected.message));
    press(&mut a, &[k(KeyCode::Down)]);
    assert_eq!(a.focus, 0, "nor move to another field");
    press(&mut a, &[ctrl('u')]);
    typed(&mut a, "payments");
    enter(&mut a, 1);
    assert_eq!(a.answers.project.name, "payments");
    assert_eq!(a.target(), Path::new("payments"));
    // Text fields take q and ? as text; owner allows spaces.
    typed(&mut a, " q?");
    assert!(a.exit.is_none() && !a.help);
    assert_eq!(a.input.as_ref().unwrap().value, "platform-team q?");
}

#[test]
fn back_navigation_and_leaving() {
    let mut a = app();
    to_step(&mut a, Step::Region);
    press(&mut a, &[k(KeyCode::Esc)]);
    assert_eq!(a.step, Step::Project);
    press(&mut a, &[k(KeyCode::Esc)]);
    assert!(
        matches!(a.exit, Some(Exit::Cancelled)),
        "Esc on the first step leaves"
    );

    let mut a = app();
    to_step(&mut a, Step::Network);
    press(&mut a, &[k(KeyCode::Char('q'))]);
    assert!(
        matches!(a.exit, Some(Exit::Cancelled)),
        "q on a choice leaves"
    );

    let mut a = app();
    press(&mut a, &[ctrl('c')]);
    assert!(matches!(a.exit, Some(Exit::Cancelled)), "ctrl-c anywhere");
}

#[test]
fn region_search_filters_and_picks() {
    let mut a = app();
    to_step(&mut a, Step::Region);
    typed(&mut a, "zzz");
    assert!(a.regions().is_empty());
    enter(&mut a, 1);
    assert_eq!(a.step, Step::Region);
    assert!(a.status.as_deref().unwrap().contains("no region matches"));
    press(&mut a, &[ctrl('u')]);
    typed(&mut a, "ireland");
    assert_eq!(a.regions(), ["eu-west-1"]);
    enter(&mut a, 1);
    assert_eq!(
        (a.answers.region.as_str(), a.step),
        ("eu-west-1", Step::Environments)
    );
    // Down moves through the list, not the fields.
    press(&mut a, &[k(KeyCode::Esc)]);
    let row = a.region_row;
    press(&mut a, &[k(KeyCode::Down)]);
    assert_eq!(a.region_row, row + 1);
}

#[test]
fn environments_add_rename_reorder_remove() {
    let mut a = app();
    to_step(&mut a, Step::Environments);
    let names = |a: &App| {
        a.answers
            .environments
            .iter()
            .map(|e| e.name.clone())
            .collect::<Vec<_>>()
    };
    press(&mut a, &[ctrl('n')]);
    assert_eq!(names(&a), ["dev", "staging", "prod"]);
    assert_eq!(
        a.slot().unwrap().env,
        1,
        "focus on the new environment's name"
    );
    press(&mut a, &[ctrl('u')]);
    typed(&mut a, "prod");
    enter(&mut a, 1);
    assert!(a.status.as_deref().unwrap().contains("listed twice"));
    press(&mut a, &[ctrl('u')]);
    typed(&mut a, "qa");
    press(&mut a, &[alt(KeyCode::Down)]);
    assert_eq!(
        names(&a),
        ["dev", "prod", "qa"],
        "renamed, then moved later"
    );
    press(&mut a, &[alt(KeyCode::Up), alt(KeyCode::Up)]);
    assert_eq!(names(&a), ["qa", "dev", "prod"]);
    // Profile of qa: production.
    press(&mut a, &[k(KeyCode::Down), k(KeyCode::Right)]);
    assert_eq!(a.answers.environments[0].profile.as_str(), "production");
    press(&mut a, &[ctrl('d'), ctrl('d')]);
    assert_eq!(names(&a), ["prod"]);
    press(&mut a, &[ctrl('d')]);
    assert_eq!(names(&a), ["prod"]);
    assert!(a.status.as_deref().unwrap().contains("at least one"));
    for _ in 0..10 {
        press(&mut a, &[ctrl('n')]);
    }
    assert_eq!(a.answers.environments.len(), 8);
    assert!(a
        .status
        .as_deref()
        .unwrap()
        .contains("8 environments at most"));
}

#[test]
fn environment_ranges_overlap_is_caught_when_leaving_the_step() {
    let mut a = app();
    to_step(&mut a, Step::Environments);
    enter(&mut a, 4); // dev: name, profile, approval, account
    typed(&mut a, "10.1.0.0/16"); // auto gives prod 10.1.0.0/16 too, unless explicit
    enter(&mut a, 5);
    typed(&mut a, "10.1.0.0/20");
    enter(&mut a, 1);
    assert_eq!(a.step, Step::Environments);
    assert!(
        a.status.as_deref().unwrap().contains("overlaps"),
        "{:?}",
        a.status
    );
    press(&mut a, &[ctrl('u')]);
    enter(&mut a, 1);
    assert_eq!(a.step, Step::Network);
    assert_eq!(a.answers.environments[1].vpc_cidr, None);
}

#[test]
fn network_choices_endpoints_and_pasted_cidrs() {
    let mut a = app();
    to_step(&mut a, Step::Network);
    press(&mut a, &[k(KeyCode::Right)]);
    assert_eq!(a.answers.network.availability_zones, 3);
    press(&mut a, &[k(KeyCode::Down), k(KeyCode::Left)]);
    assert_eq!(a.answers.network.nat, NatMode::None);
    press(&mut a, &[k(KeyCode::Down)]);
    let first = fields::options(&a.answers, Field::Endpoints)[0].clone();
    let had = a.answers.network.endpoints.contains(&first);
    press(&mut a, &[k(KeyCode::Char(' '))]);
    assert_eq!(a.answers.network.endpoints.contains(&first), !had);
    press(&mut a, &[k(KeyCode::Down), k(KeyCode::Down)]);
    assert_eq!(a.slot().unwrap().field, Field::TrustedCidrs);
    update(
        &mut a,
        Message::Paste("10.0.0.0/8\n192.168.0.0/16\n".into()),
    );
    enter(&mut a, 1);
    assert_eq!(
        a.answers.network.trusted_cidrs,
        ["10.0.0.0/8", "192.168.0.0/16"]
    );
    // The world-open range needs the explicit allowance first.
    press(&mut a, &[k(KeyCode::Esc)]);
    to_step(&mut a, Step::Network);
    press(
        &mut a,
        &[
            k(KeyCode::Down),
            k(KeyCode::Down),
            k(KeyCode::Down),
            k(KeyCode::Down),
        ],
    );
    press(&mut a, &[ctrl('u')]);
    typed(&mut a, "0.0.0.0/0");
    let refused = validate::trusted_cidr("0.0.0.0/0", false).unwrap_err();
    assert_eq!(a.input_problem(), Some(refused));
    press(&mut a, &[k(KeyCode::BackTab)]);
    assert_eq!(a.slot().unwrap().field, Field::TrustedCidrs, "cannot leave");
}

#[test]
fn database_engine_change_and_validation() {
    let mut a = app();
    to_step(&mut a, Step::Database);
    press(&mut a, &[k(KeyCode::Right)]);
    assert_eq!(a.answers.database.engine, Engine::Mysql);
    assert_eq!(a.answers.database.version, "auto");
    press(&mut a, &[k(KeyCode::Down), k(KeyCode::Down), ctrl('u')]);
    typed(&mut a, "m5.large");
    assert_eq!(
        a.input_problem(),
        validate::instance_class("m5.large").err()
    );
    press(&mut a, &[ctrl('u')]);
    typed(&mut a, "db.m5.large");
    enter(&mut a, 1);
    assert_eq!(a.answers.database.instance_class, "db.m5.large");
}

#[test]
fn pipeline_stage_rules_block_the_step() {
    let mut a = app();
    to_step(&mut a, Step::Pipeline);
    // validate, test, security_scan, build, deploy: cursor to deploy, toggle off.
    press(&mut a, &[k(KeyCode::Right); 4]);
    press(&mut a, &[k(KeyCode::Char(' '))]);
    assert!(!a.answers.pipeline.stages.contains(&Stage::Deploy));
    to_step_blocked(&mut a);
    assert!(a
        .status
        .as_deref()
        .unwrap()
        .contains("integration_test needs a deploy stage"));
    press(&mut a, &[k(KeyCode::Up); 3]);
    assert_eq!((a.focus, a.option), (0, 0));
    press(&mut a, &[k(KeyCode::Right); 4]);
    press(&mut a, &[k(KeyCode::Char(' '))]);
    to_step(&mut a, Step::App);
    assert_eq!(
        a.answers.pipeline.stages,
        Answers::default().pipeline.stages
    );
}

fn to_step_blocked(a: &mut App) {
    enter(a, 10);
    assert_eq!(a.step, Step::Pipeline);
}

#[test]
fn app_port_refuses_remote_shell_ports() {
    let mut a = app();
    to_step(&mut a, Step::App);
    press(&mut a, &[k(KeyCode::Right), k(KeyCode::Down), ctrl('u')]);
    typed(&mut a, "22");
    assert_eq!(a.input_problem(), validate::app_port(22).err());
    press(&mut a, &[ctrl('u')]);
    typed(&mut a, "8080");
    enter(&mut a, 1);
    assert_eq!((a.answers.app.port, a.step), (8080, Step::Review));
}

#[test]
fn help_overlay_and_footer_come_from_the_key_table() {
    let mut a = app();
    to_step(&mut a, Step::Network);
    press(&mut a, &[k(KeyCode::Char('?'))]);
    assert!(a.help);
    let text = screen(&a, 120, 40);
    for b in tui::keys::BINDINGS {
        assert!(text.contains(b.what), "help lacks {}", b.what);
    }
    press(&mut a, &[k(KeyCode::Char('x'))]);
    assert!(!a.help && a.exit.is_none());
    let footer = screen(&a, 120, 40);
    for (label, what) in tui::keys::hints(&a.contexts()) {
        assert!(footer.contains(&format!("{label} {what}")));
    }
}

/// A world with scripted events that records what would be written.
struct Scripted {
    events: VecDeque<Event>,
    written: Option<Loaded>,
    saved: Option<String>,
}

impl World for Scripted {
    fn next_event(&mut self) -> io::Result<Event> {
        self.events
            .pop_front()
            .ok_or_else(|| io::Error::other("script ran out"))
    }
    fn write(&mut self, loaded: &Loaded) -> Result<String> {
        self.written = Some(loaded.clone());
        Ok("wrote demo".into())
    }
    fn save(&mut self, _: &Path, text: &str, _: bool) -> Result<()> {
        self.saved = Some(text.into());
        Ok(())
    }
}

fn run_script(app: &mut App, keys: Vec<KeyEvent>) -> Scripted {
    let mut world = Scripted {
        events: keys.into_iter().map(Event::Key).collect(),
        written: None,
        saved: None,
    };
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    tui::run_loop(&mut t, app, &mut world).unwrap();
    world
}

#[test]
fn enter_through_everything_renders_exactly_what_defaults_render() {
    let blueprints = blueprint::source::builtin("cloudformation").unwrap();
    let setup = Setup {
        blueprints: blueprints.clone(),
        ..Setup::default()
    };
    let mut a = App::new(Answers::default(), setup);
    let mut keys = vec![k(KeyCode::Enter); 32];
    keys.push(k(KeyCode::Char('x')));
    let world = run_script(&mut a, keys);
    assert!(matches!(a.exit, Some(Exit::Written(_))), "{:?}", a.exit);
    let written = world.written.expect("written");
    let defaults = answers::load(&Layers::default(), stackwright::flavours::answer_rules).unwrap();
    assert_eq!(written.answers, defaults.answers);
    match (
        stackwright::flavours::render(&written, &blueprints),
        stackwright::flavours::render(&defaults, &blueprints),
    ) {
        (Ok(w), Ok(d)) => assert_eq!(w.files, d.files),
        (Err(w), Err(d)) => assert_eq!(w.to_string(), d.to_string()),
        (w, d) => panic!("different outcomes: {:?} / {:?}", w.is_ok(), d.is_ok()),
    }
}

#[test]
fn save_writes_the_answers_file_with_auto_kept() {
    let mut a = app();
    to_step(&mut a, Step::Review);
    let world = run_script(&mut a, vec![k(KeyCode::Char('s')), k(KeyCode::Enter)]);
    assert!(matches!(a.exit, Some(Exit::Saved(_))));
    let saved = world.saved.unwrap();
    let back = answers::load_str("saved.yaml", &saved, stackwright::flavours::answer_rules)
        .unwrap()
        .answers;
    assert_eq!(
        back,
        answers::load(&Layers::default(), stackwright::flavours::answer_rules)
            .unwrap()
            .answers
    );
    assert!(saved.contains("version: auto"), "{saved}");
}

#[test]
fn errors_from_the_engine_show_in_the_preview_instead_of_panicking() {
    let mut a = app();
    a.preview = tui::app::Preview::Failed("blueprint network: half written".into());
    let text = screen(&a, 120, 40);
    assert!(text.contains("half written"));
    to_step(&mut a, Step::Review);
    let w = run_script(&mut a, vec![k(KeyCode::Enter), ctrl('c')]);
    assert!(w.written.is_none());
    assert!(matches!(a.exit, Some(Exit::Cancelled)));
}

#[test]
fn written_failure_is_reported_then_returned() {
    let mut a = app();
    update(
        &mut a,
        Message::Written(Err(Error::Usage("disk full".into()))),
    );
    assert!(screen(&a, 80, 24).contains("disk full"));
    press(&mut a, &[k(KeyCode::Enter)]);
    assert!(matches!(a.exit, Some(Exit::Failed(_))));
}

// Snapshots: every screen at 120×40 and 80×24, and a tiny terminal.

fn at(step: Step) -> App {
    let mut a = app();
    to_step(&mut a, step);
    a
}

#[test]
fn snapshots_of_every_screen() {
    let mut screens: Vec<(&str, App)> = Step::ALL.iter().map(|s| (s.title(), at(*s))).collect();
    let mut invalid = app();
    press(&mut invalid, &[ctrl('u')]);
    typed(&mut invalid, "Bad");
    screens.push(("invalid", invalid));
    let mut help = at(Step::Review);
    press(&mut help, &[k(KeyCode::Char('?'))]);
    screens.push(("help", help));
    let mut done = at(Step::Review);
    update(&mut done, Message::Written(Ok("wrote demo (2 files: 2 new, 0 updated, 0 unchanged) with 0 controls\nnext:\n  cd demo\n".into())));
    screens.push(("done", done));
    let mut pipeline = at(Step::Pipeline);
    press(&mut pipeline, &[k(KeyCode::Right), k(KeyCode::Right)]);
    screens.push(("pipeline-cursor", pipeline));
    let mut cost = at(Step::Review);
    press(&mut cost, &[k(KeyCode::Char('c'))]);
    screens.push(("review-cost", cost));

    let mut count = 0;
    for (name, a) in &screens {
        let slug = name.to_lowercase().replace(' ', "-");
        for (w, h) in [(120, 40), (80, 24)] {
            insta::assert_snapshot!(format!("{slug}-{w}x{h}"), screen(a, w, h));
            count += 1;
        }
        // Far too small: says so, never panics.
        let tiny = screen(a, 30, 8);
        assert!(tiny.contains("terminal too"), "{tiny}");
    }
    insta::assert_snapshot!("tiny-30x8", screen(&screens[0].1, 30, 8));
    assert_eq!(count, 26);
    for (w, h) in [(1, 1), (60, 16), (59, 40), (200, 15)] {
        screen(&screens[0].1, w, h);
    }
}

fn real_app(answers: Answers) -> App {
    let setup = Setup {
        blueprints: blueprint::source::resolve("cloudformation", &[]).unwrap(),
        ..Setup::default()
    };
    App::new(answers, setup)
}

#[test]
fn q_with_unsaved_edits_asks_before_discarding_them() {
    // Nothing changed: q leaves at once.
    let mut a = at(Step::Network);
    press(&mut a, &[k(KeyCode::Char('q'))]);
    assert!(matches!(a.exit, Some(Exit::Cancelled)));

    // Changed: q asks; any other key keeps editing with the edits intact.
    let mut a = at(Step::Network);
    press(&mut a, &[k(KeyCode::Right)]); // 3 AZs
    press(&mut a, &[k(KeyCode::Char('q'))]);
    assert!(a.exit.is_none() && a.confirm_quit);
    let text = screen(&a, 80, 24);
    assert!(text.contains("Discard the unsaved answers?"), "{text}");
    assert!(text.contains("y quit, write nothing") && text.contains("s save the answers"));
    press(&mut a, &[k(KeyCode::Char('n'))]);
    assert!(a.exit.is_none() && !a.confirm_quit);
    assert_eq!(a.answers.network.availability_zones, 3);
    // y discards; Esc on the first step asks the same way.
    press(&mut a, &[k(KeyCode::Char('q')), k(KeyCode::Char('y'))]);
    assert!(matches!(a.exit, Some(Exit::Cancelled)));

    let mut a = app();
    typed(&mut a, "x"); // typed, not yet accepted
    press(&mut a, &[k(KeyCode::Esc)]);
    assert!(
        a.exit.is_none() && a.confirm_quit,
        "Esc with typed text asks"
    );
    press(&mut a, &[k(KeyCode::Char('s'))]);
    assert_eq!(a.effect, Some(Effect::Save), "s saves the answers instead");
    assert_eq!(a.answers.project.name, "demox");

    // Ctrl-C always leaves at once.
    let mut a = at(Step::Network);
    press(&mut a, &[k(KeyCode::Right), ctrl('c')]);
    assert!(matches!(a.exit, Some(Exit::Cancelled)));
}

#[test]
fn question_mark_is_typed_in_text_fields_and_f1_is_help_there() {
    let mut a = app();
    typed(&mut a, "?");
    assert!(!a.help);
    assert_eq!(a.input.as_ref().unwrap().value, "demo?");
    for (w, h) in [(120, 40), (80, 24)] {
        assert!(
            screen(&a, w, h).contains("f1 help (? types ?)"),
            "footer at {w}x{h}"
        );
    }
    press(&mut a, &[k(KeyCode::F(1))]);
    assert!(a.help);
}

#[test]
fn quitting_is_visible_in_the_key_bar_on_every_screen_at_80x24() {
    for step in Step::ALL {
        let text = screen(&at(step), 80, 24);
        assert!(
            text.contains("ctrl-c quit, write nothing"),
            "{step:?}:\n{text}"
        );
    }
}

#[test]
fn long_problems_are_shown_whole() {
    let mut a = app();
    to_step(&mut a, Step::Environments);
    enter(&mut a, 4);
    typed(&mut a, "10.1.0.0/16");
    enter(&mut a, 5);
    typed(&mut a, "10.1.0.0/20");
    enter(&mut a, 1);
    let status = a.status.clone().unwrap();
    assert!(status.len() > 80, "a long message: {status}");
    let text = screen(&a, 80, 24);
    // Every word of the message is on the screen, wrapped rather than cut.
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for word in status.split_whitespace() {
        assert!(flat.contains(word), "{word:?} cut from:\n{text}");
    }
}

#[test]
fn auto_ranges_show_their_value_and_the_80x24_review_the_resolved_answers() {
    let a = at(Step::Environments);
    let text = screen(&a, 120, 40);
    assert!(
        text.contains("auto: 10.0.0.0/16") && text.contains("auto: 10.1.0.0/16"),
        "{text}"
    );
    let text = screen(&at(Step::Review), 80, 24);
    for resolved in [
        "VPC 10.1.0.0/16 (auto)",
        "postgres 17.11 (auto)",
        "Answers (resolved",
    ] {
        assert!(text.contains(resolved), "{resolved}:\n{text}");
    }
}

#[test]
fn text_fields_scroll_sideways_as_they_grow() {
    let mut a = app();
    press(&mut a, &[k(KeyCode::Down)]); // owner
    let long = "platform-team-with-a-very-long-name-of-its-own-that-goes-on-and-on";
    press(&mut a, &[ctrl('u')]);
    typed(&mut a, long);
    for (w, h) in [(120, 40), (80, 24)] {
        let text = screen(&a, w, h);
        // The end of what is typed (where the cursor is) stays in view.
        assert!(text.contains("goes-on-and-on"), "{w}x{h}:\n{text}");
        assert!(
            text.contains('…'),
            "{w}x{h}: the start scrolled away:\n{text}"
        );
    }
}

#[test]
fn the_preview_follows_the_field_and_the_keys() {
    let mut a = real_app(Answers::default());
    to_step(&mut a, Step::Database);
    enter(&mut a, 3); // engine, version, class: to the database name
    let text = screen(&a, 120, 40);
    assert!(text.contains("Preview: templates/database.yaml"), "{text}");
    assert!(
        text.contains("DBName: \"appdb\""),
        "the name's place is in view:\n{text}"
    );
    // Typing updates the preview before Enter.
    press(&mut a, &[ctrl('u')]);
    typed(&mut a, "ledger");
    let text = screen(&a, 120, 40);
    assert!(text.contains("DBName: \"ledger\""), "{text}");
    assert_eq!(a.answers.database.name, "appdb", "not accepted yet");

    // Environments show their parameter file at the range.
    let mut a = real_app(Answers::default());
    to_step(&mut a, Step::Environments);
    enter(&mut a, 9); // prod's VPC CIDR
    let text = screen(&a, 120, 40);
    assert!(text.contains("Preview: params/prod.json"), "{text}");
    assert!(text.contains("\"VpcCidr\": \"10.1.0.0/16\""), "{text}");
}

/// Presses Enter through the step's fields, the last press being the one that leaves it.
fn to_last_enter(a: &mut App) {
    for _ in 0..20 {
        if a.focus + 1 == a.slots().len() {
            return enter(a, 1);
        }
        enter(a, 1);
    }
    panic!("stuck at field {}; status {:?}", a.focus, a.status);
}

#[test]
fn deferred_rendering_answers_keys_first_and_drops_stale_previews() {
    let mut a = real_app(Answers::default());
    a.deferred = true;
    to_step(&mut a, Step::Database);
    enter(&mut a, 3); // to the database name
    press(&mut a, &[ctrl('u')]);
    typed(&mut a, "le");
    // Neither checked nor rendered on the keys: the frame says so.
    assert!(a.checking);
    assert!(screen(&a, 120, 40).contains("Rendering the preview"));
    let (old, stale) = a.take_render_job().expect("a job for `le`");
    typed(&mut a, "dger");
    let (new, fresh) = a.take_render_job().expect("a job for `ledger`");
    assert!(new > old);
    // The older results arrive late and are dropped; the newer ones are shown.
    let checked = |answers: &Answers| tui::app::check(answers);
    a.checked(old, checked(&stale));
    assert!(a.checking);
    a.checked(new, checked(&fresh));
    assert!(!a.checking && matches!(a.preview, tui::app::Preview::Rendering(_)));
    let loaded = |answers: &Answers| match tui::app::check(answers) {
        tui::app::Preview::Rendering(loaded) => *loaded,
        _ => panic!("valid answers"),
    };
    a.rendered(old, tui::app::render(loaded(&stale), &a.setup.blueprints));
    assert!(matches!(a.preview, tui::app::Preview::Rendering(_)));
    a.rendered(new, tui::app::render(loaded(&fresh), &a.setup.blueprints));
    assert!(screen(&a, 120, 40).contains("DBName: \"ledger\""));
    // Invalid text is refused at once, without waiting for any check.
    press(&mut a, &[ctrl('u')]);
    typed(&mut a, "9bad");
    enter(&mut a, 1);
    assert!(a.status.is_some() && a.answers.database.name == "appdb");

    // Writing while a rendering is pending writes the current answers.
    let mut a = real_app(Answers::default());
    a.deferred = true;
    to_step(&mut a, Step::Review);
    press(&mut a, &[k(KeyCode::Esc), k(KeyCode::Right)]); // app tier: ec2
    assert!(a.checking);
    to_last_enter(&mut a);
    assert_eq!(a.step, Step::App, "waits for the check");
    // Only the check comes back; the files are still being rendered.
    let (generation, answers) = a.take_render_job().expect("a job for ec2");
    a.checked(generation, tui::app::check(&answers));
    assert_eq!(a.step, Step::Review);
    assert!(matches!(a.preview, tui::app::Preview::Rendering(_)));
    let w = run_script(&mut a, vec![k(KeyCode::Enter), k(KeyCode::Enter)]);
    let written = w.written.expect("written");
    assert_eq!(written.answers.app.kind.as_str(), "ec2");
}

#[test]
fn the_review_shows_the_cost_estimate_and_c_shows_its_line_items() {
    let mut a = at(Step::Review);
    let resolved = answers::load(&Layers::default(), stackwright::flavours::answer_rules)
        .unwrap()
        .answers;
    let e = stackwright::cost::estimate(&resolved).expect("us-east-1 has prices");
    let total = format!("${:.2}", e.total);
    let prod = e.groups.iter().find(|g| g.name == "prod").unwrap();
    let db = prod
        .lines
        .iter()
        .find(|l| l.item.starts_with("Database instance hours"))
        .unwrap();
    let db_amount = format!("${:.2}", db.monthly.unwrap());
    for (w, h) in [(120, 40), (80, 24)] {
        let text = screen(&a, w, h);
        assert!(text.contains(&total), "{w}x{h} total {total}:\n{text}");
        assert!(text.contains("c cost details"), "{w}x{h}:\n{text}");
    }
    press(&mut a, &[k(KeyCode::Char('c'))]);
    assert!(a.show_cost);
    for (w, h) in [(120, 40), (80, 24)] {
        // Line items, then (scrolled) the assumptions: every figure the
        // estimate has is reachable with PgDn.
        let mut seen = String::new();
        let mut b = at(Step::Review);
        press(&mut b, &[k(KeyCode::Char('c'))]);
        for _ in 0..8 {
            seen.push_str(&screen(&b, w, h));
            press(&mut b, &[k(KeyCode::PageDown)]);
        }
        for needle in [
            "Cost estimate",
            "Database instance hours",
            db_amount.as_str(),
            total.as_str(),
            "Assumptions",
            "not a quote",
        ] {
            assert!(seen.contains(needle), "{w}x{h} {needle}:\n{seen}");
        }
    }
    // c again: back to the files (wide) or the answers (narrow).
    press(&mut a, &[k(KeyCode::Char('c'))]);
    assert!(screen(&a, 80, 24).contains("Answers (resolved"));
}
