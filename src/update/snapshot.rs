//! `.stackwright/base.json.gz`: every file stackwright wrote last time, exactly
//! as rendered. It is the merge base of the next update, so a newer stackwright
//! (whose blueprints no longer produce the old text) still knows which lines
//! were its own and which the team wrote. gzip keeps it small and out of the way
//! of `git diff` and the project's own scanners; the bytes are deterministic
//! (no timestamp, fixed level).

use std::collections::BTreeMap;
use std::io::{Read, Write};

use flate2::{write::GzEncoder, Compression, GzBuilder};
use serde::{Deserialize, Serialize};

use crate::blueprint::RenderedFile;
use crate::error::{Error, Result};

/// Format version of the snapshot.
const FORMAT: u32 = 1;
/// Largest snapshot read back (decompressed), against a planted gzip bomb.
const MAX_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
struct Snapshot {
    format: u32,
    files: BTreeMap<String, String>,
}

/// Paths under `.stackwright/` are stackwright's bookkeeping, rewritten on
/// every run; everything else is a project file that is merged.
pub fn is_bookkeeping(path: &str) -> bool {
    path.starts_with(".stackwright/")
}

/// The snapshot of the project files among `files`.
pub fn encode(files: &[RenderedFile]) -> Vec<u8> {
    let snapshot = Snapshot {
        format: FORMAT,
        files: files
            .iter()
            .filter(|f| !is_bookkeeping(&f.path))
            .map(|f| {
                (
                    f.path.clone(),
                    String::from_utf8_lossy(&f.content).into_owned(),
                )
            })
            .collect(),
    };
    let json = serde_json::to_vec(&snapshot).expect("snapshot serializes");
    // The fastest level: the snapshot is written on every render and read only by
    // `update`; level 6 took a quarter of a Terraform render's instructions for
    // about 20% less size.
    let mut gz: GzEncoder<Vec<u8>> = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::fast());
    gz.write_all(&json).expect("writing to memory");
    gz.finish().expect("writing to memory")
}

/// Reads a snapshot; `path` names it in errors.
pub fn decode(bytes: &[u8], path: &str) -> Result<BTreeMap<String, Vec<u8>>> {
    let bad = |why: String| {
        Error::Usage(format!(
            "{path}: {why}\n    hint: delete it and stackwright update rebuilds the merge base from the stored answers"
        ))
    };
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(MAX_BYTES + 1)
        .read_to_end(&mut json)
        .map_err(|e| bad(format!("not a gzip snapshot: {e}")))?;
    if json.len() as u64 > MAX_BYTES {
        return Err(bad(format!("larger than {MAX_BYTES} bytes unpacked")));
    }
    let snapshot: Snapshot =
        serde_json::from_slice(&json).map_err(|e| bad(format!("not a snapshot: {e}")))?;
    if snapshot.format > FORMAT {
        return Err(bad(format!(
            "snapshot format {} comes from a newer stackwright",
            snapshot.format
        )));
    }
    let mut out = BTreeMap::new();
    for (p, text) in snapshot.files {
        crate::output::safe_relative_path(&p)?;
        out.insert(p, text.into_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> RenderedFile {
        RenderedFile {
            path: path.into(),
            content: text.as_bytes().to_vec(),
            blueprint: "t".into(),
        }
    }

    #[test]
    fn round_trip_skips_bookkeeping_and_is_deterministic() {
        let files = [
            file("a/b.yaml", "x: 1\n"),
            file(".stackwright/answers.yaml", "k: v\n"),
        ];
        let bytes = encode(&files);
        assert_eq!(bytes, encode(&files));
        let back = decode(&bytes, "base").unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back["a/b.yaml"], b"x: 1\n");
    }

    #[test]
    fn damaged_or_hostile_snapshots_are_refused() {
        assert!(decode(b"not gzip", "base").is_err());
        let evil = [file("x", "1")];
        let mut bytes = encode(&evil);
        // Same archive, path rewritten to leave the project.
        let json = r#"{"format":1,"files":{"../x":"1"}}"#;
        let mut gz = GzBuilder::new().write(Vec::new(), Compression::new(6));
        gz.write_all(json.as_bytes()).unwrap();
        bytes.clear();
        bytes.extend(gz.finish().unwrap());
        assert!(decode(&bytes, "base").is_err());
    }
}
