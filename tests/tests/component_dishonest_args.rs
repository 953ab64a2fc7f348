//! Argument images that midenc's host never produces but a dishonest caller can (correctly
//! hashed, so only lifting can catch them), sent to the corpus components: the callee traps
//! where the canonical ABI forbids the value (invalid `char`, out-of-range discriminant,
//! invalid UTF-8, a felt that is not a u32), and reads bools and flags the way the canonical
//! lift does (any non-zero byte is true, bits beyond the last label are ignored). Each case
//! first runs the honest image, so a trap can only come from the change.
#![allow(clippy::result_large_err)] // midenc's diagnostics, passed through as they are

use midenc::vm::{execute, spill_inputs};
use midenc_abi::host::{decode, encode, Image};
use midenc_linker::LinkedPackage;
use midenc_tests::components::rust_component;

struct Component {
    package: LinkedPackage,
}

impl Component {
    fn new(name: &str) -> Self {
        let bytes = rust_component(name);
        let package =
            midenc::compile_wasm(std::path::Path::new(name), &bytes, name).expect("compiles");
        Component { package }
    }

    /// Runs `call` (WAVE) with its argument image changed by `tamper`; the result as WAVE, or
    /// the trap message.
    fn run(&self, call: &str, tamper: impl Fn(&mut Image)) -> Result<String, String> {
        let inv = midenc::invoke::parse(call, &self.package.manifest).expect("a valid call");
        let sig = inv.export.wit.clone().expect("a component export");
        let root = midenc_linker::parse_word(&inv.export.mast_root).expect("root");
        let mut image = encode(&sig.param_types(), &inv.wit_args).expect("encodes");
        tamper(&mut image);
        let (stack, advice) = spill_inputs(sig.params_spill(), &image).expect("inputs");
        let run = midenc::with_deep_stack(|| execute(&self.package, root, &stack, advice))
            .map_err(|e| e.to_string())?;
        let result = sig.result.as_ref().expect("a result");
        let image = if sig.results_spill() {
            let key = word_on_top(&run.stack);
            let entry = run.advice_map.get(&key).expect("result entry");
            let entry: Vec<u64> = entry.iter().map(|f| f.as_canonical_u64()).collect();
            Image::from_advice_entry(&entry, sig.result_felts()).expect("image")
        } else {
            Image {
                flat: run.stack[..sig.result_felts()].to_vec(),
                blobs: Vec::new(),
            }
        };
        Ok(wasm_wave::to_string(&decode(result, &image).expect("decodes")).expect("renders"))
    }

    /// The honest call returns `honest`; the tampered one traps with `reason`.
    fn traps(&self, call: &str, honest: &str, reason: &str, tamper: impl Fn(&mut Image)) {
        assert_eq!(self.run(call, |_| {}).as_deref(), Ok(honest), "{call}");
        match self.run(call, tamper) {
            Err(m) => assert!(
                m.contains(reason),
                "{call}: trapped with `{m}`, not `{reason}`"
            ),
            Ok(v) => panic!("{call}: tampered image returned {v}"),
        }
    }

    /// The honest call returns `honest`; the tampered one returns `lifted`.
    fn reads(&self, call: &str, honest: &str, lifted: &str, tamper: impl Fn(&mut Image)) {
        assert_eq!(self.run(call, |_| {}).as_deref(), Ok(honest), "{call}");
        assert_eq!(
            self.run(call, tamper).as_deref(),
            Ok(lifted),
            "{call} (tampered)"
        );
    }
}

fn word_on_top(stack: &[u64]) -> miden_processor::Word {
    use miden_processor::Felt;
    miden_processor::Word::new([0, 1, 2, 3].map(|i| Felt::new(stack[i]).expect("canonical")))
}

/// Replaces byte `i` of a blob (four bytes per felt, little-endian).
fn set_byte(blobs: &mut [u64], i: usize, b: u8) {
    let shift = 8 * (i % 4);
    blobs[i / 4] = (blobs[i / 4] & !(0xff << shift)) | (u64::from(b) << shift);
}

const CHAR: &str = "invalid char bit pattern";
const DISC: &str = "invalid variant discriminant";
const NOT_U32: &str = "argument is not a u32";

#[test]
fn scalar_arguments() {
    let c = Component::new("scalars");
    c.traps("shift-char('a', 1)", "'b'", CHAR, |i| i.flat[0] = 0xD800);
    c.traps("shift-char('a', 1)", "'b'", CHAR, |i| i.flat[0] = 0x11_0000);
    c.traps("neg-s8(5)", "-5", NOT_U32, |i| i.flat[0] = 1 << 32);
    c.traps("add64(1, 2)", "3", NOT_U32, |i| i.flat[1] = 1 << 32);
    c.reads("flip(false)", "true", "false", |i| i.flat[0] = 2);
    c.reads("neg-s8(5)", "-5", "1", |i| i.flat[0] = 0x1ff);
}

#[test]
fn discriminant_arguments() {
    let c = Component::new("variants");
    c.traps("next-color(red)", "green", DISC, |i| i.flat[0] = 8);
    c.traps("area(dot)", "0", DISC, |i| i.flat[0] = 6);
    c.traps("maybe-name(none)", "\"anonymous\"", DISC, |i| i.flat[0] = 2);
    c.traps("half(4)", "some(2)", NOT_U32, |i| i.flat[0] = u64::MAX >> 1);
    // list<shape>: the second element's discriminant byte (elements are 24 bytes).
    c.traps("areas([dot, dot])", "[0, 0]", DISC, |i| {
        set_byte(&mut i.blobs, 24, 6)
    });
    // An enum of 300 cases: two-byte discriminants, flat and in a list.
    c.traps("many-next(k0)", "k1", DISC, |i| i.flat[0] = 300);
    c.traps("many-sum([k1, k2])", "3", DISC, |i| {
        i.blobs[0] = 0xffff_0001
    });
    let c = Component::new("nested");
    // list<option<string>>: option discriminant 2 in the first element.
    c.traps("somes([some(\"a\")])", "[\"a\"]", DISC, |i| {
        set_byte(&mut i.blobs, 0, 2)
    });
}

#[test]
fn chars_and_utf8_in_lists() {
    let c = Component::new("lists");
    c.traps("from-chars(['a', 'b'])", "\"ab\"", CHAR, |i| {
        i.blobs[1] = 0xD800
    });
    c.traps("from-chars(['a', 'b'])", "\"ab\"", CHAR, |i| {
        i.blobs[0] = 0x11_0000
    });
    let c = Component::new("records");
    // `mixed`: a (u8), b (u64, 2 felts), c (u16), d (char) — d is flat felt 4.
    c.traps(
        "mixed-sum({a: 0, b: 0, c: 0, d: 'a', e: false, f: 0, g: 0})",
        "97",
        CHAR,
        |i| i.flat[4] = 0xDFFF,
    );
    let c = Component::new("strings");
    c.traps("echo(\"ab\")", "\"ab\"", "invalid utf-8", |i| {
        set_byte(&mut i.blobs, 1, 0xff)
    });
    // list<string>: the inner string's bytes are the second blob (the first, one 8-byte
    // element, is padded to a 32-byte chunk).
    c.traps("join([\"ab\"], \"\")", "\"ab\"", "invalid utf-8", |i| {
        set_byte(&mut i.blobs, 32, 0xc3)
    });
}

#[test]
fn bools_and_flags_in_lists_read_as_the_canonical_lift_does() {
    let c = Component::new("lists");
    // A bool byte of 2 is true, as in a flat position.
    c.reads(
        "negate([false, true])",
        "[true, false]",
        "[false, false]",
        |i| set_byte(&mut i.blobs, 0, 2),
    );
    c.reads("bool-bytes([false, true])", "[0, 1]", "[1, 1]", |i| {
        set_byte(&mut i.blobs, 0, 0x80)
    });
    let c = Component::new("flagsets");
    // perms has three labels: the five high bits of its byte are ignored.
    c.reads("perms-bits([{read}, {exec}])", "[1, 4]", "[1, 4]", |i| {
        set_byte(&mut i.blobs, 0, 0xf9)
    });
    // A flat record: `bag.a` (nine labels) is flat felt 0, `bag.d` (three labels) felt 3.
    let bag = "bag-echo({a: {n0}, b: 1, c: {t0}, d: {read}})";
    let honest = "{a: {n0}, b: 1, c: {t0}, d: {read}}";
    c.reads(bag, honest, honest, |i| {
        i.flat[3] |= 0xf0;
        i.flat[0] |= 0xfe00;
    });
}
