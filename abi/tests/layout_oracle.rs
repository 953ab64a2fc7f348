//! Layout oracle: sizes, alignments and flat signatures of generated WIT types must agree with
//! wit-parser's `SizeAlign` and `Resolve::wasm_signature` (the reference implementation).

use midenc_abi::{flatten_lift, flatten_lower, FlatType, WitType};
use wit_parser::{
    abi::{AbiVariant, WasmType},
    Resolve, SizeAlign,
};

/// A tiny deterministic generator (xorshift64*), so failures reproduce from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Generates a random type and the WIT text naming it; named types are appended to `defs`.
struct Gen {
    rng: Rng,
    defs: Vec<String>,
}

impl Gen {
    fn name(&mut self, prefix: &str) -> String {
        format!("{prefix}{}", self.defs.len())
    }

    fn ty(&mut self, depth: u32) -> (WitType, String) {
        let leaf = depth == 0 || self.rng.below(3) == 0;
        if leaf {
            let leaves: [(WitType, &str); 14] = [
                (WitType::Bool, "bool"),
                (WitType::S8, "s8"),
                (WitType::U8, "u8"),
                (WitType::S16, "s16"),
                (WitType::U16, "u16"),
                (WitType::S32, "s32"),
                (WitType::U32, "u32"),
                (WitType::S64, "s64"),
                (WitType::U64, "u64"),
                (WitType::F32, "f32"),
                (WitType::F64, "f64"),
                (WitType::Char, "char"),
                (WitType::String, "string"),
                (WitType::U8, "u8"),
            ];
            let (t, s) = &leaves[self.rng.below(leaves.len() as u64) as usize];
            return (t.clone(), s.to_string());
        }
        match self.rng.below(9) {
            0 => {
                let (t, s) = self.ty(depth - 1);
                (WitType::List(Box::new(t)), format!("list<{s}>"))
            }
            1 => {
                let n = 1 + self.rng.below(4);
                let items: Vec<_> = (0..n).map(|_| self.ty(depth - 1)).collect();
                let text = items
                    .iter()
                    .map(|(_, s)| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                (
                    WitType::Tuple(items.into_iter().map(|(t, _)| t).collect()),
                    format!("tuple<{text}>"),
                )
            }
            2 => {
                let (t, s) = self.ty(depth - 1);
                (WitType::Option(Box::new(t)), format!("option<{s}>"))
            }
            3 => {
                let ok = (self.rng.below(3) != 0).then(|| self.ty(depth - 1));
                let err = (self.rng.below(3) != 0).then(|| self.ty(depth - 1));
                let text = match (&ok, &err) {
                    (None, None) => "result".to_string(),
                    (Some((_, o)), None) => format!("result<{o}>"),
                    (None, Some((_, e))) => format!("result<_, {e}>"),
                    (Some((_, o)), Some((_, e))) => format!("result<{o}, {e}>"),
                };
                (
                    WitType::Result {
                        ok: ok.map(|(t, _)| Box::new(t)),
                        err: err.map(|(t, _)| Box::new(t)),
                    },
                    text,
                )
            }
            4 => {
                let n = 1 + self.rng.below(5);
                let fields: Vec<_> = (0..n)
                    .map(|i| (format!("f{i}"), self.ty(depth - 1)))
                    .collect();
                let name = self.name("rec");
                let body = fields
                    .iter()
                    .map(|(f, (_, s))| format!("{f}: {s}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.defs.push(format!("record {name} {{ {body} }}"));
                (
                    WitType::Record(fields.into_iter().map(|(f, (t, _))| (f, t)).collect()),
                    name,
                )
            }
            5 => {
                let n = 1 + self.rng.below(5);
                let cases: Vec<_> = (0..n)
                    .map(|i| {
                        let payload = (self.rng.below(3) != 0).then(|| self.ty(depth - 1));
                        (format!("c{i}"), payload)
                    })
                    .collect();
                let name = self.name("var");
                let body = cases
                    .iter()
                    .map(|(c, p)| match p {
                        Some((_, s)) => format!("{c}({s})"),
                        None => c.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                self.defs.push(format!("variant {name} {{ {body} }}"));
                (
                    WitType::Variant(
                        cases
                            .into_iter()
                            .map(|(c, p)| (c, p.map(|(t, _)| t)))
                            .collect(),
                    ),
                    name,
                )
            }
            6 => {
                // Include the discriminant-width boundaries now and then.
                let n = match self.rng.below(6) {
                    0 => 256,
                    1 => 257,
                    _ => 1 + self.rng.below(9),
                };
                let labels: Vec<String> = (0..n).map(|i| format!("e{i}")).collect();
                let name = self.name("en");
                self.defs
                    .push(format!("enum {name} {{ {} }}", labels.join(", ")));
                (WitType::Enum(labels), name)
            }
            7 => {
                let n = [1, 8, 9, 16, 17, 32][self.rng.below(6) as usize];
                let labels: Vec<String> = (0..n).map(|i| format!("g{i}")).collect();
                let name = self.name("fl");
                self.defs
                    .push(format!("flags {name} {{ {} }}", labels.join(", ")));
                (WitType::Flags(labels), name)
            }
            _ => {
                let (t, s) = self.ty(depth - 1);
                (WitType::List(Box::new(t)), format!("list<{s}>"))
            }
        }
    }
}

fn flat_of(t: &WasmType) -> FlatType {
    match t {
        WasmType::I32 | WasmType::Pointer | WasmType::Length => FlatType::I32,
        WasmType::I64 | WasmType::PointerOrI64 => FlatType::I64,
        WasmType::F32 => FlatType::F32,
        WasmType::F64 => FlatType::F64,
    }
}

#[test]
fn generated_types_agree_with_wit_parser() {
    const TYPES: usize = 320;
    let mut gen = Gen {
        rng: Rng(0x5EED_1234_ABCD_0001),
        defs: Vec::new(),
    };
    let mut types = Vec::new();
    let mut funcs = Vec::new();
    for i in 0..TYPES {
        let (t, s) = gen.ty(4);
        // Single-type function: the type as parameter and as result.
        funcs.push(format!("t{i}: func(a: {s}) -> {s};"));
        types.push((t, s));
    }
    // Multi-parameter functions exercise the 16-flat-parameter limit.
    let mut multi = Vec::new();
    for i in 0..120 {
        let n = 1 + gen.rng.below(7) as usize;
        let picks: Vec<usize> = (0..n)
            .map(|_| gen.rng.below(TYPES as u64) as usize)
            .collect();
        let params = picks
            .iter()
            .enumerate()
            .map(|(k, p)| format!("p{k}: {}", types[*p].1))
            .collect::<Vec<_>>()
            .join(", ");
        let result = picks[0];
        funcs.push(format!("m{i}: func({params}) -> {};", types[result].1));
        multi.push((picks, result));
    }
    let wit = format!(
        "package test:oracle;\ninterface i {{\n{}\n{}\n}}\n",
        gen.defs.join("\n"),
        funcs.join("\n")
    );
    let mut resolve = Resolve::default();
    let pkg = resolve
        .push_str("oracle.wit", &wit)
        .expect("generated WIT parses");
    let iface = resolve.packages[pkg].interfaces["i"];
    let mut sizes = SizeAlign::default();
    sizes.fill(&resolve).expect("sizes of generated types");

    let mut checked = 0;
    for (i, (t, text)) in types.iter().enumerate() {
        let func = &resolve.interfaces[iface].functions[&format!("t{i}")];
        let oracle_ty = &func.params[0].ty;
        assert_eq!(
            t.size() as usize,
            sizes.size(oracle_ty).size_wasm32(),
            "size of {text}"
        );
        assert_eq!(
            t.align() as usize,
            sizes.align(oracle_ty).align_wasm32(),
            "align of {text}"
        );
        check_signature(&resolve, func, std::slice::from_ref(t), Some(t), text);
        checked += 1;
    }
    for (i, (picks, result)) in multi.iter().enumerate() {
        let func = &resolve.interfaces[iface].functions[&format!("m{i}")];
        let params: Vec<WitType> = picks.iter().map(|p| types[*p].0.clone()).collect();
        check_signature(
            &resolve,
            func,
            &params,
            Some(&types[*result].0),
            &format!("m{i}"),
        );
    }
    assert!(checked >= 200);
    // The generator must actually reach the interesting boundaries.
    assert!(types
        .iter()
        .any(|(t, _)| matches!(t, WitType::Enum(l) if l.len() == 257)));
    assert!(multi.iter().any(|(p, _)| {
        let params: Vec<WitType> = p.iter().map(|i| types[*i].0.clone()).collect();
        flatten_lift(&params, None).indirect_params
    }));
}

fn check_signature(
    resolve: &Resolve,
    func: &wit_parser::Function,
    params: &[WitType],
    result: Option<&WitType>,
    what: &str,
) {
    let oracle = resolve.wasm_signature(AbiVariant::GuestExport, func);
    let mine = flatten_lift(params, result);
    let oracle_params: Vec<FlatType> = oracle.params.iter().map(flat_of).collect();
    let oracle_results: Vec<FlatType> = oracle.results.iter().map(flat_of).collect();
    assert_eq!(mine.params, oracle_params, "flat params of {what}");
    assert_eq!(mine.results, oracle_results, "flat results of {what}");
    assert_eq!(
        mine.indirect_params, oracle.indirect_params,
        "indirect params of {what}"
    );
    // The caller side (`canon lower`): a result of more than one flat value comes back
    // through a return pointer passed last.
    let oracle = resolve.wasm_signature(AbiVariant::GuestImport, func);
    let mine = flatten_lower(params, result);
    let oracle_params: Vec<FlatType> = oracle.params.iter().map(flat_of).collect();
    let oracle_results: Vec<FlatType> = oracle.results.iter().map(flat_of).collect();
    assert_eq!(mine.params, oracle_params, "lowered flat params of {what}");
    assert_eq!(
        mine.results, oracle_results,
        "lowered flat results of {what}"
    );
    assert_eq!(
        mine.indirect_results, oracle.retptr,
        "return pointer of {what}"
    );
}

#[test]
fn known_layouts() {
    use WitType::*;
    let rec = Record(vec![("a".into(), U8), ("b".into(), U16), ("c".into(), U8)]);
    assert_eq!((rec.size(), rec.align()), (6, 2));
    let tup = Tuple(vec![U8, U64, U8]);
    assert_eq!((tup.size(), tup.align()), (24, 8));
    let res = Result {
        ok: Some(Box::new(String)),
        err: Some(Box::new(U64)),
    };
    assert_eq!(
        res.flat(),
        vec![FlatType::I32, FlatType::I64, FlatType::I32]
    );
    assert_eq!((res.size(), res.align()), (16, 8));
    let oo = Option(Box::new(Option(Box::new(U8))));
    assert_eq!((oo.size(), oo.align(), oo.flat().len()), (3, 1, 3));
}
