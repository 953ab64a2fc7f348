"""Reference runner for component exports: wasmtime (PyPI `wasmtime`) invokes each call on a
fresh instance. Used by the differential tests.

Usage: python wasmtime_component.py COMPONENT.wasm [PROVIDERS] < calls.json > results.json
PROVIDERS: [{"iface": "ns:pkg/iface@ver", "path": "P.wasm", "funcs": ["f", ...]}] (JSON); each
provider serves the imports of the interface it exports, to the component and to the providers
after it. Every import call runs on a fresh provider instance (as a Miden `call` does).
calls.json: [{"func": "iface#f" | "f", "args": [VALUE...]}]
results.json: [{"ok": VALUE | null} | {"trap": "message"}] (the whole error text: the tests
classify it, see tests/src/trap_kind.rs)
VALUE (typed by the function's signature): bool, int, str (char/string), [..] (list/tuple/flags),
{"field": VALUE} (record), {"case": "name", "value": VALUE | null} (variant/enum/option/result),
{"bits": N} (f32/f64: the IEEE bit pattern, which JSON numbers cannot carry for NaN and
infinities).
"""
import json
import struct
import sys

import wasmtime
from wasmtime import component as cm
from wasmtime.component._types import VariantLikeType


def to_py(ty, j):
    if isinstance(ty, cm.F32):
        return struct.unpack("<f", struct.pack("<I", j["bits"]))[0]
    if isinstance(ty, cm.F64):
        return struct.unpack("<d", struct.pack("<Q", j["bits"]))[0]
    if isinstance(ty, cm.ListType):
        if isinstance(ty.element, cm.U8):
            return bytes(j)
        return [to_py(ty.element, x) for x in j]
    if isinstance(ty, cm.RecordType):
        r = cm.Record()
        for name, t in ty.fields:
            setattr(r, name, to_py(t, j[name]))
        return r
    if isinstance(ty, cm.TupleType):
        return tuple(to_py(t, x) for t, x in zip(ty.elements, j))
    if isinstance(ty, cm.EnumType):
        return j["case"]
    if isinstance(ty, cm.FlagsType):
        return set(j)
    if isinstance(ty, VariantLikeType):
        for name, t in ty._cases():
            if name == j["case"]:
                payload = None if t is None else to_py(t, j["value"])
                return cm.Variant(name, payload) if ty._tagged() else payload
        raise ValueError("no case " + j["case"])
    return j


def case_of(ty, v):
    if ty._tagged():
        return v.tag, v.payload
    for name, t in ty._cases():
        if t is None:
            if v is None:
                return name, None
            continue
        classes = set()
        t.add_classes(classes)
        if isinstance(v, tuple(classes)):
            return name, v
    raise ValueError("value matches no case")


def from_py(ty, v):
    if isinstance(ty, cm.F32):
        return {"bits": struct.unpack("<I", struct.pack("<f", v))[0]}
    if isinstance(ty, cm.F64):
        return {"bits": struct.unpack("<Q", struct.pack("<d", v))[0]}
    if isinstance(ty, cm.ListType):
        return [from_py(ty.element, x) for x in v]
    if isinstance(ty, cm.RecordType):
        return {name: from_py(t, getattr(v, name)) for name, t in ty.fields}
    if isinstance(ty, cm.TupleType):
        return [from_py(t, x) for t, x in zip(ty.elements, v)]
    if isinstance(ty, cm.EnumType):
        return {"case": v, "value": None}
    if isinstance(ty, cm.FlagsType):
        return sorted(v)
    if isinstance(ty, VariantLikeType):
        name, payload = case_of(ty, v)
        t = dict(ty._cases())[name]
        return {"case": name, "value": None if t is None else from_py(t, payload)}
    return v


def forwarder(engine, sub, comp, iface, fname):
    def call(store, *args):
        inst = sub.instantiate(store, comp)
        idx = inst.get_export_index(store, fname, inst.get_export_index(store, iface))
        return inst.get_func(store, idx)(store, *args)
    return call


def make_linker(engine, providers):
    """A linker that serves the interfaces of `providers`, each linked against those before it."""
    linker = cm.Linker(engine)
    for i, p in enumerate(providers):
        comp = cm.Component.from_file(engine, p["path"])
        sub = make_linker(engine, providers[:i])
        with linker.root() as root:
            with root.add_instance(p["iface"]) as inst:
                for fname in p["funcs"]:
                    inst.add_func(fname, forwarder(engine, sub, comp, p["iface"], fname))
    return linker


def main():
    engine = wasmtime.Engine()
    comp = cm.Component.from_file(engine, sys.argv[1])
    providers = json.loads(sys.argv[2]) if len(sys.argv) > 2 else []
    linker = make_linker(engine, providers)
    calls = json.load(sys.stdin)
    out = []
    for call in calls:
        store = wasmtime.Store(engine)
        inst = linker.instantiate(store, comp)
        name = call["func"]
        if "#" in name:
            iface, f = name.rsplit("#", 1)
            idx = inst.get_export_index(store, f, inst.get_export_index(store, iface))
        else:
            idx = inst.get_export_index(store, name)
        func = inst.get_func(store, idx)
        fty = func.type(store)
        args = [to_py(t, a) for (_, t), a in zip(fty.params, call["args"])]
        try:
            res = func(store, *args)
            out.append({"ok": None if fty.result is None else from_py(fty.result, res)})
        except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
            out.append({"trap": str(e)})
    json.dump(out, sys.stdout)


main()
