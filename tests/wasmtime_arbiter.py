"""Second reference for differential fuzzing: runs one export of a module on wasmtime.

Usage: wasmtime_arbiter.py MODULE.wasm EXPORT-NAME-HEX [i32:N | i64:N]...

Prints one line: `values TYPE:N...`, `trap KIND` (named as midenc names traps) or
`exhausted MESSAGE`. The fuzz harness asks it only when wasmi and midenc disagree, to tell a
midenc bug from a bug in the first reference.
"""

import sys

import wasmtime

TRAP_KINDS = [
    ("integer divide by zero", "integer divide by zero"),
    ("integer overflow", "integer overflow"),
    ("unreachable", "unreachable"),
    ("out of bounds memory access", "out of bounds memory access"),
    ("undefined element", "undefined element"),
    ("out of bounds table access", "out of bounds table access"),
    ("uninitialized element", "uninitialized element"),
    ("indirect call type mismatch", "indirect call type mismatch"),
]


def main() -> None:
    path, name_hex, *raw_args = sys.argv[1:]
    name = bytes.fromhex(name_hex).decode("utf-8")
    config = wasmtime.Config()
    config.consume_fuel = True
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    store.set_fuel(20_000_000)
    module = wasmtime.Module.from_file(engine, path)
    args = [int(a.split(":", 1)[1]) for a in raw_args]
    try:
        instance = wasmtime.Instance(store, module, [])
        func = instance.exports(store)[name]
        results = func(store, *args)
    except wasmtime.Trap as trap:
        message = str(trap)
        if "fuel" in message or "stack overflow" in message:
            print("exhausted", message.splitlines()[0])
            return
        for needle, kind in TRAP_KINDS:
            if needle in message:
                print("trap", kind)
                return
        print("trap", message.splitlines()[0])
        return
    except wasmtime.WasmtimeError as error:
        message = str(error)
        for needle, kind in TRAP_KINDS:
            if needle in message:
                print("trap", kind)
                return
        print("error", message.splitlines()[0])
        return
    if results is None:
        results = []
    elif not isinstance(results, list):
        results = [results]
    types = [str(t) for t in func.type(store).results]
    print("values", *(f"{t}:{v}" for t, v in zip(types, results)))


if __name__ == "__main__":
    main()
