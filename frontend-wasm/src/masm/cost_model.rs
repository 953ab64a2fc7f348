//! A rough static estimate of the cycles a procedure body costs, used to choose between two
//! translations of the same function that differ only in how their locals are laid out.
//!
//! It is priced on the finished code ([`Block`]s, after the MASM-level passes), with each
//! instruction's measured cost ([`crate::masm::Inst::cycles`]). Instructions are weighted by 8
//! for every enclosing `while` (capped at 5 loops), since a loop body usually runs many times;
//! an `if` adds 10, a `while` 1. Both candidates compute the same operations and differ in
//! stack traffic, which is what the costs are exact for.

use crate::masm::Block;

/// The estimated cycles of `blocks`.
pub(crate) fn estimated_cycles(blocks: &[Block]) -> u64 {
    cycles_at(blocks, 0)
}

fn cycles_at(blocks: &[Block], loops: u32) -> u64 {
    let weight = 8u64.pow(loops.min(5));
    blocks
        .iter()
        .map(|block| match block {
            Block::Inst(inst, _) => weight * inst.cycles(),
            Block::If { then, otherwise } => {
                10 * weight + cycles_at(then, loops) + cycles_at(otherwise, loops)
            }
            Block::While(body) => weight + cycles_at(body, loops + 1),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::masm::Inst;

    fn code(ops: &[&str]) -> Vec<Block> {
        ops.iter()
            .map(|op| Block::Inst(Inst::from(*op), None))
            .collect()
    }

    #[test]
    fn deep_stack_access_and_loops_cost_more() {
        assert_eq!(
            estimated_cycles(&code(&["dup.9", "dup.8", "swap.10", "movup.3"])),
            1 + 3 + 6 + 1
        );
        // The loop body counts 8 times; `if` adds its own overhead.
        let looped = [code(&["push.0"]), vec![Block::While(code(&["dup"]))]].concat();
        assert_eq!(estimated_cycles(&looped), 1 + 1 + 8);
        let branch = Block::If {
            then: code(&["drop"]),
            otherwise: code(&["dropw"]),
        };
        assert_eq!(estimated_cycles(&[branch]), 10 + 1 + 4);
    }
}
