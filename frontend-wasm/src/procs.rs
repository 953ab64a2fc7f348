//! Where each Wasm function's procedure lives, and how code names and invokes it.

use crate::{analysis::call_graph::CallGraph, layout};

/// Functions per part module ([`crate::CompiledModule::modules`]). The Miden assembler (0.23) resolves
/// every procedure reference by building a table of all symbols of the module it names, so one
/// module with hundreds of procedures makes assembly quadratic in the program size (2 s of 3 for
/// a 537-procedure program); small parts keep each resolution cheap. 16 to 32 measured best.
pub(crate) const FUNCTIONS_PER_PART: u32 = 32;

/// The name of part module `part`, which holds the procedures of functions
/// `FUNCTIONS_PER_PART * part ..`. The `midenc_` prefix keeps it apart from export wrappers,
/// whose names never start with it.
pub(crate) fn part_module_name(part: u32) -> String {
    format!("midenc_part{part}")
}

/// How code refers to each Wasm function's procedure.
pub struct FunctionProcs {
    names: Vec<String>,
    graph: CallGraph,
}

impl FunctionProcs {
    pub(crate) fn new(count: usize, graph: CallGraph) -> Self {
        FunctionProcs {
            names: (0..count).map(|i| format!("wasm_fn{i}")).collect(),
            graph,
        }
    }

    /// The MASM procedure name of function `func`.
    pub fn name(&self, func: u32) -> &str {
        &self.names[func as usize]
    }

    /// The part module that defines function `func`'s procedure.
    pub(crate) fn part(func: u32) -> u32 {
        func / FUNCTIONS_PER_PART
    }

    /// How code in the module of function `from` (`None`: the main module) names `callee`'s
    /// procedure: its plain name in the same part, `<part>::<name>` from elsewhere.
    pub fn path_from(&self, from: Option<u32>, callee: u32) -> String {
        let part = Self::part(callee);
        if from.map(Self::part) == Some(part) {
            self.names[callee as usize].clone()
        } else {
            format!(
                "{}::{}",
                part_module_name(part),
                self.names[callee as usize]
            )
        }
    }

    /// The instruction that invokes `callee` from `caller` (`None` for code of the main
    /// module: export wrappers, the instantiation procedure): `exec`, or `dynexec` through
    /// the root table when the call closes a cycle.
    pub fn invoke(&self, caller: Option<u32>, callee: u32) -> String {
        match caller {
            Some(caller) if self.graph.is_recursive_call(caller, callee) => {
                format!("push.{} dynexec", Self::root_slot(callee))
            }
            _ => format!("exec.{}", self.path_from(caller, callee)),
        }
    }

    /// Whether calling `func` may change instance state.
    pub fn writes_state(&self, func: u32) -> bool {
        self.graph.writes_state[func as usize]
    }

    /// Whether function `func` may read linear memory, itself or through a callee.
    pub fn reads_memory(&self, func: u32) -> bool {
        self.graph.reads_memory[func as usize]
    }

    /// Where the MAST root of recursive function `func` is stored.
    fn root_slot(func: u32) -> u32 {
        layout::FUNC_ROOTS_BASE + 4 * func
    }

    /// Instructions (for the main module) that store the MAST root of every recursive function
    /// in its slot; export wrappers run them first, since each `call` starts with fresh memory.
    pub fn root_table_initializers(&self) -> Vec<String> {
        (0..self.names.len() as u32)
            .filter(|f| self.graph.is_recursive(*f))
            .flat_map(|f| {
                [
                    format!("procref.{}", self.path_from(None, f)),
                    format!("mem_storew_le.{}", Self::root_slot(f)),
                    "dropw".to_string(),
                ]
            })
            .collect()
    }
}
