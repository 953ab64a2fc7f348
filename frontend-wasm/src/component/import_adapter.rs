//! Import adapters: the caller side of the WIT calling convention (`docs/calling-convention.md`,
//! "Calls out of a package").
//!
//! An imported function is, inside the module, a private procedure like any other. For an
//! import whose arguments or results do not fit the plain 16-felt stack convention (a
//! component's `canon lower`ed import, or a core import of more than 16 felts) that procedure
//! is generated here. It mirrors an export wrapper step for step, in the other direction:
//!
//! 1. it takes the core arguments (for a lowered import: the canonical ABI's flat lowering, or
//!    a pointer to the parameters stored as a tuple when there are more than 16 flat values,
//!    plus a return pointer when the result has more than one flat value);
//! 2. it lifts them into the *argument image* (flat felts with list pointers zeroed, then the
//!    contents of every string and list), validating as the canonical ABI requires (UTF-8,
//!    `char`, discriminants, bounds);
//! 3. it passes the image on the stack, or hashes it, inserts it into the advice map and passes
//!    `[DIGEST, n]`, then `call`s the provider by MAST root;
//! 4. it receives the *result image* the way the export side sends it (on the stack, or as
//!    `[DIGEST, n]` whose advice entry it pipes into memory and re-hashes: the provider is
//!    untrusted too), validates it and allocates strings and lists with the module's own
//!    `cabi_realloc`;
//! 5. it hands the result to the core caller: on the stack, or stored at the return pointer.
//!
//! The lifting and lowering steps are the export wrapper's own ([`CanonGen`]); this module
//! only orders them for the caller side. Scratch cells and image regions are the wrapper's
//! too: an import is only ever called while no export wrapper step is in progress (the
//! wrapper's state is dead while its core function runs).

use midenc_abi::{
    CoreType, FlatType, Shape, WitSignature, WitType, MAX_FLAT_PARAMS, MAX_STACK_FELTS,
};

use crate::{Binding, Invocation};

use super::canon::{
    in_place_kind, slots, CanonGen, MemAt, Slot, Targets, ABI_BASE, ARGS, NO_LEAVE, RES, STAGE,
};

/// Cell holding the pointer to parameters passed in linear memory.
const PARAMS_PTR: u32 = ABI_BASE + 9;
/// Cell holding the core caller's return pointer.
const RET_PTR: u32 = ABI_BASE + 10;

/// How the core caller passes arguments and receives results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoreShape {
    /// A component's import (`canon lower`): more than 16 flat parameters are passed as a
    /// pointer to a tuple, a result of more than one flat value through a return pointer.
    Lowered,
    /// A core import: every value on the operand stack, whatever their number.
    Direct,
}

/// The WIT view of a core signature: `i32` (and an `f32`'s bits) as `u32`, `i64` (and an
/// `f64`'s bits) as `u64`, several results as a tuple. Its image is exactly the core values as felts, so a core import of more than 16 felts
/// spills the same way a component signature does.
pub fn core_signature(params: &[CoreType], results: &[CoreType]) -> WitSignature {
    let wit = |t: &CoreType| match t {
        CoreType::I32 | CoreType::F32 => WitType::U32,
        CoreType::I64 | CoreType::F64 => WitType::U64,
    };
    WitSignature {
        params: params
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("p{i}"), wit(t)))
            .collect(),
        result: match results {
            [] => None,
            [one] => Some(wit(one)),
            many => Some(WitType::Tuple(many.iter().map(wit).collect())),
        },
    }
}

/// Generates the body of the adapter procedure for an import with signature `sig` bound to
/// `binding`. `realloc` invokes the module's `cabi_realloc` (needed when results carry strings
/// or lists).
///
/// An `exec`ed procedure runs on the caller's stack and in its memory: its arguments and
/// results are the flat values themselves, first on top, with nothing under them and nothing
/// through the advice map, so its signature may hold no strings or lists and at most 16 felts
/// each way.
///
/// # Errors
/// An `unsupported: …` description when the signature needs something not implemented.
pub fn generate(
    name: &str,
    sig: &WitSignature,
    shape: CoreShape,
    realloc: Option<&str>,
    binding: &Binding,
) -> Result<Vec<String>, String> {
    let exec = binding.invocation == Invocation::Exec;
    let root = &binding.root;
    if exec && !sig.exec_compatible() {
        return Err(format!(
            "import `{name}` is invoked with `exec`, which passes values on the stack only: \
             no strings, no lists other than a result list of felt records written to memory, \
             and at most {MAX_STACK_FELTS} felts each way"
        ));
    }
    let memory_result = if exec { sig.exec_list_result() } else { None };
    if sig.result.as_ref().is_some_and(|t| t.has_lists()) && realloc.is_none() {
        return Err(format!(
            "import `{name}` returns strings or lists but the module exports no `cabi_realloc`"
        ));
    }
    if shape == CoreShape::Lowered {
        if let Some(ops) = super::stack_adapter::generate(sig, binding, RET_PTR) {
            return Ok(ops);
        }
    }
    let flat = sig.flat_params();
    let params_indirect = shape == CoreShape::Lowered && flat.len() > MAX_FLAT_PARAMS;
    let results_indirect = shape == CoreShape::Lowered && sig.flat_results().len() > 1;
    let mut g = CanonGen::new(
        name,
        Targets {
            core: "",
            realloc,
            post_return: None,
        },
    );
    let arg_slots = slots(RES, &flat);

    // The canonical ABI forbids leaving the instance from `cabi_realloc` and `cabi_post_*`
    // (its `may_leave`): this call would also overwrite the image being transferred.
    g.op(format!(
        "mem_load.{NO_LEAVE} assertz.err=\"cannot leave the component instance during \
         cabi_realloc or cabi_post-return\""
    ));

    // 1. The core arguments (the last one on top).
    if results_indirect {
        g.op(format!("mem_store.{RET_PTR}"));
    }
    if params_indirect {
        g.op(format!("mem_store.{PARAMS_PTR}"));
    } else {
        for s in arg_slots.iter().rev() {
            match s.ty {
                FlatType::I64 | FlatType::F64 => {
                    g.op(format!("mem_store.{} mem_store.{}", s.addr, s.addr + 1))
                }
                _ => g.op(format!("mem_store.{}", s.addr)),
            }
        }
    }

    // 2. The argument image, built in the result region.
    let arg_felts = sig.arg_felts() as u32;
    let params: Vec<&WitType> = sig.params.iter().map(|(_, t)| t).collect();
    g.begin_send(arg_felts, in_place_kind(&params));
    if params_indirect {
        let tuple = WitType::Tuple(sig.param_types());
        check_pointer(&mut g, PARAMS_PTR, &tuple, "parameter pointer not aligned");
        g.lower_from_memory(
            &tuple,
            &arg_slots,
            MemAt {
                cell: PARAMS_PTR,
                offset: 0,
            },
            0,
        )?;
    } else {
        let mut at = 0;
        for (_, t) in &sig.params {
            let n = t.flat().len();
            send_flat(&mut g, t, &arg_slots[at..at + n], 0)?;
            at += n;
        }
    }

    // 3. Pass it and call.
    if sig.params_spill() {
        g.op("padw padw push.0 push.0 push.0");
        // [K, RES, end, 0 x 11] -> map[K] = image; [K, n, 0 x 11]
        g.hash_and_insert();
        g.op("movup.4 movup.5 swap sub div.4 movdn.4");
    } else {
        if !exec {
            pad(&mut g, MAX_STACK_FELTS as u32 - arg_felts);
        }
        for i in (0..arg_felts).rev() {
            g.op(format!("mem_load.{}", RES + i));
        }
        if memory_result.is_some() {
            g.op(format!("push.{STAGE}"));
        }
    }
    g.op(format!("{}.{root}", binding.invocation.as_str()));

    // 4. The result image, received into the argument region.
    let Some(result) = &sig.result else {
        if !exec {
            g.op("dropw dropw dropw dropw");
        }
        return Ok(g.finish());
    };
    let rflat = result.flat();
    let rslots = slots(ARGS, &rflat);
    let rfelts = sig.result_felts() as u32;
    if let Some(elem) = memory_result {
        // [count]: the elements are at STAGE; copy them into a list of the module's own.
        receive_staged_list(&mut g, elem, &rslots)?;
    } else if sig.results_spill() {
        // [K, n, 11 more felts]
        g.begin_receive(rfelts, "result image too large");
        g.op("dropw dropw drop drop drop");
        g.lift_flat(result, &rslots, 0)?;
        g.end_receive();
    } else {
        for i in 0..rfelts {
            g.op(format!("mem_store.{}", ARGS + i));
        }
        if !exec {
            drop_felts(&mut g, MAX_STACK_FELTS as u32 - rfelts);
        }
        g.lift_flat(result, &rslots, 0)?;
    }

    // 5. Hand it to the core caller.
    if results_indirect {
        check_pointer(&mut g, RET_PTR, result, "result pointer not aligned");
        g.store_flat(
            result,
            &rslots,
            MemAt {
                cell: RET_PTR,
                offset: 0,
            },
        )?;
    } else {
        for s in &rslots {
            match s.ty {
                FlatType::I64 | FlatType::F64 => {
                    g.op(format!("mem_load.{} mem_load.{}", s.addr + 1, s.addr))
                }
                _ => g.op(format!("mem_load.{}", s.addr)),
            }
        }
    }
    Ok(g.finish())
}

/// [count] -> []: allocates a list of `count` elements of type `elem` with `cabi_realloc` and
/// copies them, one memory element per felt, from STAGE (where an `exec`ed procedure wrote
/// them); the list's pointer and length go to `rslots`. The elements are felts only, so they
/// need no validation.
///
/// The memory is allocated word-aligned and rounded up to whole words (the list's length
/// stays `count`), so the copy moves a word at a time.
fn receive_staged_list(
    g: &mut CanonGen<'_>,
    elem: &WitType,
    rslots: &[Slot],
) -> Result<(), String> {
    let size = elem.size();
    g.op(format!("dup mem_store.{}", rslots[1].addr));
    g.op(format!("mul.{size} add.15 u32div.16 mul.16"));
    g.allocate(16)?;
    // [ptr, bytes] -> [src, dst, words, ptr, bytes], then one word per iteration.
    g.op(format!(
        "dup.1 u32div.16 dup.1 u32div.4 push.{STAGE} dup.2 neq.0"
    ));
    g.op("while.true");
    g.op("padw dup.4 mem_loadw_le dup.5 mem_storew_le dropw add.4 swap add.4 swap");
    g.op("movup.2 sub.1 dup movdn.3 neq.0");
    g.op("end");
    g.op(format!(
        "drop drop drop swap drop mem_store.{}",
        rslots[0].addr
    ));
    Ok(())
}

/// Whether an import with this signature and shape needs a generated adapter (rather than the
/// plain stack reordering of a core import of at most 16 felts each way).
pub fn needs_adapter(sig: &WitSignature, shape: CoreShape) -> bool {
    shape == CoreShape::Lowered || sig.params_spill() || sig.results_spill()
}

/// Traps unless the pointer in `cell` is aligned for `ty` and `ty` fits in linear memory there.
fn check_pointer(g: &mut CanonGen<'_>, cell: u32, ty: &WitType, message: &str) {
    g.op(format!("mem_load.{cell}"));
    g.check_pointer(ty, message);
    g.op("drop");
}

fn pad(g: &mut CanonGen<'_>, felts: u32) {
    for _ in 0..felts / 4 {
        g.op("padw");
    }
    for _ in 0..felts % 4 {
        g.op("push.0");
    }
}

fn drop_felts(g: &mut CanonGen<'_>, felts: u32) {
    for _ in 0..felts / 4 {
        g.op("dropw");
    }
    for _ in 0..felts % 4 {
        g.op("drop");
    }
}

/// Lifts a value the core caller passed as flat values in `slots` into the argument image:
/// scalars and discriminants are validated and normalized in place, unused variant payload
/// slots zeroed, and each string or list is copied from linear memory into the image's blobs
/// (its pointer slot becomes 0).
fn send_flat(g: &mut CanonGen<'_>, ty: &WitType, slots: &[Slot], depth: u32) -> Result<(), String> {
    if !ty.has_lists() {
        return g.lift_flat(ty, slots, depth);
    }
    match ty.shape() {
        Shape::Fields(fields) => {
            let mut at = 0;
            for f in fields {
                let n = f.flat().len();
                send_flat(g, f, &slots[at..at + n], depth)?;
                at += n;
            }
        }
        Shape::Blob(_) => {
            let (ptr, len) = (slots[0], slots[1]);
            g.op(format!(
                "mem_load.{} u32assert.err=\"argument is not a u32\"",
                len.addr
            ));
            g.op(format!(
                "mem_load.{} u32assert.err=\"argument is not a u32\"",
                ptr.addr
            ));
            g.send_list(ty, depth)?;
            g.zero_slot(ptr);
            if len.ty == FlatType::I64 {
                g.op(format!("push.0 mem_store.{}", len.addr + 1));
            }
        }
        Shape::Scalar => g.lift_flat(ty, slots, depth)?,
        Shape::Cases(cases) => {
            g.op(format!(
                "mem_load.{} u32assert.err=\"argument is not a u32\"",
                slots[0].addr
            ));
            g.op(format!(
                "dup push.{} u32lt assert.err=\"invalid variant discriminant\"",
                cases.len()
            ));
            let payload = &slots[1..];
            for (c, case) in cases.iter().enumerate() {
                g.op(format!("dup eq.{c}"));
                g.op("if.true");
                let used = case.map_or(0, |t| t.flat().len());
                if let Some(t) = case {
                    send_flat(g, t, &payload[..used], depth)?;
                }
                for s in &payload[used..] {
                    g.zero_slot(*s);
                }
                g.op("end");
            }
            g.op("drop");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_signatures_read_as_unsigned_values() {
        let sig = core_signature(&[CoreType::I32, CoreType::I64], &[CoreType::I64]);
        assert_eq!(sig.param_types(), vec![WitType::U32, WitType::U64]);
        assert_eq!(sig.result, Some(WitType::U64));
        assert_eq!(sig.arg_felts(), 3);
        let many = core_signature(&[], &[CoreType::I32, CoreType::I64]);
        assert_eq!(
            many.result,
            Some(WitType::Tuple(vec![WitType::U32, WitType::U64]))
        );
        assert_eq!(core_signature(&[], &[]).result, None);
    }

    #[test]
    fn only_wide_core_imports_need_the_generated_adapter() {
        let narrow = core_signature(&[CoreType::I64; 8], &[CoreType::I64; 8]);
        assert!(!needs_adapter(&narrow, CoreShape::Direct));
        assert!(needs_adapter(&narrow, CoreShape::Lowered));
        let wide_in = core_signature(&[CoreType::I32; 17], &[]);
        assert!(needs_adapter(&wide_in, CoreShape::Direct));
        let wide_out = core_signature(&[], &[CoreType::I64; 9]);
        assert!(needs_adapter(&wide_out, CoreShape::Direct));
    }

    #[test]
    fn adapters_spill_exactly_when_the_image_does() {
        let root = format!("0x{}", "0".repeat(64));
        let call = Binding {
            root: root.clone(),
            invocation: Invocation::Call,
        };
        let small = core_signature(&[CoreType::I32; 16], &[CoreType::I32]);
        let ops = generate("f", &small, CoreShape::Direct, None, &call).unwrap();
        assert!(!ops.iter().any(|o| o.contains("adv.insert_mem")));
        assert!(ops.iter().any(|o| o == &format!("call.{root}")));
        let big = core_signature(&[CoreType::I32; 17], &[CoreType::I64; 9]);
        let ops = generate("f", &big, CoreShape::Direct, None, &call).unwrap();
        assert!(ops.iter().any(|o| o.contains("adv.insert_mem")));
        assert!(ops.iter().any(|o| o.contains("abi_pipe_check")));
    }

    #[test]
    fn exec_adapters_pass_values_on_the_callers_stack() {
        let exec = Binding {
            root: format!("0x{}", "0".repeat(64)),
            invocation: Invocation::Exec,
        };
        let word = WitType::Record(
            ["a", "b", "c", "d"]
                .iter()
                .map(|n| (n.to_string(), WitType::U32))
                .collect(),
        );
        let sig = WitSignature {
            params: vec![("key".into(), WitType::U32), ("value".into(), word.clone())],
            result: Some(word),
        };
        let ops = generate("f", &sig, CoreShape::Lowered, None, &exec).unwrap();
        assert!(ops.iter().any(|o| o == &format!("exec.{}", exec.root)));
        // No padding to 16 felts and no drop of a callee's 16.
        assert!(!ops
            .iter()
            .any(|o| o.contains("padw") || o.contains("dropw")));
        let strings = WitSignature {
            params: vec![("s".into(), WitType::String)],
            result: None,
        };
        let err = generate("f", &strings, CoreShape::Lowered, None, &exec).unwrap_err();
        assert!(err.contains("exec"), "{err}");
    }

    #[test]
    fn string_results_need_cabi_realloc() {
        let sig = WitSignature {
            params: Vec::new(),
            result: Some(WitType::String),
        };
        let call = Binding {
            root: "0x0".into(),
            invocation: Invocation::Call,
        };
        let err = generate("f", &sig, CoreShape::Lowered, None, &call).unwrap_err();
        assert!(err.contains("cabi_realloc"), "{err}");
        // A float parameter is its bits: nothing to allocate.
        let floats = WitSignature {
            params: vec![("x".into(), WitType::F64)],
            result: None,
        };
        assert!(generate("f", &floats, CoreShape::Lowered, None, &call).is_ok());
    }
}
