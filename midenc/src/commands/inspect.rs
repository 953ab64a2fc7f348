//! `midenc inspect`: what a package exports, imports and needs, as tables or as the manifest JSON.

use std::{fmt::Write as _, path::PathBuf};

use midenc_linker::{ComponentManifest, ImportKind};

use crate::error::{DriverError, DriverResult};

/// Options of `midenc inspect`.
#[derive(clap::Args, Debug)]
pub struct Opts {
    /// A package (`.masp`) or a manifest written beside one (`.json`).
    pub input: PathBuf,
    /// Print the manifest as JSON (the schema in `docs/manifest.md`) instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// Facts only the package file itself can give.
struct PackageFacts {
    bytes: usize,
}

/// Runs `midenc inspect`.
pub fn run(opts: Opts) -> DriverResult<()> {
    let (manifest, facts) = load(&opts.input)?;
    if opts.json {
        let json = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
        println!("{json}");
    } else {
        print!("{}", render(&manifest, facts.as_ref()));
    }
    Ok(())
}

fn load(path: &std::path::Path) -> DriverResult<(ComponentManifest, Option<PackageFacts>)> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("masp") => {
            let bytes = std::fs::metadata(path).map(|m| m.len() as usize).ok();
            let package = crate::input::load_package(path)?;
            Ok((package.manifest, bytes.map(|bytes| PackageFacts { bytes })))
        }
        Some("json") => {
            let text = std::fs::read(path).map_err(|source| DriverError::Read {
                path: path.into(),
                error: source,
            })?;
            let manifest: ComponentManifest =
                serde_json::from_slice(&text).map_err(|e| DriverError::Manifest {
                    path: path.into(),
                    message: e.to_string(),
                })?;
            Ok((manifest, None))
        }
        _ => Err(DriverError::Manifest {
            path: path.into(),
            message: "expected a package (`.masp`) or a manifest (`.json`)".into(),
        }),
    }
}

/// Lays out rows as left-aligned columns separated by two spaces, indented by two.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::from(" ");
        for (cell, w) in cells.zip(&widths) {
            let _ = write!(text, " {cell:<w$} ");
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

/// The readable form of a manifest.
fn render(m: &ComponentManifest, facts: Option<&PackageFacts>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "package   {} {} (manifest schema {})",
        m.name, m.version, m.schema
    );
    if m.entry.is_empty() {
        let _ = writeln!(out, "kind      {}", m.kind);
    } else {
        let _ = writeln!(out, "kind      {} (entry `{}`)", m.kind, m.entry);
    }
    let _ = writeln!(out, "module    {}", m.module);
    let _ = writeln!(out, "wasm      sha256 {}", m.wasm_sha256);
    let _ = writeln!(out, "digest    {}", m.mast_digest);
    let mut sizes = format!(
        "{} procedures, {} MAST nodes, {} bytes of MASM",
        m.sizes.procedures, m.sizes.mast_nodes, m.sizes.masm_bytes
    );
    if let Some(f) = facts {
        let _ = write!(sizes, ", package {} bytes", f.bytes);
    }
    let _ = writeln!(out, "sizes     {sizes}");
    let memory = match m.memory {
        Some(mem) => format!(
            "{} pages initial, {} pages maximum (64 KiB each)",
            mem.initial_pages, mem.maximum_pages
        ),
        None => "none".into(),
    };
    let _ = writeln!(out, "memory    {memory}");
    let _ = writeln!(
        out,
        "world     {}",
        m.world.as_deref().unwrap_or("none (core module)")
    );

    if !m.storage.is_empty() {
        let _ = writeln!(out, "\nstorage slots ({})", m.storage.len());
        let rows: Vec<Vec<String>> = m
            .storage
            .iter()
            .map(|s| vec![s.name.clone(), s.kind.clone(), s.description.clone()])
            .collect();
        out.push_str(&table(&["name", "kind", "description"], &rows));
    }

    let _ = writeln!(out, "\nexports ({})", m.exports.len());
    if !m.exports.is_empty() {
        let rows: Vec<Vec<String>> = m
            .exports
            .iter()
            .map(|e| {
                vec![
                    e.name.clone(),
                    e.signature.clone(),
                    format!("{} / {}", e.stack_felts_in, e.stack_felts_out),
                    yes_no(e.spills),
                    e.invocation.clone(),
                    e.mast_root.clone(),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "name",
                "signature",
                "felts in/out",
                "spills",
                "invocation",
                "MAST root",
            ],
            &rows,
        ));
    }

    let _ = writeln!(out, "\nimports ({})", m.imports.len());
    if !m.imports.is_empty() {
        let rows: Vec<Vec<String>> = m
            .imports
            .iter()
            .map(|i| {
                let kind = match i.kind {
                    ImportKind::Mast => "mast",
                    ImportKind::Named => "named",
                };
                let resolved = match &i.resolved {
                    Some(b) => format!("`{}` in {} {}", b.export, b.package, b.version),
                    None => "external (unresolved)".into(),
                };
                vec![
                    i.display_name(),
                    kind.into(),
                    i.signature.clone(),
                    format!("{} / {}", i.stack_felts_in, i.stack_felts_out),
                    yes_no(i.spills),
                    i.invocation.clone(),
                    i.mast_root.clone(),
                    resolved,
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "name",
                "kind",
                "signature",
                "felts in/out",
                "spills",
                "invocation",
                "MAST root",
                "resolved to",
            ],
            &rows,
        ));
    }

    let _ = writeln!(out, "\ndependencies ({})", m.dependencies.len());
    if !m.dependencies.is_empty() {
        let rows: Vec<Vec<String>> = m
            .dependencies
            .iter()
            .map(|d| vec![d.name.clone(), d.version.clone(), d.digest.clone()])
            .collect();
        out.push_str(&table(&["name", "version", "digest"], &rows));
    }

    let _ = writeln!(out, "\ndata segments ({})", m.data_segments.len());
    if !m.data_segments.is_empty() {
        let rows: Vec<Vec<String>> = m
            .data_segments
            .iter()
            .map(|d| vec![format!("{:#x}", d.offset), d.bytes.to_string()])
            .collect();
        out.push_str(&table(&["offset", "bytes"], &rows));
    }
    out
}
