//! The export wrapper: the callee side of the WIT calling convention, in order: receive and
//! lift the argument image ([`super::lift`]), call the core function, lower the result
//! ([`super::lower`]), run `cabi_post_*`, send the result image.

use super::*;

impl CanonGen<'_> {
    /// The whole wrapper body; `init` are the instance initializers.
    ///
    /// # Errors
    /// An `unsupported: …` description when the signature needs something not implemented.
    pub(in crate::component) fn generate(
        mut self,
        sig: &WitSignature,
        init: &[String],
    ) -> GenResult<Vec<String>> {
        if needs_realloc(sig) && self.targets.realloc.is_none() {
            return Err(format!(
                "export `{}` receives strings, lists or more than {MAX_FLAT_PARAMS} flat values \
                 but the module exports no `cabi_realloc`",
                self.export
            ));
        }
        for op in init {
            self.op(op.clone());
        }
        if let Some(ops) = super::stack_only::wrapper_body(sig, &self.targets) {
            self.ops.extend(ops);
            return Ok(self.ops);
        }
        self.receive_args(sig)?;
        self.call_core(sig)?;
        self.lower_result(sig)?;
        // A spilled result is inserted before `cabi_post_*` may free what it reads.
        self.insert_results(sig);
        self.post_return(sig);
        self.send_results(sig);
        Ok(self.ops)
    }

    pub(in crate::component) fn receive_args(&mut self, sig: &WitSignature) -> GenResult<()> {
        let flat = sig.flat_params();
        let felts = sig.arg_felts() as u32;
        if sig.params_spill() {
            self.begin_receive(felts, "argument image too large");
        } else {
            for w in 0..felts.div_ceil(4) {
                self.op(format!("mem_storew_le.{} dropw", ARGS + 4 * w));
            }
        }
        let all = slots(ARGS, &flat);
        let mut at = 0;
        for (_, t) in &sig.params {
            let n = t.flat().len();
            self.lift_flat(t, &all[at..at + n], 0)?;
            at += n;
        }
        if sig.params_spill() {
            self.end_receive();
        }
        Ok(())
    }

    pub(in crate::component) fn call_core(&mut self, sig: &WitSignature) -> GenResult<()> {
        let flat = sig.flat_params();
        let all = slots(ARGS, &flat);
        if flat.len() > MAX_FLAT_PARAMS {
            // The core function takes a pointer to the parameters stored as a tuple.
            let tuple = WitType::Tuple(sig.param_types());
            self.op(format!("push.{}", tuple.size()));
            self.allocate(tuple.align())?;
            self.op(format!("swap drop mem_store.{PARAMS_PTR}"));
            let base = MemAt {
                cell: PARAMS_PTR,
                offset: 0,
            };
            let mut at = 0;
            for (t, off) in sig.param_types().iter().zip(tuple.field_offsets()) {
                let n = t.flat().len();
                self.store_flat(t, &all[at..at + n], base.at(off))?;
                at += n;
            }
            self.op(format!("mem_load.{PARAMS_PTR}"));
        } else {
            for s in &all {
                match s.ty {
                    FlatType::I64 | FlatType::F64 => {
                        self.op(format!("mem_load.{} mem_load.{}", s.addr + 1, s.addr))
                    }
                    _ => self.op(format!("mem_load.{}", s.addr)),
                }
            }
        }
        let core = self.targets.core.to_string();
        self.op(core);
        Ok(())
    }

    pub(in crate::component) fn lower_result(&mut self, sig: &WitSignature) -> GenResult<()> {
        let Some(result) = &sig.result else {
            return Ok(());
        };
        let flat = result.flat();
        let res_slots = slots(RES, &flat);
        let in_place = in_place_kind(&[result]);
        self.begin_send(sig.result_felts() as u32, in_place);
        if flat.len() > 1 {
            // The core function returned a pointer to the result in linear memory.
            self.op(format!("dup mem_store.{CORE_RES}"));
            self.check_pointer(result, "result pointer not aligned");
            self.op(format!("mem_store.{RETPTR}"));
            self.lower_from_memory(
                result,
                &res_slots,
                MemAt {
                    cell: RETPTR,
                    offset: 0,
                },
                0,
            )?;
        } else {
            let s = res_slots[0];
            match s.ty {
                FlatType::I64 | FlatType::F64 => {
                    self.op(format!(
                        "dup.1 dup.1 mem_store.{CORE_RES} mem_store.{}",
                        CORE_RES + 1
                    ));
                    self.op(format!("mem_store.{} mem_store.{}", s.addr, s.addr + 1));
                }
                _ => self.op(format!("dup mem_store.{CORE_RES} mem_store.{}", s.addr)),
            }
            // One flat value: a scalar, or a variant without payloads.
            self.lift_flat(result, &res_slots, 0)?;
        }
        Ok(())
    }

    pub(in crate::component) fn post_return(&mut self, sig: &WitSignature) {
        let Some(post) = self.targets.post_return.map(str::to_string) else {
            return;
        };
        let flat = sig.flat_results();
        if flat.len() > 1 {
            self.op(format!("mem_load.{CORE_RES}"));
        } else if let Some(t) = flat.first() {
            match t {
                FlatType::I64 | FlatType::F64 => {
                    self.op(format!("mem_load.{} mem_load.{CORE_RES}", CORE_RES + 1))
                }
                _ => self.op(format!("mem_load.{CORE_RES}")),
            }
        }
        // Nor from inside `cabi_post_*`.
        self.op(format!(
            "push.1 mem_store.{NO_LEAVE} {post} push.0 mem_store.{NO_LEAVE}"
        ));
    }

    /// Inserts a spilled result image into the advice map, keeping its digest and word count
    /// in OUT for [`Self::send_results`].
    pub(in crate::component) fn insert_results(&mut self, sig: &WitSignature) {
        if sig.result.is_some() && sig.results_spill() {
            self.hash_and_insert();
            self.op(format!("mem_storew_le.{OUT} dropw"));
            self.op(format!("sub div.4 mem_store.{}", OUT + 4));
        }
    }

    /// Leaves the result image on the stack (depth 16), or `[DIGEST, n]` of the image
    /// [`Self::insert_results`] inserted.
    pub(in crate::component) fn send_results(&mut self, sig: &WitSignature) {
        if sig.result.is_none() {
            return;
        }
        if sig.results_spill() {
            self.op(format!("mem_loadw_le.{} swapw mem_loadw_le.{OUT}", OUT + 4));
        } else {
            let felts = sig.result_felts();
            debug_assert!(felts <= MAX_STACK_FELTS);
            let words = (felts as u32).div_ceil(4);
            // Overwrite the top words of the (junk) stack, deepest word first.
            for w in (0..words).rev() {
                self.op(format!("mem_loadw_le.{}", RES + 4 * w));
                match w {
                    0 => {}
                    1 => self.op("swapw"),
                    _ => self.op(format!("swapw.{w}")),
                }
            }
        }
    }
}
