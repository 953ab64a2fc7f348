//! Large aligned strings and lists are sent in place (`abi_send_in_place`): the memory before
//! the blob holds the image's flat chunk and its last chunk's padding is zeroed while the image
//! is hashed and inserted, then both are restored. `guard.wat` marks the bytes around what it
//! sends (an import's argument, and its own result, checked by `cabi_post_shout` after the
//! result was sent) and traps if a mark changed; it runs linked to `svc.wat` on the Miden VM and
//! under wasmtime, for lengths on both sides of the in-place threshold and of every chunk and
//! felt boundary, ASCII and not, aligned and not, and one invalid UTF-8 argument.

use midenc_tests::components::{
    agree, build_component, outcomes_linked, sample_text as text, Outcome, Provider,
};

const WIT: &str = include_str!("../fixtures/components/svc.wit");

/// The guard (world `shouter`) and the callee it imports `shout` from.
fn guard_and_callee() -> (Vec<u8>, Vec<u8>) {
    let guard = build_component(
        include_str!("../fixtures/components/guard.wat"),
        WIT,
        "shouter",
    );
    let callee = build_component(
        include_str!("../fixtures/components/svc.wat"),
        WIT,
        "callee",
    );
    (guard, callee)
}

fn provider(callee: &[u8]) -> [Provider<'_>; 1] {
    [Provider {
        interface: "test:svc/api@1.0.0",
        name: "svc",
        component: callee,
        functions: &["shout"],
    }]
}

#[test]
fn sent_in_place_blobs_leave_their_neighbours_intact() {
    let (guard, callee) = guard_and_callee();
    let lengths = [
        0, 1, 31, 32, 33, 127, 128, 129, 130, 131, 160, 161, 1000, 1001, 1002, 1003, 4096, 4099,
    ];
    let mut args = Vec::new();
    for n in lengths {
        for ascii in [true, false] {
            args.push(format!("\"{}\"", text(n, ascii)));
        }
    }
    let calls: Vec<(&str, &str)> = args.iter().map(|a| ("shout", a.as_str())).collect();
    let providers = provider(&callee);
    let outcomes = outcomes_linked(&guard, &providers, &calls);
    assert_eq!(outcomes.len(), 2 * lengths.len());
    // Every call returns, and the same text under both runtimes (a changed mark traps).
    for ((_, arg), (mine, theirs)) in calls.iter().zip(&outcomes) {
        assert!(
            matches!(mine, Outcome::Ok(_)) && agree(mine, theirs),
            "shout({:.40}…): midenc {mine:?}, wasmtime {theirs:?}",
            arg
        );
    }
}

#[test]
fn invalid_utf8_sent_in_place_traps() {
    let (guard, callee) = guard_and_callee();
    let providers = provider(&callee);
    // guard replaces byte 500 of a 777-byte argument by 0xff before sending it.
    let arg = format!("\"{}\"", text(777, true));
    let calls = [("shout", arg.as_str())];
    let outcomes = outcomes_linked(&guard, &providers, &calls);
    let (mine, theirs) = &outcomes[0];
    assert!(
        matches!(mine, Outcome::Trap(..)) && agree(mine, theirs),
        "midenc {mine:?}, wasmtime {theirs:?}"
    );
    assert!(format!("{mine:?}").contains("utf-8"), "{mine:?}");
}
