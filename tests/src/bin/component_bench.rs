//! Benchmark (a table, not a test): cycles to move N bytes into a component export and the
//! fixed cost of a small call; then the same for a call from one component into another.
//! Run: `cargo run -p midenc-tests --bin component_bench`.

use midenc_tests::components::build_component;
use wasm_wave::wasm::WasmValue;

const WAT: &str = include_str!("../../fixtures/components/kitchen.wat");
const WIT: &str = include_str!("../../fixtures/components/kitchen.wit");

fn main() {
    let component = build_component(WAT, WIT, "kitchen");
    let package = midenc::compile_wasm(std::path::Path::new("kitchen.wasm"), &component, "kitchen")
        .expect("compiles");
    let run = |call: &str| -> u32 {
        midenc_tests::runs::call_component_text(&package, call)
            .expect("runs")
            .cycles
    };
    // The same core function exported by the core module: the difference is what the
    // component boundary costs; an empty export is the cost of `call` itself.
    let core_cycles = |wat: &str, call: &str| -> u32 {
        let wasm = wat::parse_str(wat).expect("core module parses");
        let package = midenc::compile_wasm(std::path::Path::new("core.wasm"), &wasm, "core")
            .expect("compiles");
        let c = midenc::invoke::parse(call, &package.manifest).expect("parses");
        let root = midenc_linker::parse_word(&c.export.mast_root).expect("root");
        midenc::vm::call_export(&package, root, &c.args, &c.export.results)
            .expect("runs")
            .cycles
    };
    println!("| call | bytes in | bytes out | cycles | bytes/cycle |");
    println!("|---|---|---|---|---|");
    let empty = core_cycles("(module (func (export \"nop\")))", "nop()");
    println!("| core module: empty export (the `call` itself) | 0 | 0 | {empty} | - |");
    let core_add = core_cycles(WAT, "add(1, 2)");
    println!("| core module: add(i32, i32) -> i32 | 0 | 0 | {core_add} | - |");
    // Instantiation writes the active data segments on every call: 16 KiB of data.
    let data: String = (0..16384)
        .map(|i| format!("\\{:02x}", (i * 7 + 1) % 251))
        .collect();
    let with_data = core_cycles(
        &format!("(module (memory 1) (data (i32.const 64) \"{data}\") (func (export \"nop\")))"),
        "nop()",
    );
    println!(
        "| core module: empty export, 16 KiB data segment | 0 | 0 | {with_data} | {:.1} (data init) |",
        16384.0 / f64::from(with_data - empty)
    );
    let base = run("add(1, 2)");
    println!("| add(u32, u32) -> u32 | 0 | 0 | {base} | - |");
    for kib in [1usize, 16, 64] {
        let n = kib * 1024;
        let bytes = (0..n)
            .map(|i| (i % 251).to_string())
            .collect::<Vec<_>>()
            .join(",");
        let c = run(&format!("list-len([{bytes}])"));
        println!(
            "| list-len(list<u8>) | {n} | 0 | {c} | {:.2} |",
            n as f64 / c as f64
        );
        let c = run(&format!("echo-list([{bytes}])"));
        println!(
            "| echo-list(list<u8>) -> list<u8> | {n} | {n} | {c} | {:.2} |",
            (2 * n) as f64 / c as f64
        );
        let text: String = (0..n).map(|i| (b'a' + (i % 26) as u8) as char).collect();
        let c = run(&format!("byte-len(\"{text}\")"));
        println!(
            "| byte-len(string) | {n} | 0 | {c} | {:.2} |",
            n as f64 / c as f64
        );
        // Mixed text: about a third of the chars take two to four bytes.
        let mixed: String = "Grüße, 世界! €5 😀 naïve café — 𝄞 ok."
            .chars()
            .cycle()
            .scan(0, |len, c| {
                *len += c.len_utf8();
                (*len <= n).then_some(c)
            })
            .collect();
        let c = run(&format!("byte-len(\"{mixed}\")"));
        println!(
            "| byte-len(string), multi-byte UTF-8 | {} | 0 | {c} | {:.2} |",
            mixed.len(),
            mixed.len() as f64 / c as f64
        );
        let c = run(&format!("echo(\"{text}\")"));
        println!(
            "| echo(string) -> string | {n} | {n} | {c} | {:.2} |",
            (2 * n) as f64 / c as f64
        );
    }
    // A length with bits 7, 11 and 13 set: the flat chunk's length is not counted as text.
    let text: String = (0..16_000)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let c = run(&format!("echo(\"{text}\")"));
    println!(
        "| echo(string) -> string | 16000 | 16000 | {c} | {:.2} |",
        32_000.0 / c as f64
    );
    component_to_component();
}

/// Cycles of `shout(string) -> string` called on the callee directly and through a caller
/// component that imports it: the difference is two more crossings of N bytes each way (the
/// caller receiving from and returning to the host, and calling the callee).
fn component_to_component() {
    let wit = include_str!("../../fixtures/components/svc.wit");
    let callee = build_component(
        include_str!("../../fixtures/components/svc.wat"),
        wit,
        "callee",
    );
    let caller = build_component(
        &include_str!("../../fixtures/components/forward.wat")
            .replace("\"IMPORT\"", "\"test:svc/api@1.0.0\"")
            .replace("\"EXPORT", "\""),
        wit,
        "caller",
    );
    let mut links = midenc_linker::LinkSet::default();
    let path = std::path::Path::new("svc.wasm");
    let (_, svc) = midenc::compile(&midenc::CompileRequest::new(path, &callee, "svc", &links))
        .expect("callee compiles");
    let svc_root = svc.export("test:svc/api@1.0.0#shout").expect("shout").1;
    links.add("svc.masp", svc).expect("added");
    let path = std::path::Path::new("caller.wasm");
    let (_, app) = midenc::compile(&midenc::CompileRequest::new(
        path, &caller, "caller", &links,
    ))
    .expect("compiles");
    let (export, app_root) = app.export("shout").expect("shout");
    let sig = export.wit.clone().expect("WIT");
    println!();
    println!("| shout(string) -> string, N bytes | direct | via a caller component | difference | bytes/cycle of the difference (4N bytes moved) |");
    println!("|---|---|---|---|---|");
    for n in [16usize, 1024, 16 * 1024, 64 * 1024] {
        let text: String = (0..n).map(|i| (b'a' + (i % 26) as u8) as char).collect();
        let arg = [wasm_wave::value::Value::make_string(text.into())];
        let pkg = &links.inputs()[0].package;
        let direct = midenc_tests::runs::call_component_export(pkg, svc_root, &sig, &arg)
            .expect("runs")
            .cycles;
        let via = midenc::vm::call_component_export_linked(&app, &links, app_root, &sig, &arg)
            .expect("runs")
            .cycles;
        let diff = via - direct;
        println!(
            "| {n} | {direct} | {via} | {diff} | {:.2} |",
            (4 * n) as f64 / diff as f64
        );
    }
}
