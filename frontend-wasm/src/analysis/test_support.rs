//! Helpers shared by the unit tests of the analyses that read operators.

use wasmparser::Operator;

/// The operators of the first function body of the module `wat` (its final `end` included).
pub(crate) fn first_body_ops(wat: &str) -> Vec<Operator<'static>> {
    let bytes: &'static [u8] = Box::leak(wat::parse_str(wat).unwrap().into_boxed_slice());
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
            let reader = body.get_operators_reader().unwrap();
            return reader.into_iter().map(Result::unwrap).collect();
        }
    }
    unreachable!("the module has a body")
}
