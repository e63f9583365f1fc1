"""Minimal reader of the TFLite flatbuffer (schema.fbs field order), enough for the Face Landmarker models."""

from dataclasses import dataclass, field

import flatbuffers
import numpy as np
from flatbuffers import number_types as N
from flatbuffers.table import Table

# BuiltinOperator names by code (tensorflow/lite/schema/schema.fbs), to name any op the converter lacks.
BUILTIN_NAMES = """ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE EMBEDDING_LOOKUP FLOOR
FULLY_CONNECTED HASHTABLE_LOOKUP L2_NORMALIZATION L2_POOL_2D LOCAL_RESPONSE_NORMALIZATION LOGISTIC LSH_PROJECTION LSTM
MAX_POOL_2D MUL RELU RELU_N1_TO_1 RELU6 RESHAPE RESIZE_BILINEAR RNN SOFTMAX SPACE_TO_DEPTH SVDF TANH CONCAT_EMBEDDINGS
SKIP_GRAM CALL CUSTOM EMBEDDING_LOOKUP_SPARSE PAD UNIDIRECTIONAL_SEQUENCE_RNN GATHER BATCH_TO_SPACE_ND SPACE_TO_BATCH_ND
TRANSPOSE MEAN SUB DIV SQUEEZE UNIDIRECTIONAL_SEQUENCE_LSTM STRIDED_SLICE BIDIRECTIONAL_SEQUENCE_RNN EXP TOPK_V2 SPLIT
LOG_SOFTMAX DELEGATE BIDIRECTIONAL_SEQUENCE_LSTM CAST PRELU MAXIMUM ARG_MAX MINIMUM LESS NEG PADV2 GREATER GREATER_EQUAL
LESS_EQUAL SELECT SLICE SIN TRANSPOSE_CONV SPARSE_TO_DENSE TILE EXPAND_DIMS EQUAL NOT_EQUAL LOG SUM SQRT RSQRT SHAPE POW
ARG_MIN FAKE_QUANT REDUCE_PROD REDUCE_MAX PACK LOGICAL_OR ONE_HOT LOGICAL_AND LOGICAL_NOT UNPACK REDUCE_MIN FLOOR_DIV
REDUCE_ANY SQUARE ZEROS_LIKE FILL FLOOR_MOD RANGE RESIZE_NEAREST_NEIGHBOR LEAKY_RELU SQUARED_DIFFERENCE MIRROR_PAD ABS
SPLIT_V UNIQUE CEIL REVERSE_V2 ADD_N GATHER_ND COS WHERE RANK ELU REVERSE_SEQUENCE MATRIX_DIAG QUANTIZE MATRIX_SET_DIAG
ROUND HARD_SWISH IF WHILE NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5 SCATTER_ND SELECT_V2 DENSIFY SEGMENT_SUM
BATCH_MATMUL PLACEHOLDER_FOR_GREATER_OP_CODES CUMSUM CALL_ONCE BROADCAST_TO RFFT2D CONV_3D IMAG REAL COMPLEX_ABS HASHTABLE
HASHTABLE_FIND HASHTABLE_IMPORT HASHTABLE_SIZE REDUCE_ALL CONV_3D_TRANSPOSE VAR_HANDLE READ_VARIABLE ASSIGN_VARIABLE
BROADCAST_ARGS RANDOM_STANDARD_NORMAL BUCKETIZE RANDOM_UNIFORM MULTINOMIAL GELU DYNAMIC_UPDATE_SLICE""".split()
# TensorType → numpy dtype.
DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 6: np.bool_, 9: np.int8}


class ConvertError(Exception):
    """A model the converter cannot convert faithfully; the message names the model part."""


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
        code = max(c.byte(0), c.int(3))
        codes.append(f"CUSTOM({c.string(1)})" if c.has(1) else BUILTIN_NAMES[code] if code < len(BUILTIN_NAMES) else f"BUILTIN_{code}")
    subgraphs = model.tables(2)
    if len(subgraphs) != 1:
        raise ConvertError(f"expected one subgraph, found {len(subgraphs)}")
    buffers = [b.array(0, np.uint8) for b in model.tables(4)]
    sg = subgraphs[0]
    tensors = []
    # Tensor: shape (0), type (1), buffer (2), name (3), quantization (4).
    for k, t in enumerate(sg.tables(0)):
        ttype = t.byte(1)
        if ttype not in DTYPES:
            raise ConvertError(f"tensor {t.string(3)!r}: unsupported type {ttype}")
        q = t.table(4)
        # QuantizationParameters: min (0), max (1), scale (2), zero_point (3).
        if q is not None and (q.array(2, np.float32).size or q.array(3, np.int64).size):
            raise ConvertError(f"tensor {t.string(3)!r} is quantized (scale/zero point); only float16 is supported")
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
        graph.ops.append(
            Op(codes[op.uint(0)], [int(v) for v in op.array(1, np.int32)], [int(v) for v in op.array(2, np.int32)], op.table(4))
        )
    return graph
