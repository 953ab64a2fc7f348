//! WIT function signatures at a Miden `call` boundary: how many felts travel on the stack and
//! whether the advice map carries the rest (`docs/calling-convention.md`).

use serde::{Deserialize, Serialize};

use crate::{flat_felts, FlatType, WitType, MAX_STACK_FELTS};

/// A component export's WIT signature, as the calling convention sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitSignature {
    /// Named parameters, first first.
    pub params: Vec<(String, WitType)>,
    /// The result type, if any.
    pub result: Option<WitType>,
}

impl WitSignature {
    /// The parameter types.
    pub fn param_types(&self) -> Vec<WitType> {
        self.params.iter().map(|(_, t)| t.clone()).collect()
    }

    /// The full flat lowering of the parameters (never replaced by a tuple pointer: the felt
    /// image always carries every flat value).
    pub fn flat_params(&self) -> Vec<FlatType> {
        let mut flat = Vec::new();
        for (_, t) in &self.params {
            t.push_flat(&mut flat);
        }
        flat
    }

    /// The full flat lowering of the result.
    pub fn flat_results(&self) -> Vec<FlatType> {
        self.result.as_ref().map(|t| t.flat()).unwrap_or_default()
    }

    /// Felts of the argument image (the flat parameters as felts).
    pub fn arg_felts(&self) -> usize {
        flat_felts(&self.flat_params())
    }

    /// Felts of the result image.
    pub fn result_felts(&self) -> usize {
        flat_felts(&self.flat_results())
    }

    /// Whether the arguments travel through the advice map (more than 16 felts, or any
    /// string/list payload).
    pub fn params_spill(&self) -> bool {
        self.arg_felts() > MAX_STACK_FELTS || self.params.iter().any(|(_, t)| t.has_lists())
    }

    /// Whether the result travels through the advice map.
    pub fn results_spill(&self) -> bool {
        self.result_felts() > MAX_STACK_FELTS || self.result.as_ref().is_some_and(|t| t.has_lists())
    }

    /// Whether both the arguments and the result travel on the stack alone (at most 16 felts
    /// each way, no string or list): what a procedure invoked with `exec`, which shares the
    /// caller's stack and has no advice-map transfer, can take and return.
    pub fn fits_on_stack(&self) -> bool {
        !self.params_spill() && !self.results_spill()
    }

    /// The element type of a list that an `exec`ed procedure writes to memory, when this
    /// signature has that shape: the arguments fit on the stack with one felt to spare (the
    /// destination address, which goes on top of them), and the result is a `list<T>` whose
    /// elements are made of felts only, one memory element each. The procedure writes the
    /// elements from the word-aligned destination and returns their count, as the protocol
    /// library's `get_storage` and `get_assets` do.
    pub fn exec_list_result(&self) -> Option<&WitType> {
        let WitType::List(elem) = self.result.as_ref()? else {
            return None;
        };
        let all_felts = elem
            .felt_slots()
            .is_some_and(|slots| slots.len() as u32 * 4 == elem.size());
        let args_fit = !self.params_spill() && self.arg_felts() < MAX_STACK_FELTS;
        (all_felts && !elem.has_lists() && args_fit).then_some(elem)
    }

    /// Whether a procedure with this signature can be invoked with `exec`: its values fit on
    /// the stack ([`Self::fits_on_stack`]), or its result is a list it writes to memory
    /// ([`Self::exec_list_result`]).
    pub fn exec_compatible(&self) -> bool {
        self.fits_on_stack() || self.exec_list_result().is_some()
    }

    /// Felts the caller puts on the stack: the argument image, or digest + word count.
    pub fn stack_felts_in(&self) -> usize {
        if self.params_spill() {
            SPILL_STACK_FELTS
        } else {
            self.arg_felts()
        }
    }

    /// Felts the callee leaves on the stack: the result image, or digest + word count.
    pub fn stack_felts_out(&self) -> usize {
        if self.results_spill() {
            SPILL_STACK_FELTS
        } else {
            self.result_felts()
        }
    }

    /// Whether two signatures have the same parameter and result types (parameter names are
    /// not part of a function's type: the calling convention never carries them).
    pub fn same_types(&self, other: &WitSignature) -> bool {
        self.result == other.result
            && self.params.len() == other.params.len()
            && self
                .params
                .iter()
                .zip(&other.params)
                .all(|(a, b)| a.1 == b.1)
    }

    /// The signature in WIT syntax, e.g. `func(a: u32, s: string) -> list<u8>`.
    pub fn wit_text(&self) -> String {
        let params = self
            .params
            .iter()
            .map(|(n, t)| format!("{n}: {}", t.wit_text()))
            .collect::<Vec<_>>()
            .join(", ");
        match &self.result {
            Some(r) => format!("func({params}) -> {}", r.wit_text()),
            None => format!("func({params})"),
        }
    }
}

/// Stack felts of a spilled image: the 4-felt digest and the word count.
pub const SPILL_STACK_FELTS: usize = 5;

impl WitType {
    /// The type in WIT syntax (anonymous form: records, variants, enums and flags are spelled
    /// out structurally since their names are not kept).
    pub fn wit_text(&self) -> String {
        let list = |items: Vec<String>| items.join(", ");
        match self {
            WitType::Bool => "bool".into(),
            WitType::S8 => "s8".into(),
            WitType::U8 => "u8".into(),
            WitType::S16 => "s16".into(),
            WitType::U16 => "u16".into(),
            WitType::S32 => "s32".into(),
            WitType::U32 => "u32".into(),
            WitType::S64 => "s64".into(),
            WitType::U64 => "u64".into(),
            WitType::F32 => "f32".into(),
            WitType::F64 => "f64".into(),
            WitType::Char => "char".into(),
            WitType::String => "string".into(),
            WitType::Felt => "felt".into(),
            WitType::List(t) => format!("list<{}>", t.wit_text()),
            WitType::Tuple(ts) => {
                format!("tuple<{}>", list(ts.iter().map(|t| t.wit_text()).collect()))
            }
            WitType::Option(t) => format!("option<{}>", t.wit_text()),
            WitType::Result { ok, err } => match (ok, err) {
                (None, None) => "result".into(),
                (Some(o), None) => format!("result<{}>", o.wit_text()),
                (None, Some(e)) => format!("result<_, {}>", e.wit_text()),
                (Some(o), Some(e)) => format!("result<{}, {}>", o.wit_text(), e.wit_text()),
            },
            WitType::Record(fields) => format!(
                "record {{ {} }}",
                list(
                    fields
                        .iter()
                        .map(|(n, t)| format!("{n}: {}", t.wit_text()))
                        .collect()
                )
            ),
            WitType::Variant(cases) => format!(
                "variant {{ {} }}",
                list(
                    cases
                        .iter()
                        .map(|(n, t)| match t {
                            Some(t) => format!("{n}({})", t.wit_text()),
                            None => n.clone(),
                        })
                        .collect()
                )
            ),
            WitType::Enum(names) => format!("enum {{ {} }}", names.join(", ")),
            WitType::Flags(names) => format!("flags {{ {} }}", names.join(", ")),
        }
    }
}
