"""geometry_pipeline_metadata_landmarks.binarypb (MediaPipe face_geometry GeometryPipelineMetadata) → JSON.

Schema (mediapipe/modules/face_geometry/protos): GeometryPipelineMetadata { canonical_mesh: Mesh3d = 1;
procrustes_landmark_basis: repeated WeightedLandmarkRef = 2; input_source: enum = 3 }; Mesh3d { vertex_type = 1
(0 = VERTEX_PT: x, y, z, u, v per vertex); primitive_type = 2 (0 = TRIANGLE); vertex_buffer: repeated float = 3;
index_buffer: repeated uint32 = 4 }; WeightedLandmarkRef { landmark_id: uint32 = 1; weight: float = 2 }.
"""

import json
import struct

import numpy as np
from tflite import ConvertError

INPUT_SOURCES = {0: "DEFAULT", 1: "FACE_LANDMARK_PIPELINE", 2: "FACE_DETECTION_PIPELINE"}


def _varint(buf, pos):
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _fields(buf):
    """(field number, wire type, value) of one message; length-delimited values as bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + size], pos + size
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            raise ConvertError(f"geometry metadata: unsupported protobuf wire type {wire}")
        yield number, wire, value


def _floats(wire, value):
    return list(np.frombuffer(value, "<f4")) if wire == 2 else [np.frombuffer(value, "<f4")[0]]


def _uints(wire, value):
    if wire == 0:
        return [value]
    out, pos = [], 0
    while pos < len(value):
        v, pos = _varint(value, pos)
        out.append(v)
    return out


def _num(x):
    """Shortest decimal that reads back as the same float32."""
    return float(np.format_float_positional(np.float32(x), unique=True, trim="-"))


def geometry_json(data: bytes) -> bytes:
    input_source, vertex_type, primitive_type, vertices, indices, basis = 0, 0, 0, [], [], []
    for number, wire, value in _fields(data):
        if number == 1:
            for n, w, v in _fields(value):
                if n == 1:
                    vertex_type = v
                elif n == 2:
                    primitive_type = v
                elif n == 3:
                    vertices += _floats(w, v)
                elif n == 4:
                    indices += _uints(w, v)
        elif number == 2:
            ref = {"landmarkId": 0, "weight": 0.0}
            for n, w, v in _fields(value):
                if n == 1:
                    ref["landmarkId"] = v
                elif n == 2:
                    ref["weight"] = _num(struct.unpack("<f", v)[0])
            basis.append(ref)
        elif number == 3:
            input_source = value
    if vertex_type != 0 or primitive_type != 0 or len(vertices) % 5 or len(indices) % 3:
        raise ConvertError("geometry metadata: expected VERTEX_PT triangles")
    doc = {
        "source": "geometry_pipeline_metadata_landmarks.binarypb in face_landmarker.task (Apache-2.0, Google MediaPipe)",
        "inputSource": INPUT_SOURCES.get(input_source, str(input_source)),
        "canonicalMesh": {
            "vertices": [[_num(v) for v in vertices[k : k + 3]] for k in range(0, len(vertices), 5)],
            "uv": [[_num(v) for v in vertices[k + 3 : k + 5]] for k in range(0, len(vertices), 5)],
            "triangles": [indices[k : k + 3] for k in range(0, len(indices), 3)],
        },
        "procrustesLandmarkBasis": basis,
    }
    return (json.dumps(doc, separators=(",", ":")) + "\n").encode()
