//! The trap table: which bytes of a package's MASM sources belong to which Wasm function,
//! operator or export wrapper, stored in the package so that a run (also of a `.masp` file)
//! can say where a trap happened.
//!
//! The Miden VM reports a failing instruction's location as the URI of its module's source
//! (the module path) and the instruction's byte range in that source (`docs/codegen.md`, "Trap
//! locations"). The table is JSON in the package section [`TRAPS_SECTION`], written before the
//! manifest and covered by the checksum; a package without it, or with one that does not
//! parse, simply reports traps without a location.

use miden_assembly::mast::MastForest;
use midenc_frontend_wasm::{
    trap_sites::{TrapPlace, WrapperPhase},
    CompiledModule,
};
use serde::{Deserialize, Serialize};

/// Name of the package section holding the [`TrapTable`].
pub const TRAPS_SECTION: &str = "midenc_traps";

/// Where in the Wasm input generated code comes from, by byte ranges of the module sources.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrapTable {
    /// The name of every function (imports first), as diagnostics and profiles show it.
    pub functions: Vec<String>,
    /// Module paths; ranges refer to them by index.
    pub modules: Vec<String>,
    /// Whether offsets are within a component's core module rather than the input itself.
    #[serde(default)]
    pub core_module_offsets: bool,
    /// `(module, start, end, place)`, `end` exclusive.
    pub ranges: Vec<(u32, u32, u32, Place)>,
}

/// What a range belongs to (compact: the table of a large program has thousands of them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Place {
    /// A function body: its index.
    #[serde(rename = "f")]
    Function(u32),
    /// An operator: function index and byte offset.
    #[serde(rename = "o")]
    Operator(u32, u64),
    /// An operator whose instruction another function has a deduplicated copy of (see
    /// [`TrapTable::of`]): function index and byte offset.
    #[serde(rename = "s")]
    SharedOperator(u32, u64),
    /// A runtime support procedure, by name.
    #[serde(rename = "r")]
    Runtime(String),
    /// An export wrapper: the export's name; lifting the arguments (`true`) or the result.
    #[serde(rename = "w")]
    Wrapper(String, bool),
}

/// Where a trap happened, for its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrapLocation {
    /// At a Wasm operator.
    Operator {
        /// The function's name.
        function: String,
        /// The operator's byte offset.
        offset: u64,
        /// Whether the offset is within a component's core module.
        in_core_module: bool,
        /// Whether another function has identical code that the assembler shared with this
        /// one, so the trap may have happened there instead.
        shared: bool,
    },
    /// Somewhere in a Wasm function (the operator is not known).
    Function {
        /// The function's name.
        function: String,
    },
    /// In a runtime support procedure shared by all callers.
    Runtime {
        /// Its name.
        procedure: String,
    },
    /// In the wrapper of a component export.
    Wrapper {
        /// The export.
        export: String,
        /// Lifting the arguments (`true`) or the result.
        arguments: bool,
    },
}

impl std::fmt::Display for TrapLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrapLocation::Operator {
                function,
                offset,
                in_core_module,
                shared,
            } => {
                write!(f, "in {function}, at offset {offset:#x}")?;
                if *in_core_module {
                    write!(f, " of the core module")?;
                }
                if *shared {
                    write!(f, ", or identical code in another function")?;
                }
                Ok(())
            }
            TrapLocation::Function { function } => write!(f, "in {function}"),
            TrapLocation::Runtime { procedure } => {
                write!(f, "in runtime procedure `{procedure}`")
            }
            TrapLocation::Wrapper { export, arguments } => write!(
                f,
                "in the {} lift of export `{export}`",
                if *arguments { "argument" } else { "result" }
            ),
        }
    }
}

impl TrapTable {
    /// The table of `module`, whose sources (at `root`) are `sources`, assembled into
    /// `forest`.
    ///
    /// The assembler keeps one copy of identical basic blocks (MAST nodes are deduplicated by
    /// content) with the locations of the first; an operator line whose instruction has no
    /// location in `forest` was shared that way. A kept line with the same instruction text
    /// in another function is marked shared: a trap there may belong to either function.
    pub fn of(
        module: &CompiledModule,
        sources: &[(String, String)],
        root: &str,
        forest: &MastForest,
    ) -> Self {
        let modules: Vec<String> = sources.iter().map(|(path, _)| path.clone()).collect();
        let mut located: Vec<Vec<u32>> = vec![Vec::new(); modules.len()];
        for op in forest.debug_info().asm_ops() {
            if let Some(location) = op.location() {
                let path = location.uri.as_str().trim_start_matches("::");
                if let Some(m) = modules.iter().position(|p| p == path) {
                    located[m].push(location.start.to_u32());
                }
            }
        }
        located.iter_mut().for_each(|starts| starts.sort_unstable());
        let ranges: Vec<(u32, u32, u32, Place)> = module
            .trap_ranges(sources, root)
            .into_iter()
            .filter_map(|r| {
                let index = modules.iter().position(|m| *m == r.module)?;
                let place = match r.place {
                    TrapPlace::Function { func } => Place::Function(func),
                    TrapPlace::Operator { func, offset } => Place::Operator(func, offset),
                    TrapPlace::Runtime { procedure } => Place::Runtime(procedure),
                    TrapPlace::Wrapper { export, phase } => {
                        Place::Wrapper(export, phase == WrapperPhase::Arguments)
                    }
                };
                Some((
                    u32::try_from(index).ok()?,
                    u32::try_from(r.start).ok()?,
                    u32::try_from(r.end).ok()?,
                    place,
                ))
            })
            .collect();
        // Each line's start, trimmed text and basic block (the straight-line code up to the
        // nearest control flow either way: what the assembler compares as a whole).
        let lines: Vec<Vec<(usize, &str, usize)>> = sources
            .iter()
            .map(|(_, text)| {
                let (mut at, mut block) = (0, 0);
                text.split('\n')
                    .enumerate()
                    .map(|(i, raw)| {
                        let start = at;
                        at += raw.len() + 1;
                        let line = raw.trim();
                        if is_control_line(line) {
                            block = i + 1;
                        }
                        (start, line, block)
                    })
                    .collect()
            })
            .collect();
        // The block of the line at byte `start` of module `m`.
        let block_of = |m: u32, start: u32| {
            let lines = &lines[m as usize];
            let at = lines.partition_point(|l| l.0 <= start as usize);
            (m, lines.get(at.wrapping_sub(1)).map_or(usize::MAX, |l| l.2))
        };
        let kept = |(m, start, end): (u32, u32, u32)| {
            let starts = &located[m as usize];
            let i = starts.partition_point(|s| *s < start);
            starts.get(i).is_some_and(|s| *s < end)
        };
        let lost: Vec<(u32, u32, u32)> = ranges
            .iter()
            .filter_map(|(m, start, end, place)| match place {
                Place::Operator(func, _) if !kept((*m, *start, *end)) => Some((*m, *start, *func)),
                _ => None,
            })
            .collect();
        let ranges = if lost.is_empty() {
            ranges
        } else {
            // The text of every block, and the functions whose copy of a block was shared.
            let mut texts: std::collections::HashMap<(u32, usize), String> = Default::default();
            for (m, lines) in lines.iter().enumerate() {
                for (_, line, block) in lines {
                    if !is_control_line(line) {
                        let text = texts.entry((m as u32, *block)).or_default();
                        text.push_str(line);
                        text.push('\n');
                    }
                }
            }
            let text_of = |m: u32, start: u32| texts.get(&block_of(m, start)).map(String::as_str);
            let mut shared: std::collections::HashMap<&str, Vec<u32>> = Default::default();
            for (m, start, func) in &lost {
                if let Some(text) = text_of(*m, *start) {
                    shared.entry(text).or_default().push(*func);
                }
            }
            ranges
                .into_iter()
                .map(|(m, start, end, place)| {
                    let place = match place {
                        Place::Operator(func, offset)
                            if text_of(m, start)
                                .and_then(|t| shared.get(t))
                                .is_some_and(|funcs| funcs.iter().any(|f| *f != func)) =>
                        {
                            Place::SharedOperator(func, offset)
                        }
                        place => place,
                    };
                    (m, start, end, place)
                })
                .collect()
        };
        TrapTable {
            functions: module.function_names.clone(),
            modules,
            core_module_offsets: module.offsets_in_core_module,
            ranges,
        }
    }

    /// The table stored in a package section, or an empty one when it does not parse.
    pub fn from_section(bytes: &[u8]) -> Self {
        serde_json::from_slice(bytes).unwrap_or_default()
    }

    /// The section's contents.
    pub fn to_section(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("the trap table serializes")
    }

    /// Where the instruction at byte `at` of the source of module `uri` comes from: the
    /// smallest range containing it.
    pub fn locate(&self, uri: &str, at: usize) -> Option<TrapLocation> {
        let path = uri.trim_start_matches("::");
        let module = self.modules.iter().position(|m| m == path)? as u32;
        let at = u32::try_from(at).ok()?;
        let (_, _, _, place) = self
            .ranges
            .iter()
            .filter(|(m, start, end, _)| *m == module && *start <= at && at < *end)
            .min_by_key(|(_, start, end, _)| end - start)?;
        let name = |func: &u32| {
            self.functions
                .get(*func as usize)
                .cloned()
                .unwrap_or_else(|| format!("function {func}"))
        };
        Some(match place {
            Place::Operator(func, offset) | Place::SharedOperator(func, offset) => {
                TrapLocation::Operator {
                    function: name(func),
                    offset: *offset,
                    in_core_module: self.core_module_offsets,
                    shared: matches!(place, Place::SharedOperator(..)),
                }
            }
            Place::Function(func) => TrapLocation::Function {
                function: name(func),
            },
            Place::Runtime(procedure) => TrapLocation::Runtime {
                procedure: procedure.clone(),
            },
            Place::Wrapper(export, arguments) => TrapLocation::Wrapper {
                export: export.clone(),
                arguments: *arguments,
            },
        })
    }
}

/// Whether a (trimmed) source line opens or closes a block: control flow, a procedure, or
/// anything that is not an instruction.
fn is_control_line(line: &str) -> bool {
    line.is_empty()
        || line.starts_with('#')
        || line.starts_with('@')
        || line.starts_with("pub proc")
        || line.starts_with("proc ")
        || line.starts_with("repeat.")
        || matches!(line, "if.true" | "if.false" | "else" | "end" | "while.true")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> TrapTable {
        TrapTable {
            functions: vec!["f".into()],
            modules: vec!["p::midenc_part0".into()],
            core_module_offsets: false,
            ranges: vec![
                (0, 10, 100, Place::Function(0)),
                (0, 40, 50, Place::Operator(0, 42)),
            ],
        }
    }

    #[test]
    fn the_smallest_range_wins() {
        let t = table();
        assert_eq!(
            t.locate("::p::midenc_part0", 45).map(|l| l.to_string()),
            Some("in f, at offset 0x2a".into())
        );
        assert_eq!(
            t.locate("p::midenc_part0", 60).map(|l| l.to_string()),
            Some("in f".into())
        );
        assert_eq!(t.locate("p::midenc_part0", 100), None);
        assert_eq!(t.locate("p", 45), None);
    }

    #[test]
    fn a_bad_section_is_an_empty_table() {
        assert_eq!(TrapTable::from_section(b"{nonsense"), TrapTable::default());
        let t = table();
        assert_eq!(TrapTable::from_section(&t.to_section()), t);
        // An out-of-range function index still names something.
        let mut t = table();
        t.functions.clear();
        assert_eq!(
            t.locate("p::midenc_part0", 45).map(|l| l.to_string()),
            Some("in function 0, at offset 0x2a".into())
        );
    }
}
