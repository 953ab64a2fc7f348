//! A rough static estimate of the cycles a procedure body costs, used to choose between two
//! translations of the same function that differ only in how their locals are laid out.
//!
//! Instructions are weighted by 8 for every enclosing `while` (capped at 5 loops), since a loop
//! body usually runs many times. Stack instructions cost what they were measured to cost on
//! Miden 0.23.5 for their depth (`dup.8` 3 cycles but `dup.9` 1, `movup.9` 4, `swap.10` 6);
//! every other instruction counts 1, which is enough because both candidates compute the same
//! operations and differ in stack traffic.

/// The estimated cycles of the MASM lines `text` (one instruction or block keyword per line).
pub(crate) fn estimated_cycles(text: &str) -> u64 {
    let mut loops: Vec<bool> = Vec::new();
    let mut depth = 0u32;
    let mut total = 0u64;
    for line in text.lines().map(str::trim) {
        let weight = 8u64.pow(depth.min(5));
        match line {
            "" => {}
            _ if line.starts_with('#') || line.starts_with('@') || line.starts_with("proc ") => {}
            "while.true" => {
                total += weight;
                loops.push(true);
                depth += 1;
            }
            "if.true" | "if.false" => {
                total += 10 * weight;
                loops.push(false);
            }
            "else" => {}
            "end" => {
                if loops.pop() == Some(true) {
                    depth -= 1;
                }
            }
            op => total += weight * instruction_cycles(op),
        }
    }
    total
}

/// Cycles of one instruction, exact for the stack instructions whose cost depends on depth.
pub(crate) fn instruction_cycles(op: &str) -> u64 {
    let (name, n) = match op.split_once('.') {
        Some((name, arg)) => (name, arg.parse::<u32>().ok()),
        None => (op, None),
    };
    match (name, n) {
        ("dup", Some(8 | 10 | 12 | 14)) => 3,
        ("swap", Some(2..=8)) => 2,
        ("swap", Some(9)) => 5,
        ("swap", Some(10..=15)) => 6,
        ("movup" | "movdn", Some(9..=15)) => 4,
        ("dropw" | "padw" | "dupw", _) => 4,
        ("push", Some(1)) => 2,
        ("u32gt" | "u32gte", _) => 3,
        ("u32lte", _) => 4,
        ("u32lt" | "u32wrapping_add" | "u32wrapping_mul" | "u32mod", _) => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_stack_access_and_loops_cost_more() {
        assert_eq!(
            estimated_cycles("dup.9\ndup.8\nswap.10\nmovup.3"),
            1 + 3 + 6 + 1
        );
        // The loop body counts 8 times; `if` adds its own overhead.
        assert_eq!(
            estimated_cycles("push.0\nwhile.true\n  dup\nend"),
            1 + 1 + 8
        );
        assert_eq!(
            estimated_cycles("if.true\n  drop\nelse\n  dropw\nend"),
            10 + 1 + 4
        );
    }
}
