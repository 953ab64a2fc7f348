//! Calls into the Miden assembler.

use std::sync::Arc;

use miden_assembly::{
    ast::{ModuleKind, QualifiedProcedureName},
    debuginfo::DefaultSourceManager,
    diagnostics::reporting::PrintDiagnostic,
    Assembler, Library, ModuleParser, Path,
};
use miden_core_lib::CoreLibrary;
use miden_mast_package::Word;

use crate::LinkError;

/// The MASM module path of a package's code: the package name made into a lowercase
/// identifier (prefixed with `m_` when it does not start with a letter).
pub fn module_path(package: &str) -> Result<String, LinkError> {
    let mut ident: String = package
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if ident.is_empty() {
        return Err(LinkError::InvalidName {
            what: "name",
            value: package.to_string(),
            reason: "must not be empty".into(),
        });
    }
    if !ident.starts_with(|c: char| c.is_ascii_lowercase()) {
        ident.insert_str(0, "m_");
    }
    Ok(ident)
}

fn assembly_error(report: miden_assembly::diagnostics::Report) -> LinkError {
    LinkError::Assembly {
        report: format!("{}", PrintDiagnostic::new_without_color(report)),
    }
}

/// Assembles a library from `modules` (path, source), the first of which is the main module:
/// only its public procedures are exported. The others (the part modules a program's code is
/// split into, `CompiledModule::modules`) are linked statically, as is the core library, so
/// the library needs nothing at run time and exports exactly what the main module declares.
pub fn assemble_modules(modules: &[(String, String)]) -> Result<Arc<Library>, LinkError> {
    let sources = Arc::new(DefaultSourceManager::default());
    let mut parsed = modules
        .iter()
        .map(|(path, source)| {
            ModuleParser::new(ModuleKind::Library)
                .parse_str(Path::new(path), source, sources.clone())
                .map_err(assembly_error)
        })
        .collect::<Result<Vec<_>, LinkError>>()?;
    if parsed.is_empty() {
        return Err(LinkError::Assembly {
            report: "internal error: no module to assemble".into(),
        });
    }
    let main = parsed.remove(0);
    let mut assembler = Assembler::new(sources)
        .with_static_library(CoreLibrary::default())
        .map_err(assembly_error)?;
    assembler
        .compile_and_statically_link_all(parsed)
        .map_err(assembly_error)?;
    assembler.assemble_library([main]).map_err(assembly_error)
}

/// The MAST root of `proc_name` in module `path` of `library`.
pub fn export_root(library: &Library, path: &str, proc_name: &str) -> Result<Word, LinkError> {
    let missing = || LinkError::MissingExport {
        name: proc_name.to_string(),
    };
    let name =
        QualifiedProcedureName::new(Path::new(path), proc_name.parse().map_err(|_| missing())?);
    library
        .get_procedure_root_by_path(name.as_path())
        .ok_or_else(missing)
}
