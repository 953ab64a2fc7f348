"""Second reference for differential fuzzing: runs one export of a module on wasmtime.

Usage: wasmtime_arbiter.py MODULE.wasm EXPORT-NAME-HEX [i32:N | i64:N | f32:BITS | f64:BITS]...

Floats travel as their bit patterns both ways (Python holds them as doubles, so an f32 NaN's
payload may not survive; NaN results are compared leniently anyway). Prints one line:
`values TYPE:N...`, `trap MESSAGE` (wasmtime's whole error text on one line;
the harness classifies it with `tests/src/trap_kind.rs`, the same table the component tests use),
or `exhausted MESSAGE`; a message the table cannot classify never agrees with anything. The
fuzz harness asks it only when wasmi and midenc disagree, to tell a midenc bug from a bug in the
first reference.
"""

import struct
import sys

import wasmtime


def argument(raw: str):
    kind, value = raw.split(":", 1)
    if kind == "f32":
        return struct.unpack("<f", struct.pack("<I", int(value)))[0]
    if kind == "f64":
        return struct.unpack("<d", struct.pack("<Q", int(value)))[0]
    return int(value)


def result(kind: str, value) -> str:
    if kind == "f32":
        return str(struct.unpack("<I", struct.pack("<f", value))[0])
    if kind == "f64":
        return str(struct.unpack("<Q", struct.pack("<d", value))[0])
    return str(value)


def one_line(message: str) -> str:
    return " | ".join(line.strip() for line in message.splitlines() if line.strip())


def main() -> None:
    path, name_hex, *raw_args = sys.argv[1:]
    name = bytes.fromhex(name_hex).decode("utf-8")
    config = wasmtime.Config()
    config.consume_fuel = True
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    store.set_fuel(20_000_000)
    module = wasmtime.Module.from_file(engine, path)
    args = [argument(a) for a in raw_args]
    try:
        instance = wasmtime.Instance(store, module, [])
        func = instance.exports(store)[name]
        results = func(store, *args)
    except wasmtime.Trap as trap:
        message = str(trap)
        if "fuel" in message or "stack overflow" in message:
            print("exhausted", one_line(message))
            return
        print("trap", one_line(message))
        return
    except wasmtime.WasmtimeError as error:
        # Instantiation failures (a segment out of bounds) are traps too; wasmtime reports
        # them as errors whose text names the trap.
        print("trap", one_line(str(error)))
        return
    if results is None:
        results = []
    elif not isinstance(results, list):
        results = [results]
    types = [str(t) for t in func.type(store).results]
    print("values", *(f"{t}:{result(t, v)}" for t, v in zip(types, results)))


if __name__ == "__main__":
    main()
