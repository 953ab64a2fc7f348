//! Regenerates `docs/conformance.md` from a run of the spec suite.

fn main() {
    let results = midenc_tests::spec::run_suite();
    let text = midenc_tests::spec::render_markdown(&results);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/conformance.md");
    if let Err(e) = std::fs::write(&path, text) {
        eprintln!("error: cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
    println!("wrote {}", path.display());
}
