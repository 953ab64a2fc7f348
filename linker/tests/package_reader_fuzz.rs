//! Fuzzing the package reader: mutated bytes of real packages must be rejected with an error
//! (or accepted as a valid package), never panic and never hang.
//!
//! A plain seeded mutation loop (no extra dependency): bit flips, byte overwrites with boundary
//! values, truncation, insertion, deletion and duplication of ranges, biased towards the
//! package's headers and trailing sections where the structure lives. Every input runs under
//! `catch_unwind`; a watchdog fails the test if one input takes longer than `HANG_SECS`.
//!
//! CI runs `MIDENC_FUZZ_CASES` (default 3,000) inputs. The full run (docs/linking.md):
//! `MIDENC_FUZZ_CASES=100000 cargo test --workspace --test package_reader_fuzz -- --nocapture`

use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use midenc_linker::{link, LinkSet, LinkedPackage, PackageSpec};

const HANG_SECS: u64 = 30;

/// xorshift64*: a small deterministic generator, so every failure is reproducible by seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn package(wat: &str, name: &str, links: &LinkSet) -> Vec<u8> {
    let wasm = wat::parse_str(wat).unwrap();
    let imports = midenc_frontend_wasm::module_imports(&wasm).unwrap();
    let resolutions = links.resolve(&imports, false).unwrap();
    let bind = |i: &midenc_frontend_wasm::ImportedFunction| {
        imports
            .iter()
            .position(|j| j.func == i.func)
            .map(|at| resolutions[at].binding())
    };
    let request = midenc_frontend_wasm::Request::new(&wasm).with_bind(&bind);
    let module = midenc_frontend_wasm::compile_module(&request).unwrap();
    link(&PackageSpec {
        name,
        version: "1.2.3",
        module: &module,
        wasm: &wasm,
        world: None,
        resolutions: &resolutions,
    })
    .unwrap()
    .to_bytes()
}

/// Real packages: one with memory and data, one with a resolved import and a dependency.
fn seeds() -> Vec<Vec<u8>> {
    let c = package(
        r#"(module (memory 1) (data (i32.const 8) "abc")
             (func (export "f") (param i32 i64) (result i64)
               local.get 1 local.get 0 i64.extend_i32_u i64.add)
             (func (export "g") (param i32) (result i32)
               local.get 0 i32.const 8 i32.load8_u i32.add))"#,
        "c",
        &LinkSet::default(),
    );
    let mut links = LinkSet::default();
    links
        .add("c.masp", LinkedPackage::from_bytes(&c).unwrap())
        .unwrap();
    let g = links.inputs()[0]
        .package
        .export("g")
        .unwrap()
        .0
        .mast_root
        .clone();
    let b = package(
        &format!(
            r#"(module (import "mast:{g}" "g" (func $g (param i32) (result i32)))
                 (func (export "h") (param i32) (result i32) local.get 0 call $g call $g))"#
        ),
        "b",
        &links,
    );
    vec![c, b]
}

const INTERESTING: [u8; 8] = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE, 0x40, 0x10];

/// One to three mutations of `input`.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..1 + rng.below(3) {
        let len = bytes.len();
        if len == 0 {
            break;
        }
        // A position: anywhere, in the first 4 KiB, or in the last 5 KiB.
        let at = match rng.below(3) {
            0 => rng.below(len),
            1 => rng.below(len.min(4096)),
            _ => len - 1 - rng.below(len.min(5120)),
        };
        match rng.below(7) {
            0 | 1 => bytes[at] ^= 1 << rng.below(8),
            2 => bytes[at] = INTERESTING[rng.below(INTERESTING.len())],
            3 => bytes.truncate(at),
            4 => {
                let n = 1 + rng.below(16);
                let fill: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                bytes.splice(at..at, fill);
            }
            5 => {
                let end = (at + 1 + rng.below(64)).min(len);
                bytes.drain(at..end);
            }
            _ => {
                let end = (at + 1 + rng.below(64)).min(len);
                let chunk = bytes[at..end].to_vec();
                let to = rng.below(len);
                bytes.splice(to..to, chunk);
            }
        }
    }
    bytes
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn mutated_packages_never_panic_or_hang() {
    let cases = env_u64("MIDENC_FUZZ_CASES", 3_000);
    let seed = env_u64("MIDENC_FUZZ_SEED", 0x5EED_1234_ABCD_0001);
    let seeds = seeds();
    let originals: Vec<LinkedPackage> = seeds
        .iter()
        .map(|s| LinkedPackage::from_bytes(s).expect("the unmutated package reads"))
        .collect();

    let done = Arc::new(AtomicU64::new(0));
    let panics = Arc::new(Mutex::new(Vec::<String>::new()));
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let worker = {
        let (done, panics) = (done.clone(), panics.clone());
        std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(move || {
                let mut rng = Rng(seed);
                let (mut accepted, mut rejected) = (0u64, 0u64);
                let mut slowest = Duration::ZERO;
                let started = Instant::now();
                for i in 0..cases {
                    let which = (i % seeds.len() as u64) as usize;
                    let input = mutate(&mut rng, &seeds[which]);
                    let t = Instant::now();
                    match catch_unwind(AssertUnwindSafe(|| {
                        // Errors must render without panicking too.
                        LinkedPackage::from_bytes(&input).map_err(|e| e.to_string())
                    })) {
                        // Accepted only if it is the original package, byte changes or not.
                        Ok(Ok(p))
                            if p.package == originals[which].package
                                && p.manifest == originals[which].manifest =>
                        {
                            accepted += 1
                        }
                        Ok(Ok(_)) => panics
                            .lock()
                            .unwrap()
                            .push(format!("input {i}: a modified package was accepted")),
                        Ok(Err(_)) => rejected += 1,
                        Err(p) => {
                            let msg = p
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default();
                            panics.lock().unwrap().push(format!("input {i}: {msg}"));
                        }
                    }
                    slowest = slowest.max(t.elapsed());
                    done.store(i + 1, Ordering::Relaxed);
                }
                (accepted, rejected, slowest, started.elapsed())
            })
            .unwrap()
    };
    let mut last = (0, Instant::now());
    while !worker.is_finished() {
        std::thread::sleep(Duration::from_millis(200));
        let now = done.load(Ordering::Relaxed);
        if now != last.0 {
            last = (now, Instant::now());
        }
        assert!(
            last.1.elapsed() < Duration::from_secs(HANG_SECS),
            "input {now} (seed {seed:#x}) has run for over {HANG_SECS} s: the reader hangs"
        );
    }
    let (accepted, rejected, slowest, total) = worker.join().unwrap();
    std::panic::set_hook(previous_hook);
    let panics = panics.lock().unwrap();
    println!(
        "{cases} mutated packages (seed {seed:#x}): {rejected} rejected, {accepted} accepted, \
         {} panics; {:.1} s total, slowest input {:.1} ms",
        panics.len(),
        total.as_secs_f64(),
        slowest.as_secs_f64() * 1e3
    );
    assert!(
        panics.is_empty(),
        "the reader panicked or accepted a modified package on {} inputs:\n{}",
        panics.len(),
        panics
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(accepted + rejected, cases);
    // The checksum section makes every change of content detectable: the few accepted inputs
    // read back as the original package (e.g. a byte overwritten with its own value).
    assert!(
        rejected >= cases * 99 / 100,
        "too few mutations were detected: {rejected}/{cases}"
    );
}
