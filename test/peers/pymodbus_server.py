"""An independent Modbus peer for integration tests: pymodbus (Debian's python3-pymodbus, 3.0.x).

Usage: python3 pymodbus_server.py '<json spec>'
       python3 pymodbus_server.py --check      # exits 0 when every import this script needs works

    {
      "transport": "tcp", "host": "127.0.0.1", "port": 0,            # 0 = any free port
      # or "transport": "rtu-over-tcp" (same fields): RTU frames on a TCP stream
      # or "transport": "rtu", "serialPort": "/dev/pts/N", "baudRate": 19200,
      #    "parity": "N", "dataBits": 8, "stopBits": 1
      "units": {
        "1": {
          "holding":  [{"address": 0, "type": "float32", "order": "CDAB", "value": 21.5},
                       {"address": 9, "raw": [1, 2, 3]}],
          "input":    [...],
          "coils":    [{"address": 0, "bits": [true, false]}],
          "discrete": [...]
        }
      }
    }

Typed values are packed here with Python's struct module, independently of the gateway's codec,
so a test that decodes them correctly is a real cross-check. Only the addresses given exist:
anything else answers ILLEGAL DATA ADDRESS.

Prints one JSON line {"ready": true, "port": N} when serving; exits when stdin closes, so it never
outlives the test that started it.
"""

import asyncio
import json
import logging
import os
import struct
import sys
import threading

from pymodbus.datastore import (
    ModbusServerContext,
    ModbusSlaveContext,
    ModbusSparseDataBlock,
)
from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer
from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer

FORMATS = {
    "int16": ">h",
    "uint16": ">H",
    "int32": ">i",
    "uint32": ">I",
    "int64": ">q",
    "uint64": ">Q",
    "float32": ">f",
    "float64": ">d",
}


def to_words(data, order):
    """Big-endian bytes of a value -> registers in the given byte order.

    Letters name the value's bytes most significant first: CDAB swaps 16-bit words (for 64-bit
    values, reverses all four), BADC swaps bytes inside each word, DCBA does both.
    """
    words = [data[i : i + 2] for i in range(0, len(data), 2)]
    if order in ("CDAB", "DCBA"):
        words.reverse()
    if order in ("BADC", "DCBA"):
        words = [w[::-1] for w in words]
    return [struct.unpack(">H", w)[0] for w in words]


def pack_entry(entry):
    if "raw" in entry:
        return [int(v) & 0xFFFF for v in entry["raw"]]
    kind = entry["type"]
    order = entry.get("order", "ABCD")
    if kind == "string":
        length = entry["length"]
        text = entry["value"].encode("latin-1").ljust(length + (length % 2), b"\0")
        # strings are byte sequences: only the byte swap inside a word applies
        swap = order in ("BADC", "DCBA")
        words = [text[i : i + 2] for i in range(0, len(text), 2)]
        return [struct.unpack(">H", w[::-1] if swap else w)[0] for w in words]
    return to_words(struct.pack(FORMATS[kind], entry["value"]), order)


def register_block(entries):
    values = {}
    for entry in entries or []:
        for i, word in enumerate(pack_entry(entry)):
            values[entry["address"] + i] = word
    return ModbusSparseDataBlock(values)


def bit_block(entries):
    values = {}
    for entry in entries or []:
        for i, bit in enumerate(entry["bits"]):
            values[entry["address"] + i] = bool(bit)
    return ModbusSparseDataBlock(values)


def build_context(units):
    slaves = {}
    for unit, tables in units.items():
        slaves[int(unit)] = ModbusSlaveContext(
            hr=register_block(tables.get("holding")),
            ir=register_block(tables.get("input")),
            co=bit_block(tables.get("coils")),
            di=bit_block(tables.get("discrete")),
            zero_mode=True,
        )
    return ModbusServerContext(slaves=slaves, single=False)


def exit_when_stdin_closes():
    def watch():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


async def serve(spec):
    context = build_context(spec["units"])
    if spec["transport"] in ("tcp", "rtu-over-tcp"):
        # rtu-over-tcp: raw RTU frames (unit id, PDU, CRC) on a TCP stream, as serial servers send them
        server = ModbusTcpServer(
            context,
            framer=ModbusSocketFramer if spec["transport"] == "tcp" else ModbusRtuFramer,
            address=(spec.get("host", "127.0.0.1"), spec.get("port", 0)),
            allow_reuse_address=True,
        )
        task = asyncio.create_task(server.serve_forever())
        await server.serving
        port = server.server.sockets[0].getsockname()[1]
        print(json.dumps({"ready": True, "port": port}), flush=True)
        await task
    else:
        server = ModbusSerialServer(
            context,
            framer=ModbusRtuFramer,
            port=spec["serialPort"],
            baudrate=spec.get("baudRate", 19200),
            parity=spec.get("parity", "N"),
            bytesize=spec.get("dataBits", 8),
            stopbits=spec.get("stopBits", 1),
        )
        await server.start()
        print(json.dumps({"ready": True, "port": None}), flush=True)
        await server.serve_forever()


def main():
    # `--check`: the imports above ran (pymodbus.server needs serial_asyncio, only a Recommends of
    # python3-pymodbus), so the peer is usable. The test helpers ask this before starting it.
    if sys.argv[1:] == ["--check"]:
        print(json.dumps({"ok": True}))
        return
    logging.basicConfig(level=logging.CRITICAL)
    exit_when_stdin_closes()
    asyncio.run(serve(json.loads(sys.argv[1])))


if __name__ == "__main__":
    main()
