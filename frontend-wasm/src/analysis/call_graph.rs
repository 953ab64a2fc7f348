//! The direct-call graph and its cycles.
//!
//! A MAST forest is acyclic, so a procedure cannot `exec` itself, directly or through others.
//! Calls that stay inside a strongly connected component of the call graph therefore go through
//! `dynexec` with the callee's MAST root stored in memory; all other calls are plain `exec`.

use wasmparser::Operator;

use crate::{error::WasmResult, module_env::ModuleInfo};

/// Strongly connected component id of every function (imported ones included), whether the
/// component is recursive (has a cycle), and which functions may change instance state.
pub struct CallGraph {
    /// Component of each function.
    pub component: Vec<usize>,
    /// Whether each component contains a cycle.
    pub recursive: Vec<bool>,
    /// Whether each function may write memory, a global or a table, grow memory, or drop a
    /// segment, itself or through a callee (`call_indirect` counts as a write). Runs of
    /// several calls in one instance replay only such calls.
    pub writes_state: Vec<bool>,
    /// Whether each function may read linear memory, itself or through a callee: a load, a
    /// copy, `memory.init`, a call through a table or a call of an imported function (an
    /// adapter or intrinsic may read memory). An export that cannot read memory cannot tell
    /// whether the data segments were written.
    pub reads_memory: Vec<bool>,
    /// Whether each function can run at all: an export, the start function, a function they
    /// call directly, or, when some body calls through a table or a reference, any function in
    /// an element segment or taken by `ref.func`. A body the backend cannot compile only
    /// rejects the module when it can run.
    pub reachable: Vec<bool>,
}

impl CallGraph {
    /// Whether a call from `caller` to `callee` closes a cycle (needs `dynexec`).
    pub fn is_recursive_call(&self, caller: u32, callee: u32) -> bool {
        let c = self.component[caller as usize];
        c == self.component[callee as usize] && self.recursive[c]
    }

    /// Whether `func` is part of a cycle.
    pub fn is_recursive(&self, func: u32) -> bool {
        self.recursive[self.component[func as usize]]
    }
}

/// Builds the call graph of `module` by scanning every body for calls and state writes.
pub fn build(module: &ModuleInfo<'_>) -> WasmResult<CallGraph> {
    let n = module.func_types.len();
    let mut edges = vec![Vec::new(); n];
    // Imported functions run elsewhere; whatever they change is not this instance's state.
    let mut writes_state = vec![false; n];
    let imported = module.num_imported_funcs as usize;
    let mut reads_memory: Vec<bool> = (0..n).map(|f| f < imported).collect();
    let (mut tail_calls, mut referenced, mut indirect) = (vec![Vec::new(); n], Vec::new(), false);
    for (i, body) in module.bodies.iter().enumerate() {
        let caller = imported + i;
        let mut reader = body.get_operators_reader()?;
        while !reader.eof() {
            let op = reader.read()?;
            if let Operator::Call { function_index } = op {
                edges[caller].push(function_index as usize);
                continue;
            }
            match op {
                Operator::ReturnCall { function_index } => {
                    tail_calls[caller].push(function_index as usize);
                }
                Operator::RefFunc { function_index } => referenced.push(function_index as usize),
                Operator::CallIndirect { .. }
                | Operator::ReturnCallIndirect { .. }
                | Operator::CallRef { .. }
                | Operator::ReturnCallRef { .. } => indirect = true,
                _ => {}
            }
            writes_state[caller] |= writes_instance_state(&op);
            reads_memory[caller] |= reads_linear_memory(&op);
        }
    }
    propagate_to_callers(&edges, &mut writes_state);
    propagate_to_callers(&edges, &mut reads_memory);
    let component = tarjan(&edges);
    let count = component.iter().copied().max().map_or(0, |m| m + 1);
    let mut size = vec![0usize; count];
    for c in &component {
        size[*c] += 1;
    }
    let mut recursive: Vec<bool> = size.iter().map(|s| *s > 1).collect();
    for (f, callees) in edges.iter().enumerate() {
        if callees.contains(&f) {
            recursive[component[f]] = true;
        }
    }
    // What can run: the roots and everything they call.
    let mut roots: Vec<usize> = module.exports.iter().map(|e| e.func as usize).collect();
    roots.extend(module.start.map(|f| f as usize));
    if indirect {
        let in_tables = module.elems.iter().flat_map(|e| e.items.iter().flatten());
        roots.extend(in_tables.map(|f| *f as usize));
        roots.extend(referenced);
    }
    let mut reachable = vec![false; n];
    while let Some(f) = roots.pop() {
        if f < n && !reachable[f] {
            reachable[f] = true;
            roots.extend(edges[f].iter().chain(&tail_calls[f]).copied());
        }
    }
    Ok(CallGraph {
        component,
        recursive,
        writes_state,
        reads_memory,
        reachable,
    })
}

/// Marks every function that calls a marked one, until nothing changes.
fn propagate_to_callers(edges: &[Vec<usize>], marked: &mut [bool]) {
    let mut changed = true;
    while changed {
        changed = false;
        for f in 0..edges.len() {
            if !marked[f] && edges[f].iter().any(|g| marked[*g]) {
                marked[f] = true;
                changed = true;
            }
        }
    }
}

/// Whether `op` may read linear memory directly (or, for calls through a table, through a
/// callee that is not known statically).
fn reads_linear_memory(op: &Operator<'_>) -> bool {
    use Operator as O;
    let access = crate::analysis::counted_loop::is_memory_access(op);
    let writes_only =
        crate::analysis::counted_loop::is_store(op) || matches!(op, O::MemoryFill { .. });
    access && !writes_only
        || matches!(
            op,
            O::F32Load { .. }
                | O::F64Load { .. }
                | O::MemoryInit { .. }
                | O::CallIndirect { .. }
                | O::ReturnCallIndirect { .. }
                | O::CallRef { .. }
                | O::ReturnCall { .. }
        )
}

/// Whether `op` may change instance state directly (or, for `call_indirect`, through a callee
/// that is not known statically).
fn writes_instance_state(op: &Operator<'_>) -> bool {
    use Operator as O;
    matches!(
        op,
        O::I32Store { .. }
            | O::I64Store { .. }
            | O::I32Store8 { .. }
            | O::I32Store16 { .. }
            | O::I64Store8 { .. }
            | O::I64Store16 { .. }
            | O::I64Store32 { .. }
            | O::F32Store { .. }
            | O::F64Store { .. }
            | O::GlobalSet { .. }
            | O::MemoryGrow { .. }
            | O::MemoryFill { .. }
            | O::MemoryCopy { .. }
            | O::MemoryInit { .. }
            | O::DataDrop { .. }
            | O::TableSet { .. }
            | O::TableGrow { .. }
            | O::TableFill { .. }
            | O::TableCopy { .. }
            | O::TableInit { .. }
            | O::ElemDrop { .. }
            | O::CallIndirect { .. }
            | O::ReturnCallIndirect { .. }
            | O::CallRef { .. }
    )
}

/// Tarjan's strongly connected components, iteratively (call graphs can be deep).
fn tarjan(edges: &[Vec<usize>]) -> Vec<usize> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let (mut index, mut low, mut comp) = (vec![UNSEEN; n], vec![0; n], vec![UNSEEN; n]);
    let mut on_stack = vec![false; n];
    let (mut stack, mut next_index, mut next_comp) = (Vec::new(), 0, 0);
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        let mut work = vec![(root, 0usize)];
        while let Some((v, edge)) = work.pop() {
            if edge == 0 {
                index[v] = next_index;
                low[v] = next_index;
                next_index += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = edges[v].get(edge) {
                work.push((v, edge + 1));
                if index[w] == UNSEEN {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = next_comp;
                    if w == v {
                        break;
                    }
                }
                next_comp += 1;
            }
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
        }
    }
    comp
}

#[cfg(test)]
mod tests {
    use super::tarjan;

    #[test]
    fn finds_cycles() {
        // 0 -> 1 -> 2 -> 0, 2 -> 3, 3 -> 3? no; 4 alone
        let edges = vec![vec![1], vec![2], vec![0, 3], vec![], vec![]];
        let c = tarjan(&edges);
        assert_eq!(c[0], c[1]);
        assert_eq!(c[1], c[2]);
        assert_ne!(c[2], c[3]);
        assert_ne!(c[3], c[4]);
    }
}
