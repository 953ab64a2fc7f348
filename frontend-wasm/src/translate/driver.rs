//! The translator's setup and its loop over the operators of a body: each operator goes to the
//! special forms (carried locals, speculated loops, constant updates) or to [`super::operators`].

use super::*;

impl<'m, 'a> FuncTranslator<'m, 'a> {
    pub(super) fn new(
        module: &'m ModuleInfo<'a>,
        procs: &'m FunctionProcs,
        func: u32,
        attempt: &Attempt<'m, '_>,
        homes: Homes,
    ) -> Self {
        let Attempt {
            body,
            facts,
            layout,
        } = *attempt;
        let local_types = &body.local_types;
        let params_count = body.params;
        let results = body.results.clone();

        let slotless = layout.slotless;
        let params_felts: usize = local_types[..params_count].iter().map(|t| t.felts()).sum();
        // Parameters deeper than the 16 addressable slots cannot be copied with `dup`: such a
        // function moves all of them into procedure locals. Its callers are never export
        // wrappers (core exports take at most 16 felts), so the stack below the arguments is
        // at least 16 deep and popping them never shifts padding zeros in.
        let pops_params = params_felts > MAX_REACH + 1;
        let memory_locals = homes != Homes::Stack;
        // A split frame's stack slots: the hottest locals, parameters too unless popped (a
        // parameter's slot starts as a copy of its original).
        let kept = match homes {
            Homes::Split { stack_felts } => {
                let first = if pops_params { params_count } else { 0 };
                hottest_locals(local_types, first, layout, stack_felts)
            }
            Homes::Stack | Homes::Memory => Vec::new(),
        };

        // Parameters keep the caller's order at the bottom of the frame; declared locals start
        // as zeros in any order, so the most used ones go on top, where every access is cheap.
        // A split frame orders its stack slots the same way, parameters among them.
        let mut order: Vec<usize> = (0..local_types.len()).collect();
        let heat = |i: &usize| layout.heat.get(*i).copied().unwrap_or(0);
        let rank = |i: &usize| match layout.order {
            LocalOrder::Index => (false, 0),
            LocalOrder::Heat => (false, heat(i)),
            LocalOrder::HeatWithTop(top) => (*i == top, heat(i)),
        };
        if kept.is_empty() {
            order[params_count..].sort_by_key(rank);
        } else {
            order.sort_by_key(|i| (kept.contains(i), rank(i)));
        }
        let mut homes = vec![LocalHome::Carried; local_types.len()];
        // With procedure locals the parameters are copied there, but their originals stay at
        // the bottom of the frame (unless popped): stack slots start above them.
        let mut stack_felts = if memory_locals && !pops_params {
            params_felts
        } else {
            0
        };
        let mut mem_felts = 0;
        for i in order {
            let felts = local_types[i].felts();
            homes[i] = if i >= params_count && slotless.get(i).copied().unwrap_or(false) {
                LocalHome::Carried
            } else if memory_locals && !kept.contains(&i) {
                mem_felts += felts;
                LocalHome::Memory {
                    index: mem_felts - felts,
                }
            } else {
                stack_felts += felts;
                LocalHome::Stack {
                    pos: stack_felts - 1,
                }
            };
        }
        let locals: Vec<Local> = local_types
            .iter()
            .zip(homes)
            .map(|(ty, home)| Local { ty: *ty, home })
            .collect();
        let mut tree = CodeTree::default();
        let root = tree.new_seq();
        let frames = vec![Frame {
            kind: FrameKind::Function,
            params: Vec::new(),
            results,
            base: 0,
            body: root,
            else_seq: None,
            outer: root,
            landings: Vec::new(),
            max_flag: 0,
            in_else: false,
            opener: None,
            label_consts: None,
        }];
        FuncTranslator {
            module,
            facts,
            procs,
            func_name: module.display_name(func),
            func,
            tree,
            root,
            cur: root,
            locals,
            stack_local_felts: stack_felts,
            memory_local_felts: mem_felts,
            params_felts,
            pops_params: memory_locals && pops_params,
            params_count,
            operands: Vec::new(),
            frames,
            dead: false,
            dead_depth: 0,
            offset: body.start,
            // Declared locals start at zero; parameters are unknown.
            known_consts: (0..local_types.len())
                .map(|i| (i >= params_count && local_types[i] == CoreType::I32).then_some(0))
                .collect(),
            just_pushed: None,
            counted: None,
            at: 0,
            shared_checks: HashMap::new(),
            speculate: true,
            slot_used: (0..local_types.len()).map(|i| i < params_count).collect(),
        }
    }

    /// Translates the body.
    pub(super) fn run(mut self, prepared: &PreparedBody<'_>) -> TResult<TranslatedFunction> {
        self.prologue(&prepared.ops)?;
        let (ops, offsets) = (&prepared.ops[..], &prepared.offsets[..]);
        self.shared_checks = prepared.shared_checks.clone();
        let mut at = 0;
        while at < ops.len() {
            self.offset = offsets[at];
            self.at = at;
            if !self.dead {
                self.settle_spare(ops, at)?;
                self.read_ahead(ops, offsets, at)?;
                if let Some(load) = self.facts.take(at) {
                    if self.take_preloaded(load)? {
                        at = load + 1;
                        continue;
                    }
                }
            }
            if let Some(shape) = self.speculable_loop(ops, at) {
                self.forget_constants_at_joins(&ops[at]);
                self.translate_speculated_loop(ops, at, offsets, &shape)?;
                self.just_pushed = None;
                at += 1 + shape.len;
                continue;
            }
            if self.fold_constant_update(ops, offsets, at)? {
                at += 4;
                continue;
            }
            if self.facts.word_copy(at) && !self.dead {
                self.copy_word(ops, offsets, at)?;
                at += 8;
                continue;
            }
            if !self.dead && self.merge_feeds_copy(ops, at) {
                self.merge_into_copy(ops, offsets, at)?;
                at += 9;
                continue;
            }
            self.step(ops, at)?;
            at += 1;
        }
        let translated = TranslatedFunction {
            tree: self.tree,
            root: self.root,
            code: Vec::new(),
            proc_locals: self.memory_local_felts,
            unused_slots: self.slot_used.iter().map(|used| !used).collect(),
            finished: false,
        };
        Ok(translated)
    }

    /// `local.get q  local.get t` and the two `i64` moves of 16 bytes from t to q, both
    /// multiples of 16 ([`crate::analysis::FunctionFacts::word_copy`]): one word load and store.
    /// Two aligned 16-byte ranges are the same or disjoint, so the order of the halves does not
    /// matter.
    fn copy_word(&mut self, ops: &[Operator<'_>], offsets: &[u64], at: usize) -> TResult<()> {
        for k in 0..2 {
            self.offset = offsets[at + k];
            self.at = at + k;
            self.step(ops, at + k)?;
        }
        self.pop();
        self.pop();
        // [t, q]: the word at t, stored at q (element addresses need no division).
        let divide = !self.facts.element_addressed(at);
        for op in [
            "div.4",
            "padw",
            "movup.4",
            "mem_loadw_le",
            "movup.4",
            "div.4",
            "mem_storew_le",
            "dropw",
        ] {
            if divide || op != "div.4" {
                self.emit(op);
            }
        }
        self.just_pushed = None;
        Ok(())
    }

    /// Whether `ops[at]` is an aligned `merge_words` ([`crate::analysis::FunctionFacts::word_merge`])
    /// into `local.get t` followed at once by an aligned 16-byte copy out of `t`: rustc's way of
    /// placing a returned digest, which [`Self::merge_into_copy`] forwards.
    fn merge_feeds_copy(&self, ops: &[Operator<'_>], at: usize) -> bool {
        let out = match at.checked_sub(1).map(|before| &ops[before]) {
            Some(Operator::LocalGet { local_index }) => *local_index,
            _ => return false,
        };
        self.facts.word_merge(at)
            && self.facts.word_copy(at + 1)
            && matches!(ops.get(at + 2), Some(Operator::LocalGet { local_index }) if *local_index == out)
    }

    /// The merge and the copy after it (see [`Self::merge_feeds_copy`]): the digest is stored at
    /// `t` as the merge must, and from the stack at `q` as well, instead of being read back from
    /// `t` (no operator lies between the store and the read).
    fn merge_into_copy(&mut self, ops: &[Operator<'_>], offsets: &[u64], at: usize) -> TResult<()> {
        self.tree.mark(Some(self.offset));
        for _ in 0..3 {
            self.pop();
        }
        if self.facts.element_addressed(at) {
            self.emit_element_merge();
        } else {
            let merge = crate::masm::inst::split_words(crate::felt_intrinsics::MERGE_WORDS_ALIGNED);
            let (last, kept) = merge.split_last().expect("the merge has instructions");
            debug_assert_eq!(*last, "dropw");
            for op in kept {
                self.emit(*op);
            }
        }
        // [H]: the digest, four felts the operand model does not know of, under `q`.
        for _ in 0..4 {
            self.push(CoreType::I32, false);
        }
        self.offset = offsets[at + 1];
        self.at = at + 1;
        self.step(ops, at + 1)?;
        self.pop();
        if !self.facts.element_addressed(at + 1) {
            self.emit("div.4");
        }
        self.emit("mem_storew_le");
        // The stored digest is dead: the next merge may load into it.
        if self.facts.element_addressed(at) && self.spare_reaches_merge(ops, at + 9) {
            self.keep_spare();
        } else {
            for _ in 0..4 {
                self.pop();
            }
            self.emit("dropw");
        }
        self.just_pushed = None;
        Ok(())
    }

    /// `local.get x  i32.const c  i32.add  local.set x` with `x` known to hold a constant (such
    /// as an induction local rebased on entry, see [`crate::prepare::rebased_induction`]) writes the sum
    /// as a constant; reports whether it did.
    pub(super) fn fold_constant_update(
        &mut self,
        ops: &[Operator<'_>],
        offsets: &[u64],
        at: usize,
    ) -> TResult<bool> {
        let Some(
            [Operator::LocalGet { local_index: x }, Operator::I32Const { value: c }, Operator::I32Add, Operator::LocalSet { local_index: y }],
        ) = ops.get(at..at + 4)
        else {
            return Ok(false);
        };
        let known = self.known_consts.get(*x as usize).copied().flatten();
        let offset_read = self.facts.read_offset(at).is_some();
        let (Some(value), false) = (known, self.dead || x != y || offset_read) else {
            return Ok(false);
        };
        let sum = (value as u32).wrapping_add(*c as u32);
        self.emit(Inst::Push(u64::from(sum)));
        self.push(CoreType::I32, false);
        self.just_pushed = Some(u64::from(sum));
        self.offset = offsets[at + 3];
        self.at = at + 3;
        self.step(ops, at + 3)?;
        Ok(true)
    }

    /// Translates operator `ops[at]` with the bookkeeping around it: constants known in
    /// locals, the alignment of locals, counted loops.
    pub(super) fn step(&mut self, ops: &[Operator<'_>], at: usize) -> TResult<()> {
        let op = &ops[at];
        let counted = match op {
            Operator::Loop { .. } if !self.dead => self.facts.counted_loop(at),
            _ => None,
        };
        self.forget_constants_at_joins(op);
        // A call of a felt intrinsic is its instructions, inline: it traps where it is called.
        let inline_trap = matches!(op, Operator::Call { function_index }
            if self.module.felt_intrinsic(*function_index).is_some());
        self.tree
            .mark((inline_trap || trap_sites::may_trap_operator(op)).then_some(self.offset));
        let carried = self.translate_carried(ops, at)?;
        if !carried {
            self.translate_operator(op)?;
        }
        if let Some(elements) = self.facts.read_offset(at).filter(|_| !self.dead) {
            // An element address below the memory size: the sum cannot wrap.
            self.emit(Inst::Imm(Op::Add, u64::from(elements)));
        }
        if let Some(fact) = counted {
            self.counted = Some(CountedLoop {
                depth: self.frames.len(),
                local: fact.local,
                range: fact.range,
                hoists: fact.exact,
                last_byte: None,
            });
        }
        self.record_written_constant(op);
        if carried {
            // The slot still holds the value before the write: never skip a later write of
            // the same constant.
            if let Operator::LocalSet { local_index } | Operator::LocalTee { local_index } = op {
                self.known_consts[*local_index as usize] = None;
            }
        }
        self.just_pushed = match op {
            Operator::I32Const { value } if !self.dead => Some(u64::from(*value as u32)),
            _ => None,
        };
        Ok(())
    }

    pub(super) fn emit(&mut self, op: impl Into<Inst>) {
        self.tree.op(self.cur, op);
    }

    pub(super) fn unsupported(&self, feature: impl Into<String>) -> Abort {
        Abort::Error(WasmError::Unsupported {
            feature: feature.into(),
            function: self.func_name.clone(),
            offset: self.offset,
        })
    }
}

/// The locals from `first` on given stack slots in a split frame ([`Homes::Split`]): the most
/// used ones (by [`Layout::heat`]) whose felts fit in `budget`; the rest live in procedure
/// locals.
fn hottest_locals(
    local_types: &[CoreType],
    first: usize,
    layout: &Layout<'_>,
    budget: usize,
) -> Vec<usize> {
    let heat = |i: usize| layout.heat.get(i).copied().unwrap_or(0);
    let slotless = |i: usize| layout.slotless.get(i).copied().unwrap_or(false);
    let mut declared: Vec<usize> = (first..local_types.len())
        .filter(|i| !slotless(*i) && heat(*i) > 0)
        .collect();
    declared.sort_by_key(|i| (std::cmp::Reverse(heat(*i)), *i));
    let mut left = budget;
    declared
        .into_iter()
        .filter(|i| {
            let felts = local_types[*i].felts();
            let fits = felts <= left;
            if fits {
                left -= felts;
            }
            fits
        })
        .collect()
}
