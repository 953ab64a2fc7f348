//! Benchmark support: what the `bench` binary measures besides VM cycles.

/// Counts the instructions in MASM source text: every instruction and every control-flow
/// opener (`if.true`, `while.true`, `repeat.N`), but not procedure headers, `else`, `end`,
/// `begin`, imports, constants, attributes or comments. Quoted strings (assertion messages)
/// are part of their instruction.
pub fn count_masm_instructions(masm: &str) -> usize {
    masm.lines().map(line_instructions).sum()
}

fn line_instructions(line: &str) -> usize {
    let tokens = tokens(line);
    match tokens.first().map(String::as_str) {
        None => 0,
        Some(t) if t.starts_with('@') => 0,
        Some("proc" | "pub" | "export" | "use" | "const" | "begin") => 0,
        Some(_) => tokens
            .iter()
            .filter(|t| !matches!(t.as_str(), "end" | "else"))
            .count(),
    }
}

/// Whitespace-separated tokens up to a comment; quoted strings stay inside their token.
fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quote = false;
    for c in line.chars() {
        match c {
            '"' => {
                in_quote = !in_quote;
                cur.push(c);
            }
            '#' if !in_quote => break,
            c if c.is_whitespace() && !in_quote => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::count_masm_instructions;

    #[test]
    fn counts_instructions_not_structure() {
        let masm = "# header\nproc f\n    push.1 push.2 add\n    if.true\n        \
                    assertz.err=\"end of input\"\n    else\n        drop\n    end\nend\n\n\
                    pub proc g\n    exec.f # call it\nend\n";
        // push.1 push.2 add if.true assertz drop exec.f
        assert_eq!(count_masm_instructions(masm), 7);
    }
}
