//! The random side of the oracle: a fixed-seed generator, the values stacks are filled with,
//! and [`Oracle`], which counts the cases a rule was checked on and fails on a mismatch.

use super::{run, show, Block, Outcome, State, MIN_DEPTH, P};

/// Cases each rule is checked on (instances whose original program is defined).
pub(crate) const CASES: usize = 10_000;

/// The splitmix64 finalizer: a well-mixed function of `x`.
pub(crate) fn mix(x: u64) -> u64 {
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A splitmix64 generator: fixed seeds make every run check the same cases.
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// A number in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// One of `items`.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() - 1)]
    }

    /// A u32: often an edge value or a small number, otherwise any.
    pub(crate) fn u32(&mut self) -> u64 {
        const EDGES: [u64; 7] = [
            0,
            1,
            2,
            (1 << 31) - 1,
            1 << 31,
            (1 << 32) - 2,
            (1 << 32) - 1,
        ];
        match self.next() % 10 {
            0..=2 => *self.pick(&EDGES),
            3..=4 => self.next() % 16,
            _ => self.next() >> 32,
        }
    }

    /// A felt: often an edge value of the field or of u32, otherwise a u32 or any felt.
    pub(crate) fn felt(&mut self) -> u64 {
        const EDGES: [u64; 8] = [0, 1, P - 1, P - 2, 1 << 32, (1 << 32) + 1, 1 << 63, 1 << 31];
        match self.next() % 10 {
            0..=1 => *self.pick(&EDGES),
            2..=6 => self.u32(),
            _ => self.next() % P,
        }
    }
}

/// What a rule's context guarantees about the values on the stack.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Values {
    /// Anything: the rule only moves values, or its instructions accept any felt.
    Felts,
    /// Wasm `i32` values and `i64` limbs, as the translator keeps them: u32s.
    U32s,
}

/// The tally of one rule's checks.
pub(crate) struct Oracle {
    name: String,
    /// The rule's random source (seeded from its name).
    pub(crate) rng: Rng,
    cases: usize,
    fired: usize,
    void: usize,
    /// The instruction that made the first void case undefined.
    first_void: Option<String>,
}

impl Oracle {
    /// An oracle for the rule `name`, with a seed fixed by the name.
    pub(crate) fn new(name: &str) -> Oracle {
        let seed = name.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
        });
        Oracle {
            name: name.to_string(),
            rng: Rng::new(seed),
            cases: 0,
            fired: 0,
            void: 0,
            first_void: None,
        }
    }

    /// Whether more cases are needed; fails when too many generated cases were void.
    pub(crate) fn running(&self) -> bool {
        assert!(
            self.void <= 4 * CASES,
            "oracle: {}: {} of the generated cases are undefined before the rewrite (first \
             at `{}`)",
            self.name,
            self.void,
            self.first_void.as_deref().unwrap_or_default()
        );
        self.cases < CASES
    }

    /// A random start: 16 to 21 stack elements and fresh memory contents.
    pub(crate) fn state(&mut self, values: Values) -> State {
        let depth = self.rng.range(MIN_DEPTH, MIN_DEPTH + 5);
        let stack: Vec<u64> = (0..depth)
            .map(|_| match values {
                Values::Felts => self.rng.felt(),
                Values::U32s => self.rng.u32(),
            })
            .collect();
        State::new(&stack, self.rng.next())
    }

    /// Checks that each of `rewrites` agrees with `original` from `start` (`fired`: whether
    /// the rule under test rewrote this instance). A case whose original is undefined is
    /// void: it is counted apart and checks nothing.
    pub(crate) fn check(
        &mut self,
        fired: bool,
        original: &[Block],
        rewrites: &[&[Block]],
        start: &State,
    ) {
        let expected = run(original, start);
        if let Outcome::Undefined(op) = expected {
            self.void += 1;
            self.first_void.get_or_insert(op);
            return;
        }
        for rewrite in rewrites {
            let got = run(rewrite, start);
            assert!(
                expected.agrees(&got),
                "oracle: {} changes the program's meaning\n  original:  {}\n  rewritten: {}\n  \
                 start: {start:?}\n  original gives:  {expected:?}\n  rewritten gives: {got:?}",
                self.name,
                show(original),
                show(rewrite),
            );
        }
        self.cases += 1;
        self.fired += usize::from(fired);
    }

    /// Reports the counts and fails unless the rule fired on at least half the cases (a
    /// generator that misses the rule's pattern checks nothing).
    pub(crate) fn finish(self) {
        eprintln!(
            "oracle: {} {} cases, {} fired, {} void (undefined before the rewrite)",
            self.name, self.cases, self.fired, self.void
        );
        assert!(
            2 * self.fired >= self.cases,
            "oracle: {} fired on only {} of {} cases",
            self.name,
            self.fired,
            self.cases
        );
    }
}
