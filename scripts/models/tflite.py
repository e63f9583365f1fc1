"""Minimal reader of the TFLite flatbuffer (schema.fbs field order), enough for the Face Landmarker models."""

from dataclasses import dataclass, field

import flatbuffers
import numpy as np
from flatbuffers import number_types as N
from flatbuffers.table import Table

# BuiltinOperator codes used by the converter (tensorflow/lite/schema/schema.fbs).
OP_NAMES = {
    0: "ADD", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D", 6: "DEQUANTIZE", 14: "LOGISTIC",
    17: "MAX_POOL_2D", 18: "MUL", 19: "RELU", 21: "RELU6", 22: "RESHAPE", 28: "TANH", 34: "PAD",
    39: "TRANSPOSE", 40: "MEAN", 41: "SUB", 42: "DIV", 45: "STRIDED_SLICE", 54: "PRELU", 59: "NEG",
    74: "SUM", 75: "SQRT", 76: "RSQRT", 99: "SQUARED_DIFFERENCE",
}
# TensorType → numpy dtype.
DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 6: np.bool_, 9: np.int8}


def _slot(i):
    return 4 + 2 * i


class T:
    """A flatbuffer table with typed field access by field index."""

    def __init__(self, table):
        self.t = table

    def has(self, i):
        return self.t.Offset(_slot(i)) != 0

    def scalar(self, i, flags, default=0):
        o = self.t.Offset(_slot(i))
        return self.t.Get(flags, o + self.t.Pos) if o else default

    def int(self, i, default=0):
        return self.scalar(i, N.Int32Flags, default)

    def uint(self, i, default=0):
        return self.scalar(i, N.Uint32Flags, default)

    def byte(self, i, default=0):
        return self.scalar(i, N.Int8Flags, default)

    def bool(self, i, default=False):
        return bool(self.scalar(i, N.BoolFlags, default))

    def float(self, i, default=0.0):
        return self.scalar(i, N.Float32Flags, default)

    def string(self, i):
        o = self.t.Offset(_slot(i))
        return self.t.String(o + self.t.Pos).decode() if o else ""

    def table(self, i):
        o = self.t.Offset(_slot(i))
        return T(Table(self.t.Bytes, self.t.Indirect(o + self.t.Pos))) if o else None

    def tables(self, i):
        o = self.t.Offset(_slot(i))
        if not o:
            return []
        n, start = self.t.VectorLen(o), self.t.Vector(o)
        return [T(Table(self.t.Bytes, self.t.Indirect(start + 4 * k))) for k in range(n)]

    def array(self, i, dtype):
        o = self.t.Offset(_slot(i))
        if not o:
            return np.zeros(0, dtype)
        n, start = self.t.VectorLen(o), self.t.Vector(o)
        size = n * np.dtype(dtype).itemsize
        return np.frombuffer(bytes(self.t.Bytes[start : start + size]), dtype=np.dtype(dtype).newbyteorder("<"))


@dataclass
class Tensor:
    index: int
    name: str
    shape: list
    dtype: type
    data: np.ndarray = None  # constant value (None for activations)


@dataclass
class Op:
    code: int
    name: str
    inputs: list  # tensor indices, -1 = optional input absent
    outputs: list
    options: T = None


@dataclass
class Graph:
    tensors: list
    inputs: list
    outputs: list
    ops: list = field(default_factory=list)


def read_model(data: bytes) -> Graph:
    buf = bytearray(data)
    model = T(Table(buf, flatbuffers.encode.Get(N.UOffsetTFlags.packer_type, buf, 0)))
    # OperatorCode: deprecated_builtin_code (0, byte), custom_code (1), version (2), builtin_code (3, int).
    codes = []
    for c in model.tables(1):
        if c.has(1):
            raise ValueError(f"custom op {c.string(1)!r} is not supported")
        codes.append(max(c.byte(0), c.int(3)))
    subgraphs = model.tables(2)
    if len(subgraphs) != 1:
        raise ValueError(f"expected one subgraph, found {len(subgraphs)}")
    buffers = [b.array(0, np.uint8) for b in model.tables(4)]
    sg = subgraphs[0]
    tensors = []
    # Tensor: shape (0), type (1), buffer (2), name (3), quantization (4).
    for k, t in enumerate(sg.tables(0)):
        ttype = t.byte(1)
        if ttype not in DTYPES:
            raise ValueError(f"tensor {t.string(3)!r}: unsupported type {ttype}")
        q = t.table(4)
        # QuantizationParameters: min (0), max (1), scale (2), zero_point (3).
        if q is not None and (q.array(2, np.float32).size or q.array(3, np.int64).size):
            raise ValueError(f"tensor {t.string(3)!r} is quantized (scale/zero point); only float16 is supported")
        shape = [int(v) for v in t.array(0, np.int32)]
        raw = buffers[t.uint(2)] if t.uint(2) < len(buffers) else np.zeros(0, np.uint8)
        data = None
        if raw.size:
            data = np.frombuffer(raw.tobytes(), dtype=np.dtype(DTYPES[ttype]).newbyteorder("<")).reshape(shape)
            data = data.astype(DTYPES[ttype])
        tensors.append(Tensor(k, t.string(3), shape, DTYPES[ttype], data))
    graph = Graph(tensors, [int(v) for v in sg.array(1, np.int32)], [int(v) for v in sg.array(2, np.int32)])
    # Operator: opcode_index (0), inputs (1), outputs (2), builtin_options_type (3), builtin_options (4).
    for op in sg.tables(3):
        code = codes[op.uint(0)]
        if code not in OP_NAMES:
            raise ValueError(f"unsupported TFLite op: builtin code {code}")
        graph.ops.append(
            Op(code, OP_NAMES[code], [int(v) for v in op.array(1, np.int32)], [int(v) for v in op.array(2, np.int32)],
               op.table(4))
        )
    return graph
