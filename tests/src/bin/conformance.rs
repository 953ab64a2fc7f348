//! Regenerates `docs/conformance.md` from a run of the spec suite.
//!
//! With file names as arguments (`conformance i32 memory_grow`) it runs only those and prints
//! every failure instead of writing the document.

fn main() {
    let names: Vec<String> = std::env::args().skip(1).collect();
    if !names.is_empty() {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        for (name, report) in midenc_tests::spec::run_files(&names) {
            println!(
                "{name}: {} passed, {} failed, {} skipped",
                report.passed,
                report.failed.len(),
                report.skipped_count()
            );
            for failure in &report.failed {
                println!("  {failure}");
            }
            for (reason, n) in &report.skipped {
                println!("  skipped {n} × {reason}");
            }
        }
        return;
    }
    let results = midenc_tests::spec::run_suite();
    let text = midenc_tests::spec::render_markdown(&results);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/conformance.md");
    if let Err(e) = std::fs::write(&path, text) {
        eprintln!("error: cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
    println!("wrote {}", path.display());
}
