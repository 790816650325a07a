//! The CDK flavour: a TypeScript CDK app with one Stage per environment
//! (`lib/stage.ts`), deployed by `cdk deploy`. Its templates call the
//! handler-permission functions it shares with CloudFormation (the bootstrap's
//! execution policies); stackwright checks its TypeScript lexically, finds the
//! jest tests named after controls and documents the acknowledgments of
//! `lib/compliance.ts`.

pub mod inventory;
pub mod typescript;

use std::collections::BTreeMap;

use tera::Tera;

use crate::answers::{Answers, Findings};
use crate::blueprint::flavour::{python_tests, Deploy, Doc, Eval, Flavour, Texts};
use crate::blueprint::format::Formats;
use crate::blueprint::{Blueprint, SkipDoc};
use crate::error::Result;
use crate::output::RenderedFile;

/// A CDK app in TypeScript.
pub struct Cdk;

impl Flavour for Cdk {
    fn register(&self, tera: &mut Tera, _a: &Answers) {
        super::handlers::register(tera);
    }

    fn answer_rules(&self, a: &Answers) -> Findings {
        let mut found = Findings::default();
        super::terraform_state_only(a, &mut found);
        found
    }

    fn inventory(&self, files: &Texts, answers: &Answers, _blueprints: &[Blueprint]) -> String {
        inventory::cdk(files, answers)
    }

    fn formats(&self) -> &'static Formats {
        &[("ts", typescript::check_balanced)]
    }

    fn deploy(
        &self,
        _answers: &Answers,
        _eval: &Eval,
        _applied: &[&Blueprint],
        _tctx: &tera::Context,
    ) -> Result<Box<dyn Deploy>> {
        Ok(Box::new(Stages))
    }
}

/// The app's Stages: `cdk synth` derives the stacks from the code, so the
/// model writes no files of its own.
pub struct Stages;

impl Deploy for Stages {
    fn finish(
        &self,
        _docs: BTreeMap<String, Doc>,
        files: &[RenderedFile],
        summary: &mut tera::Context,
    ) -> Result<Vec<SkipDoc>> {
        summary.insert("acknowledgments", &typescript::acknowledgments(files));
        Ok(Vec::new())
    }

    /// The jest tests under `test/` next to any Python tests.
    fn tests(&self, files: &[RenderedFile]) -> BTreeMap<String, Vec<String>> {
        let mut tests = python_tests(files);
        for (id, found) in typescript::jest_tests(files) {
            tests.entry(id).or_default().extend(found);
        }
        tests
    }
}
