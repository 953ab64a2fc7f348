//! The runtime support procedures a program needs: the Wasm intrinsics (`intrinsics.masm`) and
//! the canonical-ABI runtime, each included only when code executes it (directly or through
//! another runtime procedure), in one module every other module calls into.

use std::{borrow::Cow, collections::HashSet, sync::OnceLock};

use crate::{layout, masm::Inst, trap_sites::TrapPlace};

/// The MASM runtime support procedures (signed division, sign flips, ...).
pub(crate) const INTRINSICS: &str = include_str!("intrinsics.masm");

/// The soft-float runtime (`float-rt/` compiled by midenc; `tests/src/bin/float_runtime.rs`
/// regenerates it): the procedures float operators execute.
pub(crate) const FLOATS: &str = include_str!("float.masm");

/// The soft-float procedures `refs` (transitively) reach, as [`used_procs`] selects them; the
/// runtime's text is only scanned when code executes one of its procedures (most programs have
/// no floats).
pub(crate) fn used_floats(refs: &Refs<'_>) -> String {
    static NAMES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let names = NAMES.get_or_init(|| proc_names(FLOATS).into_iter().collect());
    if refs.iter().any(|r| names.contains(r)) {
        used_procs(FLOATS, refs)
    } else {
        String::new()
    }
}

/// Name of the part module that holds the runtime support procedures (intrinsics and the
/// canonical-ABI runtime) used anywhere in the program, so each is defined once.
pub const RUNTIME_MODULE: &str = "midenc_rt";

/// The lines of each procedure of the runtime module's `text`, from its `pub proc` line to its
/// `end` in column 0.
pub(crate) fn runtime_places(text: &str) -> Vec<(usize, usize, TrapPlace)> {
    let mut places = Vec::new();
    let mut open: Option<(usize, &str)> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(name) = line.strip_prefix("pub proc ") {
            open = Some((i, name.split_whitespace().next().unwrap_or_default()));
        } else if line == "end" {
            if let Some((first, name)) = open.take() {
                places.push((
                    first,
                    i,
                    TrapPlace::Runtime {
                        procedure: name.to_string(),
                    },
                ));
            }
        }
    }
    places
}

/// The names of the procedures defined in `text` (`proc`/`pub proc` at the start of a line).
pub(crate) fn proc_names(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| {
            l.strip_prefix("pub proc ")
                .or_else(|| l.strip_prefix("proc "))
        })
        .filter_map(|l| l.split_whitespace().next())
        .collect()
}

/// The unqualified procedure names that the library text `text` executes (`exec.<name>`).
pub(crate) fn exec_targets(text: &str) -> HashSet<&str> {
    text.match_indices("exec.")
        .map(|(i, m)| {
            let after = &text[i + m.len()..];
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            &after[..len]
        })
        .collect()
}

/// Whether `name` is a procedure of the runtime libraries (`intrinsics.masm`, the
/// canonical-ABI runtime): code refers to those unqualified, and they live in
/// [`RUNTIME_MODULE`].
pub(crate) fn is_runtime_proc(name: &str) -> bool {
    static NAMES: OnceLock<HashSet<String>> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            let abi = crate::component::runtime_masm();
            proc_names(INTRINSICS)
                .into_iter()
                .chain(proc_names(&abi))
                .chain(proc_names(FLOATS))
                .map(str::to_string)
                .collect()
        })
        .contains(name)
}

/// `inst` with its runtime procedures named by their path in [`RUNTIME_MODULE`], as code
/// outside that module calls them.
pub(crate) fn qualified(inst: &Inst) -> Cow<'_, Inst> {
    match inst {
        Inst::Exec(target) if is_runtime_proc(target) => {
            Cow::Owned(Inst::Exec(format!("{RUNTIME_MODULE}::{target}")))
        }
        Inst::Group(insts) if insts.iter().any(|i| matches!(qualified(i), Cow::Owned(_))) => {
            Cow::Owned(Inst::Group(
                insts.iter().map(|i| qualified(i).into_owned()).collect(),
            ))
        }
        _ => Cow::Borrowed(inst),
    }
}

/// The names a program's code executes: collected from its instructions as they were written
/// ([`crate::masm::Needs`]), plus the procedures the already selected runtime `text` executes.
pub(crate) type Refs<'a> = HashSet<&'a str>;

/// The intrinsic procedures that `refs` (transitively) reach, in definition order.
///
/// A module without felts (`f32_is_felt` false) gets the cheaper forms that may assume every
/// element of linear memory is a u32: the branchless `wasm_load32` and `wasm_store_masked`,
/// `wasm_load8` without the u32 assertion, `wasm_store8` without the felt split,
/// and `memory.copy` without the felt check of byte-shifting copies.
pub(crate) fn used_intrinsics(refs: &Refs<'_>, felts: bool) -> String {
    let library = if felts {
        std::borrow::Cow::Borrowed(INTRINSICS)
    } else {
        std::borrow::Cow::Owned(
            INTRINSICS
                .replace("proc wasm_load32\n", "proc wasm_load32_felt_safe\n")
                .replace("proc wasm_load32_plain\n", "proc wasm_load32\n")
                .replace(
                    "proc wasm_store_masked\n",
                    "proc wasm_store_masked_felt_safe\n",
                )
                .replace("proc wasm_store_masked_plain\n", "proc wasm_store_masked\n")
                .replace("proc wasm_load8\n", "proc wasm_load8_felt_safe\n")
                .replace("proc wasm_load8_plain\n", "proc wasm_load8\n")
                .replace("proc wasm_store8\n", "proc wasm_store8_felt_safe\n")
                .replace("proc wasm_store8_plain\n", "proc wasm_store8\n")
                .replace("            exec.wasm_assert_byte_slots\n", ""),
        )
    };
    used_procs(&library, refs)
        .replace("POW_TABLE_4", &(layout::POW_TABLE_ADDR + 4).to_string())
        .replace("POW_TABLE", &layout::POW_TABLE_ADDR.to_string())
        .replace("FELT_SCRATCH", &layout::FELT_SCRATCH_ADDR.to_string())
        .replace(
            "MERGE_WORDS_ALIGNED",
            crate::felt_intrinsics::MERGE_WORDS_ALIGNED,
        )
}

/// The procedures of `library` (MASM source whose procedures end with `end` in column 0) that
/// `refs` (transitively) reach, in definition order, as `pub proc`s of [`RUNTIME_MODULE`].
pub(crate) fn used_procs(library: &str, refs: &Refs<'_>) -> String {
    let chunks: Vec<&str> = library.split("\nproc ").collect();
    let procs: Vec<(&str, &str)> = chunks
        .iter()
        .skip(1)
        .map(|chunk| {
            let name = chunk.split_whitespace().next().unwrap_or_default();
            let end = chunk.find("\nend").map_or(chunk.len(), |i| i + 4);
            (name, &chunk[..end])
        })
        .collect();
    // Attribute lines (`@locals(4)`) written just before a `proc` end the chunk before it.
    let attributes: Vec<Vec<&str>> = chunks
        .iter()
        .take(procs.len())
        .map(|before| {
            let mut lines: Vec<&str> = before
                .lines()
                .rev()
                .take_while(|l| l.starts_with('@'))
                .collect();
            lines.reverse();
            lines
        })
        .collect();
    // Each library procedure is scanned once for the procedures it executes; the closure is
    // then taken over those small sets.
    let body_refs: Vec<HashSet<&str>> = procs.iter().map(|(_, body)| exec_targets(body)).collect();
    let mut used: Vec<bool> = procs.iter().map(|(name, _)| refs.contains(name)).collect();
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..procs.len() {
            if !used[i]
                && body_refs
                    .iter()
                    .zip(&used)
                    .any(|(refs, u)| *u && refs.contains(procs[i].0))
            {
                used[i] = true;
                changed = true;
            }
        }
    }
    let mut out = String::new();
    for (((_, body), attributes), u) in procs.iter().zip(&attributes).zip(used) {
        if u {
            for line in attributes {
                out.push_str(line);
                out.push('\n');
            }
            out.push_str("pub proc ");
            out.push_str(body);
            out.push_str("\n\n");
        }
    }
    out
}
