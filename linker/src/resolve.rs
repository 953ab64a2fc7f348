//! Import resolution against the packages given with `-L`.
//!
//! A [`LinkSet`] holds the linked packages. [`LinkSet::resolve`] binds each import of a module
//! being compiled: a `mast:0x…` import to the export with that MAST root, a named import to the
//! export with that full WIT name (`ns:pkg/iface@version#func`, version included). Exactly one
//! package may provide an import, and the signatures must agree: the same core types for a
//! `mast:` import of a core export (or the canonical lowering of a component export's WIT
//! signature), exact types for named ones. Only a plain Miden library, which records no
//! signatures, binds by root alone. [`LinkSet::check_dependencies`] verifies, before a run, that every package
//! reachable from the one being run finds its dependencies with the recorded digests.

use midenc_abi::{CoreType, FlatType, WitSignature, WitType};
use midenc_frontend_wasm::{Binding, ImportTarget, ImportedFunction, Invocation};

use crate::{
    manifest::{signature_text, ImportBinding, ImportKind, ManifestExport},
    LinkError, LinkedPackage,
};

/// A package given with `-L`, and where it was loaded from.
pub struct LinkInput {
    /// Where it came from (a path, as shown in diagnostics).
    pub origin: String,
    /// The package.
    pub package: LinkedPackage,
}

/// The packages available to resolve imports and to serve calls at run time.
#[derive(Default)]
pub struct LinkSet {
    inputs: Vec<LinkInput>,
    /// The Miden protocol library, made the first time an import names it: it is always
    /// available, like the core library, without `-L`.
    protocol: std::sync::OnceLock<LinkInput>,
    /// The standards library (the standard wallet's procedures), made on first use too.
    standards: std::sync::OnceLock<LinkInput>,
}

/// How one import was resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// The MAST root the import calls.
    pub root: String,
    /// The linked export that provides it; `None` for an external dependency.
    pub provider: Option<ImportBinding>,
    /// How the import's adapter invokes it: what the provider's export declares.
    pub invocation: Invocation,
}

impl Resolution {
    /// What the frontend binds the import to.
    pub fn binding(&self) -> Binding {
        Binding {
            root: self.root.clone(),
            invocation: self.invocation,
        }
    }
}

const MAST_SIGNATURE_HELP: &str = "a call by MAST root passes the import's core values as \
    they are, so it must have the export's exact core types (for a component export: the \
    canonical lowering of its WIT signature, without strings or lists); `midenc bindings \
    PKG.masp` generates matching imports";

const NAMED_SIGNATURE_HELP: &str = "a named import must have the exact types of the export \
    it names; regenerate its bindings from the provider's WIT or package";

/// Whether a component export with signature `sig` can be called with core values `params`
/// and return `results` as they are: its argument and result images are exactly its canonical
/// lowering's flat values (no strings or lists, whose data travels separately), and those are
/// the import's types. Types compare by how they are held (an `f32`, float or felt, is one
/// felt like an `i32`; an `f64` two limbs like an `i64`).
fn lowers_to(sig: &WitSignature, params: &[CoreType], results: &[CoreType]) -> bool {
    let core = |flat: &[FlatType]| -> Vec<CoreType> { flat.iter().map(|t| t.carrier()).collect() };
    let held = |tys: &[CoreType]| -> Vec<CoreType> { tys.iter().map(|t| t.carrier()).collect() };
    let lists = sig.params.iter().any(|(_, t)| t.has_lists())
        || sig.result.as_ref().is_some_and(WitType::has_lists);
    !lists && core(&sig.flat_params()) == held(params) && core(&sig.flat_results()) == held(results)
}

/// The functions of `bundled` in the interface `full` names (or its interfaces), as a hint.
fn functions_like(bundled: &LinkInput, full: &str) -> String {
    let iface = full.split_once('#').map_or(full, |(i, _)| i);
    let iface = iface.split_once('@').map_or(iface, |(i, _)| i);
    let exports = &bundled.package.manifest.exports;
    let same: Vec<&str> = exports
        .iter()
        .map(|e| e.name.as_str())
        .filter(|n| n.starts_with(&format!("{iface}@")))
        .collect();
    if same.is_empty() {
        let mut ifaces: Vec<&str> = exports
            .iter()
            .filter_map(|e| e.name.split_once('@').map(|(i, _)| i))
            .collect();
        ifaces.dedup();
        format!("its interfaces are {}", ifaces.join(", "))
    } else {
        format!("`{iface}` has {}", same.join(", "))
    }
}

/// The exports of `inputs` matching `pred`, each with its package: at most one per package.
fn providers_in<'a>(
    inputs: impl IntoIterator<Item = &'a LinkInput>,
    pred: impl Fn(&ManifestExport) -> bool,
) -> Vec<(&'a LinkInput, &'a ManifestExport)> {
    let mut found: Vec<(&LinkInput, &ManifestExport)> = Vec::new();
    for input in inputs {
        // One package exporting the same root under two names is still one provider.
        if let Some(export) = input.package.manifest.exports.iter().find(|e| pred(e)) {
            found.push((input, export));
        }
    }
    found
}

fn felts_text(params: usize, results: usize) -> String {
    format!("{params} felts in, {results} out")
}

impl LinkSet {
    /// Adds a package. The same package given twice is kept once; two different packages
    /// with one name are an error naming both files.
    ///
    /// # Errors
    /// [`LinkError::DuplicatePackage`].
    pub fn add(
        &mut self,
        origin: impl Into<String>,
        package: LinkedPackage,
    ) -> Result<(), LinkError> {
        let origin = origin.into();
        if let Some(existing) = self
            .inputs
            .iter()
            .find(|i| i.package.manifest.name == package.manifest.name)
        {
            let (a, b) = (existing.package.digest(), package.digest());
            if a == b {
                return Ok(());
            }
            return Err(LinkError::DuplicatePackage {
                name: package.manifest.name.clone(),
                first_origin: existing.origin.clone(),
                first_digest: a,
                second_origin: origin,
                second_digest: b,
            });
        }
        self.inputs.push(LinkInput { origin, package });
        Ok(())
    }

    /// The bundled typed library whose package the full WIT name `full` belongs to
    /// (`miden:protocol` or `miden:standards`), made on first use.
    fn bundled(&self, full: &str) -> Result<Option<&LinkInput>, LinkError> {
        let (cell, make): (_, fn() -> Result<LinkedPackage, LinkError>) =
            if full.starts_with(midenc_wit::PROTOCOL_PREFIX) {
                (&self.protocol, crate::protocol_package)
            } else if full.starts_with(midenc_wit::STANDARDS_PREFIX) {
                (&self.standards, crate::standards_package)
            } else {
                return Ok(None);
            };
        if let Some(input) = cell.get() {
            return Ok(Some(input));
        }
        let package = make()?;
        Ok(Some(cell.get_or_init(|| LinkInput {
            origin: "built in".into(),
            package,
        })))
    }

    /// The linked packages, in the order given.
    pub fn inputs(&self) -> &[LinkInput] {
        &self.inputs
    }

    /// The exports matching `pred`, each with its package: at most one per linked package.
    fn providers(
        &self,
        pred: impl Fn(&ManifestExport) -> bool,
    ) -> Vec<(&LinkInput, &ManifestExport)> {
        providers_in(&self.inputs, pred)
    }

    fn origins(&self) -> String {
        if self.inputs.is_empty() {
            "no package was linked".into()
        } else {
            let names: Vec<String> = self
                .inputs
                .iter()
                .map(|i| format!("`{}` ({})", i.package.manifest.name, i.origin))
                .collect();
            format!("none of {} exports it", names.join(", "))
        }
    }

    /// Resolves the imports of a module, in order.
    ///
    /// # Errors
    /// [`LinkError::Unresolved`] when nothing provides an import (a `mast:` import is then
    /// recorded as an external dependency if `allow_unresolved`), [`LinkError::DuplicateExport`]
    /// when two packages do, [`LinkError::SignatureMismatch`] when the signatures disagree.
    pub fn resolve(
        &self,
        imports: &[ImportedFunction],
        allow_unresolved: bool,
    ) -> Result<Vec<Resolution>, LinkError> {
        imports
            .iter()
            .map(|import| self.resolve_one(import, allow_unresolved))
            .collect()
    }

    fn resolve_one(
        &self,
        import: &ImportedFunction,
        allow_unresolved: bool,
    ) -> Result<Resolution, LinkError> {
        let signature = import_signature_text(import);
        let (display, found) = match &import.target {
            ImportTarget::MastRoot(root) => (
                import.display_name(),
                self.providers(|e| e.mast_root.eq_ignore_ascii_case(root)),
            ),
            ImportTarget::Named(full) => {
                // A linked package that exports the name comes first; a bundled library
                // (protocol, standards) serves the rest of its package's names.
                let mut found = self.providers(|e| &e.name == full);
                if found.is_empty() {
                    if let Some(bundled) = self.bundled(full)? {
                        found = providers_in([bundled], |e| &e.name == full);
                    }
                }
                (full.clone(), found)
            }
        };
        let (input, export) = match found.as_slice() {
            [] => {
                return match &import.target {
                    ImportTarget::MastRoot(root) if allow_unresolved => Ok(Resolution {
                        root: root.clone(),
                        provider: None,
                        invocation: Invocation::Call,
                    }),
                    ImportTarget::MastRoot(_) => Err(LinkError::Unresolved {
                        import: display,
                        signature,
                        why: self.origins(),
                        help: "link the package that exports this MAST root with -L, or pass \
                               --allow-unresolved to record it as an external dependency"
                            .into(),
                    }),
                    ImportTarget::Named(full) if self.bundled(full)?.is_some() => {
                        let bundled = self.bundled(full)?.expect("checked");
                        Err(LinkError::Unresolved {
                            import: display,
                            why: format!(
                                "the bundled library {} {} has no such function",
                                bundled.package.manifest.name, bundled.package.manifest.version
                            ),
                            help: functions_like(bundled, full),
                            signature,
                        })
                    }
                    ImportTarget::Named(full) => Err(LinkError::Unresolved {
                        import: display,
                        why: self.origins(),
                        help: self.near_misses(full).unwrap_or_else(|| {
                            "link the package that exports it with -L (a named import needs \
                             its provider at compile time: --allow-unresolved does not apply)"
                                .into()
                        }),
                        signature,
                    }),
                };
            }
            [one] => *one,
            [first, second, ..] => {
                return Err(LinkError::DuplicateExport {
                    import: display,
                    first_package: first.0.package.manifest.name.clone(),
                    first_origin: first.0.origin.clone(),
                    first_export: first.1.name.clone(),
                    second_package: second.0.package.manifest.name.clone(),
                    second_origin: second.0.origin.clone(),
                    second_export: second.1.name.clone(),
                })
            }
        };
        let (p, r) = import.stack_felts();
        let agrees = match (&import.target, &import.wit, &export.wit) {
            // A plain Miden library records no signatures: the root alone binds.
            (ImportTarget::MastRoot(_), _, _) if input.package.plain => true,
            // A call by root passes the core values as they are: a core export must take and
            // return exactly those types (equal felt counts are not enough: `(i64)` and
            // `(i32, i32)` are both two felts, read differently).
            (ImportTarget::MastRoot(_), _, None) => {
                import.params == export.params && import.results == export.results
            }
            (ImportTarget::MastRoot(_), _, Some(have)) => {
                lowers_to(have, &import.params, &import.results)
            }
            // A component import needs a provider with the same WIT function type.
            (ImportTarget::Named(_), Some(want), Some(have)) => want.same_types(have),
            (ImportTarget::Named(_), Some(_), None) => false,
            (ImportTarget::Named(_), None, _) => {
                import.params == export.params && import.results == export.results
            }
        };
        // A `mast:` import always `call`s: its core code was written for the 16-felt
        // convention, which an `exec`ed procedure does not follow.
        let exec = export.invocation == "exec";
        let mismatch = match &import.target {
            _ if !agrees => Some(match import.target {
                ImportTarget::MastRoot(_) => MAST_SIGNATURE_HELP,
                ImportTarget::Named(_) => NAMED_SIGNATURE_HELP,
            }),
            ImportTarget::MastRoot(_) if exec => Some(
                "this export is invoked with `exec` (in the caller's context); import it by \
                 its WIT name, not by MAST root",
            ),
            _ => None,
        };
        if let Some(help) = mismatch {
            return Err(LinkError::SignatureMismatch {
                import: display,
                import_signature: signature,
                import_felts: felts_text(p, r),
                package: input.package.manifest.name.clone(),
                origin: input.origin.clone(),
                export: export.name.clone(),
                export_signature: export.signature.clone(),
                export_felts: felts_text(export.stack_felts_in, export.stack_felts_out),
                help: help.into(),
            });
        }
        let invocation = if exec {
            Invocation::Exec
        } else {
            Invocation::Call
        };
        Ok(Resolution {
            invocation,
            root: export.mast_root.to_ascii_lowercase(),
            provider: Some(ImportBinding {
                package: input.package.manifest.name.clone(),
                version: input.package.manifest.version.clone(),
                digest: input.package.digest(),
                export: export.name.clone(),
            }),
        })
    }

    /// Exports whose name differs from `full` only in the version, as a hint.
    fn near_misses(&self, full: &str) -> Option<String> {
        let unversioned = |name: &str| -> Option<String> {
            let (iface, func) = name.split_once('#')?;
            Some(format!(
                "{}#{func}",
                iface.split_once('@').map_or(iface, |(i, _)| i)
            ))
        };
        let want = unversioned(full)?;
        let hits: Vec<String> = self
            .inputs
            .iter()
            .flat_map(|i| {
                i.package
                    .manifest
                    .exports
                    .iter()
                    .filter(|e| unversioned(&e.name).as_deref() == Some(&want))
                    .map(move |e| format!("`{}` in {}", e.name, i.origin))
            })
            .collect();
        (!hits.is_empty())
            .then(|| format!("versions must match exactly; found {}", hits.join(", ")))
    }

    /// Checks that `root` and every package it (transitively) depends on find their
    /// dependencies in this set with the recorded digests, and that each external import of
    /// `root` is exported by some linked package.
    ///
    /// # Errors
    /// [`LinkError::MissingDependency`], [`LinkError::DigestMismatch`], [`LinkError::Unresolved`].
    pub fn check_dependencies(&self, origin: &str, root: &LinkedPackage) -> Result<(), LinkError> {
        for import in root
            .manifest
            .imports
            .iter()
            .filter(|i| i.resolved.is_none())
        {
            let provided = self.inputs.iter().any(|i| {
                i.package
                    .manifest
                    .exports
                    .iter()
                    .any(|e| e.mast_root.eq_ignore_ascii_case(&import.mast_root))
            });
            if !provided {
                return Err(LinkError::Unresolved {
                    import: import.display_name(),
                    signature: import.signature.clone(),
                    why: format!(
                        "`{}` ({origin}) was built with it unresolved, and {}",
                        root.manifest.name,
                        self.origins()
                    ),
                    help: "link the package that exports this MAST root with -L".into(),
                });
            }
        }
        let mut seen: Vec<String> = Vec::new();
        let mut work: Vec<(String, &LinkedPackage)> = vec![(origin.to_string(), root)];
        while let Some((dependent_origin, package)) = work.pop() {
            if seen.contains(&package.manifest.name) {
                continue;
            }
            seen.push(package.manifest.name.clone());
            for dep in package.package.manifest.dependencies() {
                let name = dep.name.to_string();
                let expected = dep.digest.to_hex();
                let Some(found) = self.inputs.iter().find(|i| i.package.manifest.name == name)
                else {
                    return Err(LinkError::MissingDependency {
                        dependent: package.manifest.name.clone(),
                        dependent_origin,
                        name,
                        version: dep.version.to_string(),
                        digest: expected,
                    });
                };
                let actual = found.package.digest();
                if actual != expected {
                    return Err(LinkError::DigestMismatch {
                        dependent: package.manifest.name.clone(),
                        dependent_origin,
                        name,
                        expected_version: dep.version.to_string(),
                        expected,
                        origin: found.origin.clone(),
                        found_version: found.package.manifest.version.clone(),
                        found: actual,
                    });
                }
                work.push((found.origin.clone(), &found.package));
            }
        }
        Ok(())
    }
}

/// An import's signature as diagnostics and the manifest show it: its WIT signature for an
/// import of a component's world, else its core signature.
pub fn import_signature_text(import: &ImportedFunction) -> String {
    match &import.wit {
        Some(sig) => sig.wit_text(),
        None => signature_text(&import.params, &import.results),
    }
}

/// The import kind recorded in the manifest for a frontend import target.
pub fn import_kind(target: &ImportTarget) -> ImportKind {
    match target {
        ImportTarget::MastRoot(_) => ImportKind::Mast,
        ImportTarget::Named(_) => ImportKind::Named,
    }
}
