//! Stack reshaping sequences shared by the function translator and the export wrappers.

/// Deepest stack position an instruction can address (`dup.15`, `movup.15`, ...).
pub const MAX_REACH: usize = 15;

/// Instructions that drop `count` felts lying directly beneath the top `keep` felts, or `None`
/// when that needs a stack position deeper than [`MAX_REACH`].
pub fn drop_below(keep: usize, count: usize) -> Option<Vec<String>> {
    let mut ops = Vec::new();
    if count == 0 {
        return Some(ops);
    }
    if keep == 0 {
        ops.extend(std::iter::repeat_n("dropw".to_string(), count / 4));
        ops.extend(std::iter::repeat_n("drop".to_string(), count % 4));
    } else if keep < count && keep + count - 1 <= MAX_REACH {
        // Sink the kept felts beneath the doomed ones, then drop from the top.
        ops.extend(std::iter::repeat_n(
            format!("movdn.{}", keep + count - 1),
            keep,
        ));
        ops.extend(drop_below(0, count)?);
    } else if keep <= MAX_REACH {
        let lift = if keep == 1 {
            "swap".to_string()
        } else {
            format!("movup.{keep}")
        };
        for _ in 0..count {
            ops.push(lift.clone());
            ops.push("drop".to_string());
        }
    } else {
        return None;
    }
    Some(ops)
}

/// Instructions that reverse the order of values (of the given felt widths, listed from the
/// top) while keeping each value's own felts in order.
pub fn reverse_values(widths_from_top: &[usize]) -> Option<Vec<String>> {
    let total: usize = widths_from_top.iter().sum();
    if total > MAX_REACH + 1 {
        return None;
    }
    let mut ops = Vec::new();
    let mut placed = 0;
    for width in &widths_from_top[..widths_from_top.len().saturating_sub(1)] {
        let depth = total - 1 - placed;
        for _ in 0..*width {
            ops.push(if depth == 1 {
                "swap".to_string()
            } else {
                format!("movdn.{depth}")
            });
        }
        placed += width;
    }
    Some(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies the few instructions these helpers emit to a model stack (index 0 = top).
    fn run(ops: &[String], mut stack: Vec<u32>) -> Vec<u32> {
        for op in ops {
            let (name, n) = match op.split_once('.') {
                Some((a, b)) => (a, b.parse::<usize>().unwrap()),
                None => (op.as_str(), 0),
            };
            match name {
                "drop" => {
                    stack.remove(0);
                }
                "dropw" => {
                    stack.drain(0..4);
                }
                "swap" => stack.swap(0, 1),
                "movdn" => {
                    let v = stack.remove(0);
                    stack.insert(n, v);
                }
                "movup" => {
                    let v = stack.remove(n);
                    stack.insert(0, v);
                }
                "push" => stack.insert(0, 0),
                other => panic!("unexpected {other}"),
            }
        }
        stack
    }

    #[test]
    fn drop_below_keeps_the_top() {
        for keep in 0..6 {
            for count in 0..8 {
                let stack: Vec<u32> = (1..=20).collect();
                let ops = drop_below(keep, count).unwrap();
                let mut want: Vec<u32> = stack[..keep].to_vec();
                want.extend(&stack[keep + count..]);
                assert_eq!(run(&ops, stack), want, "keep {keep} count {count}");
            }
        }
    }

    #[test]
    fn reverse_keeps_limb_order() {
        // values a (2 felts: 1,2), b (1 felt: 3), c (2 felts: 4,5) from the top
        let ops = reverse_values(&[2, 1, 2]).unwrap();
        assert_eq!(run(&ops, vec![1, 2, 3, 4, 5, 99]), vec![4, 5, 3, 1, 2, 99]);
    }
}
