//! The short import adapter: for imports whose arguments and results are felts only (the
//! protocol library's identifiers, words and assets, and the standard wallet's procedures).
//!
//! Such values need no validation and no memory image: the adapter reorders the core
//! arguments on the stack (the core code pushes the last one on top, the callee wants the
//! first), pads to 16 felts for a `call`, invokes the procedure, and stores several results at
//! the core caller's return pointer straight from the stack. It does what the general adapter
//! (`super::import_adapter`) does for these signatures in about a third of the cycles.

use midenc_abi::{WitSignature, WitType, MAX_STACK_FELTS};

use super::canon::NO_LEAVE;
use crate::{masm::stack_ops, Binding, Invocation};

/// Whether every felt of `ty` in memory is a felt (a felt, or records of felts).
fn felts_only(ty: &WitType) -> bool {
    !ty.has_lists()
        && ty.felt_slots().is_some_and(|slots| {
            slots.len() as u32 * 4 == ty.size() && slots.len() == ty.flat().len()
        })
}

/// The adapter for a lowered import (`canon lower`) with signature `sig` bound to `binding`,
/// when every parameter and the result are felts only and fit on the stack; `None` otherwise.
/// `ret_ptr` is the scratch cell for the return pointer.
pub fn generate(sig: &WitSignature, binding: &Binding, ret_ptr: u32) -> Option<Vec<String>> {
    let n = sig.arg_felts();
    let m = sig.result_felts();
    let params_ok = sig.params.iter().all(|(_, t)| felts_only(t));
    let result_ok = sig.result.as_ref().is_none_or(felts_only);
    if !params_ok || !result_ok || n > MAX_STACK_FELTS || m > MAX_STACK_FELTS {
        return None;
    }
    let indirect = m > 1;
    let mut ops = vec![format!(
        "mem_load.{NO_LEAVE} assertz.err=\"cannot leave the component instance during \
         cabi_realloc or cabi_post-return\""
    )];
    if indirect {
        ops.push(format!("mem_store.{ret_ptr}"));
    }
    ops.extend(stack_ops::reverse_values(&vec![1; n])?);
    match binding.invocation {
        Invocation::Call => {
            let pad = MAX_STACK_FELTS - n;
            ops.extend(std::iter::repeat_n("padw".to_string(), pad / 4));
            ops.extend(std::iter::repeat_n("push.0".to_string(), pad % 4));
            if pad > 0 {
                ops.extend(std::iter::repeat_n("movup.15".to_string(), n));
            }
            ops.push(format!("call.{}", binding.root));
            ops.extend(stack_ops::drop_below(m, MAX_STACK_FELTS - m)?);
        }
        Invocation::Exec => ops.push(format!("exec.{}", binding.root)),
    }
    if indirect {
        // Results first on top, each felt to its four-byte slot (the canonical layout of a
        // record of felts); the pointer must be aligned and in bounds.
        ops.push(format!(
            "mem_load.{ret_ptr} dup u32and.3 eq.0 assert.err=\"result pointer not aligned\" \
             add.{} mem_load.{} mul.65536 lte assert.err=\"out of bounds memory access\"",
            4 * m,
            crate::layout::MEMORY_PAGES_ADDR
        ));
        for i in 0..m {
            ops.push(format!("mem_load.{ret_ptr} add.{} div.4 mem_store", 4 * i));
        }
    }
    Some(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word() -> WitType {
        WitType::Record(
            ["a", "b", "c", "d"]
                .iter()
                .map(|n| (n.to_string(), WitType::Felt))
                .collect(),
        )
    }

    #[test]
    fn only_felt_signatures_take_the_short_adapter() {
        let binding = Binding {
            root: format!("0x{}", "00".repeat(32)),
            invocation: Invocation::Exec,
        };
        let asset = WitType::Record(vec![("key".into(), word()), ("value".into(), word())]);
        let add = WitSignature {
            params: vec![("asset".into(), asset)],
            result: Some(word()),
        };
        let ops = generate(&add, &binding, 7).unwrap();
        assert_eq!(
            ops.iter()
                .filter(|o| o.ends_with("div.4 mem_store"))
                .count(),
            4
        );
        let with_u32 = WitSignature {
            params: vec![("n".into(), WitType::U32)],
            result: None,
        };
        assert!(generate(&with_u32, &binding, 7).is_none());
    }
}
