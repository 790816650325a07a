//! The full-screen wizard (The Elm Architecture): [`app::App`] is the state,
//! [`message::Message`] what happens, [`update::update`] the only mutation,
//! [`view::draw`] the only drawing. The loop blocks on the next terminal event
//! and draws only after one, so an idle wizard uses no CPU.

pub mod app;
pub mod keys;
pub mod message;
pub mod update;
pub mod view;

use std::io;

use ratatui::backend::Backend;
use ratatui::crossterm::event::{self, DisableBracketedPaste, EnableBracketedPaste, Event};
use ratatui::crossterm::execute;
use ratatui::Terminal;

use crate::answers::{Answers, Loaded};
use crate::error::{Error, Result};
pub use app::{App, Effect, Exit, Setup};
use message::Message;

/// What the loop needs from outside: the next event and the two effects that touch the disk.
pub trait World {
    fn next_event(&mut self) -> io::Result<Event>;
    /// Renders and writes the project exactly as `stackwright new` does; returns the summary.
    fn write(&mut self, loaded: &Loaded) -> Result<String>;
    /// Writes the answers file.
    fn save(&mut self, path: &std::path::Path, text: &str, overwrite: bool) -> Result<()>;
}

/// Runs the wizard on any backend until it exits.
pub fn run_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    world: &mut dyn World,
) -> Result<()> {
    let draw_err = |e: B::Error| Error::Usage(format!("drawing the wizard failed: {e}"));
    terminal.draw(|f| view::draw(f, app)).map_err(draw_err)?;
    while app.exit.is_none() {
        let event = world
            .next_event()
            .map_err(|e| Error::io("reading", "the terminal", e))?;
        let Some(msg) = Message::from_event(event) else {
            continue;
        };
        update::update(app, msg);
        while let Some(effect) = app.effect.take() {
            let msg = perform(app, effect, world);
            update::update(app, msg);
        }
        if app.exit.is_none() {
            terminal.draw(|f| view::draw(f, app)).map_err(draw_err)?;
        }
    }
    Ok(())
}

fn perform(app: &mut App, effect: Effect, world: &mut dyn World) -> Message {
    match effect {
        Effect::Write => {
            app.finish_rendering();
            write_current(app, world)
        }
        Effect::Save => {
            let path = app.save_path();
            let text = crate::ui::answers_file(&app.answers);
            let overwrite = app.setup.save_to.is_some();
            Message::Saved(world.save(&path, &text, overwrite).map(|()| path))
        }
    }
}

fn write_current(app: &App, world: &mut dyn World) -> Message {
    match &app.preview {
        app::Preview::Ready { loaded, .. } => Message::Written(world.write(loaded)),
        _ => Message::Written(Err(Error::Usage("the answers are not valid yet".into()))),
    }
}

/// What reaches the terminal loop: a terminal event, the check of the
/// answers, or a rendered preview.
enum Incoming {
    Event(io::Result<Event>),
    Checked(u64, app::Preview),
    Rendered(u64, app::Preview),
}

/// The loop on a real terminal. Keys are answered at once: checking the
/// whole answers and rendering the preview's files run on a worker thread,
/// newest answers first, and each result is drawn when it arrives; leaving a
/// step waits for the check, writing checks on the spot. Terminal events come from a reader
/// thread, so the loop sleeps until either happens.
fn run_deferred<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    world: &mut dyn World,
) -> Result<()> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc};

    let draw_err = |e: B::Error| Error::Usage(format!("drawing the wizard failed: {e}"));
    app.deferred = true;
    let (tx, rx) = mpsc::channel::<Incoming>();
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (tx, stop) = (tx.clone(), stop.clone());
        std::thread::spawn(move || {
            // Polls so it can stop once the wizard ends; idle, it wakes 5 times a second.
            while !stop.load(Ordering::SeqCst) {
                match event::poll(std::time::Duration::from_millis(200)) {
                    Ok(false) => {}
                    Ok(true) => {
                        if tx.send(Incoming::Event(event::read())).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Incoming::Event(Err(e)));
                        break;
                    }
                }
            }
        })
    };
    let (jobs, job_rx) = mpsc::channel::<(u64, Box<Answers>)>();
    let blueprints = Arc::new(app.setup.blueprints.clone());
    let flavor = app.setup.flavor.clone();
    std::thread::spawn(move || {
        let mut next = None;
        while let Some((generation, answers)) = next.take().or_else(|| job_rx.recv().ok()) {
            // Only the newest answers are worth checking and rendering.
            let (mut generation, mut answers) = (generation, answers);
            while let Ok(newer) = job_rx.try_recv() {
                (generation, answers) = newer;
            }
            let checked = app::check(&answers);
            let loaded = match &checked {
                app::Preview::Rendering(loaded) => Some((**loaded).clone()),
                _ => None,
            };
            if tx.send(Incoming::Checked(generation, checked)).is_err() {
                break;
            }
            // Newer answers arrived meanwhile: check those instead of rendering these.
            if let Ok(newer) = job_rx.try_recv() {
                next = Some(newer);
                continue;
            }
            if let Some(loaded) = loaded {
                let preview = app::render_for(loaded, &blueprints, &flavor);
                if tx.send(Incoming::Rendered(generation, preview)).is_err() {
                    break;
                }
            }
        }
    });
    let mut held = std::collections::VecDeque::new();
    let result = (|| loop {
        if let Some(job) = app.take_render_job() {
            let _ = jobs.send(job);
        }
        terminal.draw(|f| view::draw(f, app)).map_err(draw_err)?;
        if app.exit.is_some() {
            return Ok(());
        }
        match rx.recv() {
            Ok(Incoming::Event(event)) => {
                let event = event.map_err(|e| Error::io("reading", "the terminal", e))?;
                let Some(msg) = Message::from_event(event) else {
                    continue;
                };
                if app.leaving.is_some() && !is_ctrl_c(&msg) {
                    // Keys typed ahead belong to the step being left: they
                    // wait for its check, in order.
                    held.push_back(msg);
                    continue;
                }
                handle(app, msg, world);
            }
            Ok(Incoming::Checked(generation, preview)) => app.checked(generation, preview),
            Ok(Incoming::Rendered(generation, preview)) => app.rendered(generation, preview),
            Err(_) => return Ok(()),
        }
        while app.leaving.is_none() && app.exit.is_none() {
            let Some(msg) = held.pop_front() else { break };
            handle(app, msg, world);
        }
    })();
    stop.store(true, Ordering::SeqCst);
    let _ = reader.join();
    result
}

fn handle(app: &mut App, msg: Message, world: &mut dyn World) {
    update::update(app, msg);
    while let Some(effect) = app.effect.take() {
        let msg = perform(app, effect, world);
        update::update(app, msg);
    }
}

fn is_ctrl_c(msg: &Message) -> bool {
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};
    matches!(msg, Message::Key(k)
        if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL))
}

/// Restores what `enter` changed, on every way out: return, `?`, panic unwinding.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        leave();
    }
}

fn leave() {
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        ratatui::crossterm::cursor::Show
    );
    ratatui::restore();
}

struct RealWorld<'a> {
    write: &'a mut dyn FnMut(&Loaded) -> Result<String>,
}

impl World for RealWorld<'_> {
    fn next_event(&mut self) -> io::Result<Event> {
        // Blocks until something happens: no polling, no timer.
        event::read()
    }

    fn write(&mut self, loaded: &Loaded) -> Result<String> {
        (self.write)(loaded)
    }

    fn save(&mut self, path: &std::path::Path, text: &str, overwrite: bool) -> Result<()> {
        crate::ui::save_answers(path, text, overwrite)
    }
}

/// Runs the wizard in the real terminal. `write` renders and writes the project.
pub fn run(
    answers: Answers,
    setup: Setup,
    write: &mut dyn FnMut(&Loaded) -> Result<String>,
) -> Result<Exit> {
    let mut app = App::new(answers, setup);
    // Our hook runs inside ratatui's (installed by try_init), after raw mode
    // and the alternate screen are gone: it turns bracketed paste off too.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(io::stdout(), DisableBracketedPaste);
        previous(info);
    }));
    let mut terminal = ratatui::try_init().map_err(|e| {
        Error::Usage(format!(
            "cannot start the wizard on this terminal ({e}); answer non-interactively:\n    stackwright new --answers team.yaml --out DIR\n    stackwright new --defaults --out DIR"
        ))
    })?;
    let guard = Guard;
    execute!(io::stdout(), EnableBracketedPaste)
        .map_err(|e| Error::io("setting up", "the terminal", e))?;
    let mut world = RealWorld { write };
    let result = run_deferred(&mut terminal, &mut app, &mut world);
    drop(guard);
    result?;
    Ok(app.exit.take().unwrap_or(Exit::Cancelled))
}
