//! The three-package chain of `tests/fixtures/link` (a calls b calls c by MAST root), compiled
//! into a temp dir, and what its `run` export computes.

use std::path::{Path, PathBuf};

use super::{midenc_output as midenc, stderr};

fn ok(o: std::process::Output) -> std::process::Output {
    assert!(o.status.success(), "midenc failed:\n{}", stderr(&o));
    o
}

/// The text of fixture `name` of `tests/fixtures/link`.
pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/link")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The manifest of package `name` compiled in `dir`, as JSON.
pub fn manifest(dir: &Path, name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join(format!("{name}.manifest.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The MAST root of export `export` of the package `name` compiled in `dir`.
pub fn root_of(dir: &Path, name: &str, export: &str) -> String {
    let m = manifest(dir, name);
    m["exports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == export)
        .unwrap_or_else(|| panic!("{name} has no export {export}"))["mast_root"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Replaces every `{{pkg:export}}` in `text` with that export's MAST root.
pub fn with_roots(dir: &Path, text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("{{") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find("}}").unwrap() + at;
        let (pkg, export) = rest[at + 2..end].split_once(':').unwrap();
        out.push_str(&root_of(dir, pkg, export));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// A temp dir with c, b and a compiled: c alone, b against c, a against b.
pub fn chain() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("c.wat"), fixture("c.wat")).unwrap();
    ok(midenc(&["compile", "c.wat"], d));
    std::fs::write(d.join("b.wat"), with_roots(d, &fixture("b.wat"))).unwrap();
    ok(midenc(&["compile", "b.wat", "-L", "c.masp"], d));
    std::fs::write(d.join("a.wat"), fixture("a.wat")).unwrap();
    ok(midenc(&["compile", "a.wat", "-L", "b.masp"], d));
    dir
}

/// What `a`'s `run(x)` computes, from the fixtures' comments.
pub fn expected_run(x: i32) -> i64 {
    let nine = x.wrapping_mul(9);
    let first = nine.wrapping_add(100) as u32 as i64;
    let (a, b, c) = (x, (x as i64).wrapping_mul(3), 7i32);
    let m = b.wrapping_add(a as u32 as i64);
    let r = c.wrapping_sub(a);
    let t = m.wrapping_add(r as i64);
    let mixplus = b
        .wrapping_mul(a.wrapping_add(1000) as u32 as i64)
        .wrapping_add(t);
    first.wrapping_add(mixplus)
}
