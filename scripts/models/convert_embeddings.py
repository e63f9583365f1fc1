"""TFJS face embedding models in node_modules → ONNX (models/embeddings/).

  faceres.onnx         @vladmandic/human models/faceres.json + .bin (TFJS graph model; only the 1024-d embedding)
  faceapi-resnet.onnx  @vladmandic/face-api model/face_recognition_model (weights manifest; the network is rebuilt
                       from face-api's FaceRecognitionNet code: ResNet-34-like, dlib lineage)

Both graphs: input `image` float32 [1, S, S, 3] (NHWC, RGB 0..255, an eye-aligned crop), output `embedding`
float32 [1, D]. Convolutions run NCHW inside (one transpose after the input). Weights keep the source's storage
(float16 for faceres, uint8 + scale/min for face-api) and are dequantised by Cast/Mul/Add nodes that onnxruntime
folds into constants at load, so the files stay as small as the originals.

Usage: python3 convert_embeddings.py <repo root> [--check]   (--check: convert into a temp dir and compare)
"""

import base64
import hashlib
import json
import os
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
NHWC_TO_NCHW = [0, 3, 1, 2]
OUT_DIR = os.path.join("models", "embeddings")


class ConvertError(Exception):
    pass


def same_pads(size, kernel, stride):
    """TF SAME padding for one axis: the odd pixel goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def conv_out(size, kernel, stride, pads):
    return (size + pads[0] + pads[1] - kernel) // stride + 1


def read_weights(manifest, base_dir):
    """TFJS weights manifest → {name: (stored array, dequantisation)}; dequantisation None, 'float16' or (scale, min)."""
    weights = {}
    for group in manifest:
        data = b"".join(open(os.path.join(base_dir, p), "rb").read() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            shape = [int(d) for d in spec["shape"]]
            count = int(np.prod(shape)) if shape else 1
            q = spec.get("quantization")
            if q is None:
                dtype = {"float32": np.float32, "int32": np.int32}[spec["dtype"]]
                deq = None
            elif q["dtype"] == "float16":
                dtype, deq = np.float16, "float16"
            elif q["dtype"] == "uint8":
                dtype, deq = np.uint8, (np.float32(q["scale"]), np.float32(q["min"]))
            else:
                raise ConvertError(f"{spec['name']}: unsupported quantization {q['dtype']}")
            size = count * np.dtype(dtype).itemsize
            array = np.frombuffer(data[offset : offset + size], dtype=dtype).reshape(shape)
            offset += size
            weights[spec["name"]] = (array, deq)
        if offset != len(data):
            raise ConvertError(f"weights of {group['paths']} use {offset} of {len(data)} bytes")
    return weights


class Graph:
    """An ONNX graph under construction; values are names, 4-D activations NCHW."""

    def __init__(self, weights):
        self.weights = weights
        self.nodes = []
        self.initializers = []
        self.count = 0

    def fresh(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def node(self, op, inputs, hint, **attrs):
        out = self.fresh(hint)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def constant(self, array, hint):
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def weight(self, name, layout=None):
        """A float32 value of weight `name`, reshaped/transposed by `layout(array)` on its stored (quantised) form."""
        if name not in self.weights:
            raise ConvertError(f"missing weight {name}")
        array, deq = self.weights[name]
        stored = self.constant(layout(array) if layout else array, name.replace("/", "_"))
        if deq is None:
            return stored
        value = self.node("Cast", [stored], "dequant", to=TensorProto.FLOAT)
        if deq == "float16":
            return value
        scale, minimum = deq
        value = self.node("Mul", [value, self.constant(scale, "scale")], "dequant")
        return self.node("Add", [value, self.constant(minimum, "min")], "dequant")

    def model(self, input_size, dims, doc):
        graph = helper.make_graph(
            self.nodes,
            "embedding",
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, input_size, input_size, 3])],
            [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, dims])],
            self.initializers,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="vision-service")
        model.ir_version = 7
        model.doc_string = doc
        onnx.checker.check_model(model)
        return model


HWIO_TO_OIHW = lambda a: a.transpose(3, 2, 0, 1)  # noqa: E731
PER_CHANNEL = lambda a: a.reshape(-1, 1, 1)  # noqa: E731


def depthwise_layout(a):
    """TF depthwise [H, W, C, M] → ONNX grouped conv [C·M, 1, H, W]."""
    h, w, c, m = a.shape
    return a.transpose(2, 3, 0, 1).reshape(c * m, 1, h, w)


# ---- faceres: a TFJS graph model -----------------------------------------------------------------------------


def attr_list(node, key):
    return [int(i) for i in node["attr"][key]["list"].get("i", [])]


def attr_str(node, key):
    return base64.b64decode(node["attr"][key]["s"]).decode()


def convert_graph_model(model_json, base_dir, output, doc):
    """Emits only what `output` depends on, lazily from the output back; each value is (onnx name, shape NCHW)."""
    nodes = {n["name"]: n for n in model_json["modelTopology"]["node"]}
    g = Graph(read_weights(model_json["weightsManifest"], base_dir))
    done = {}

    def const_array(name):
        node = nodes[name.split(":")[0]]
        return g.weights[node["name"]][0] if node["op"] == "Const" else None

    def scalar(name):
        a = const_array(name)
        return None if a is None or a.size != 1 else float(a.astype(np.float32).reshape(()))

    def value(name):
        name = name.split(":")[0]
        if name not in done:
            done[name] = emit(nodes[name])
        return done[name]

    def emit(n):
        op, ins = n["op"], n.get("input", [])
        if op == "Placeholder":
            dims = [int(d["size"]) for d in n["attr"]["shape"]["shape"]["dim"]]
            return g.node("Transpose", ["image"], "nchw", perm=NHWC_TO_NCHW), [1, dims[3], dims[1], dims[2]]
        if op in ("Conv2D", "DepthwiseConv2dNative"):
            x, shape = value(ins[0])
            kernel = g.weights[ins[1]][0]
            kh, kw = kernel.shape[:2]
            strides, dilations = attr_list(n, "strides"), attr_list(n, "dilations")
            if attr_str(n, "data_format") != "NHWC" or dilations != [1, 1, 1, 1]:
                raise ConvertError(f"{n['name']}: only NHWC, undilated convolutions")
            padding = attr_str(n, "padding")
            ph = same_pads(shape[2], kh, strides[1]) if padding == "SAME" else (0, 0)
            pw = same_pads(shape[3], kw, strides[2]) if padding == "SAME" else (0, 0)
            depthwise = op == "DepthwiseConv2dNative"
            w = g.weight(ins[1], depthwise_layout if depthwise else HWIO_TO_OIHW)
            channels = shape[1] * kernel.shape[3] if depthwise else kernel.shape[3]
            attrs = dict(kernel_shape=[kh, kw], strides=strides[1:3], pads=[ph[0], pw[0], ph[1], pw[1]])
            if depthwise:
                attrs["group"] = shape[1]
            out = g.node("Conv", [x, w], "conv", **attrs)
            return out, [1, channels, conv_out(shape[2], kh, strides[1], ph), conv_out(shape[3], kw, strides[2], pw)]
        if op in ("Add", "AddV2", "Mul"):
            onnx_op = "Mul" if op == "Mul" else "Add"
            a, shape = value(ins[0])
            c = const_array(ins[1])
            if c is None:
                return g.node(onnx_op, [a, value(ins[1])[0]], onnx_op.lower()), shape
            b = g.weight(ins[1], PER_CHANNEL if c.ndim == 1 else None)
            return g.node(onnx_op, [a, b], onnx_op.lower()), shape
        if op == "Relu":
            x, shape = value(ins[0])
            return g.node("Relu", [x], "relu"), shape
        if op == "Maximum" and nodes[ins[0]]["op"] == "Minimum" and nodes[nodes[ins[0]]["input"][0]]["op"] == "Relu":
            # Keras ReLU6: max(min(relu(y), hi), lo) == clip(y, max(lo, 0), hi); one node instead of three.
            minimum = nodes[ins[0]]
            lo, hi = scalar(ins[1]), scalar(minimum["input"][1])
            if lo is None or hi is None or max(lo, 0) > hi:
                raise ConvertError(f"{n['name']}: clip bounds are not scalar constants")
            x, shape = value(nodes[minimum["input"][0]]["input"][0])
            bounds = [g.constant(np.float32(max(lo, 0.0)), "lo"), g.constant(np.float32(hi), "hi")]
            return g.node("Clip", [x, *bounds], "clip"), shape
        if op == "Mean":
            x, shape = value(ins[0])
            axes = [int(a) for a in np.asarray(const_array(ins[1])).reshape(-1)]
            keep = n["attr"].get("keep_dims", {}).get("b", False)
            if sorted(axes) != [1, 2] or keep:
                raise ConvertError(f"{n['name']}: only a global spatial mean")
            return g.node("ReduceMean", [x], "mean", axes=[2, 3], keepdims=0), shape[:2]
        raise ConvertError(f"{n['name']}: unsupported op {op}")

    out, shape = value(output)
    g.nodes.append(helper.make_node("Identity", [out], ["embedding"], name="embedding"))
    size = int(nodes["input_1"]["attr"]["shape"]["shape"]["dim"][1]["size"])
    return g.model(size, shape[1], doc)


# ---- face-api's FaceRecognitionNet: weights only, the network as face-api's code builds it ---------------------


def convert_faceapi(manifest, base_dir, doc):
    g = Graph(read_weights(manifest, base_dir))
    size = 150
    # normalize(x, meanRgb) / 255
    x = g.node("Transpose", ["image"], "nchw", perm=NHWC_TO_NCHW)
    x = g.node("Sub", [x, g.constant(np.array([122.782, 117.001, 104.298], np.float32).reshape(3, 1, 1), "mean_rgb")], "norm")
    x = g.node("Div", [x, g.constant(np.float32(255), "255")], "norm")

    def conv_layer(x, shape, prefix, stride, relu, padding):
        kernel = g.weights[f"{prefix}/conv/filters"][0]
        k = kernel.shape[0]
        pads = same_pads(shape[2], k, stride) if padding == "same" else (0, 0)
        w = g.weight(f"{prefix}/conv/filters", HWIO_TO_OIHW)
        out = g.node("Conv", [x, w, g.weight(f"{prefix}/conv/bias")], "conv", kernel_shape=[k, k], strides=[stride, stride], pads=[pads[0], pads[0], pads[1], pads[1]])
        out = g.node("Mul", [out, g.weight(f"{prefix}/scale/weights", PER_CHANNEL)], "scale")
        out = g.node("Add", [out, g.weight(f"{prefix}/scale/biases", PER_CHANNEL)], "scale")
        side = conv_out(shape[2], k, stride, pads)
        return (g.node("Relu", [out], "relu") if relu else out), [1, kernel.shape[3], side, side]

    def residual(x, shape, prefix):
        out, s = conv_layer(x, shape, f"{prefix}/conv1", 1, True, "same")
        out, s = conv_layer(out, s, f"{prefix}/conv2", 1, False, "same")
        return g.node("Relu", [g.node("Add", [out, x], "residual")], "relu"), s

    def residual_down(x, shape, prefix):
        out, s = conv_layer(x, shape, f"{prefix}/conv1", 2, True, "valid")
        out, s = conv_layer(out, s, f"{prefix}/conv2", 1, False, "same")
        pooled = g.node("AveragePool", [x], "pool", kernel_shape=[2, 2], strides=[2, 2])
        pooled_side = shape[2] // 2
        if pooled_side != s[2]:
            # face-api appends a zero row and column to the conv branch.
            extra = pooled_side - s[2]
            out = g.node("Pad", [out, g.constant(np.array([0, 0, 0, 0, 0, 0, extra, extra], np.int64), "pads")], "pad")
            s = [1, s[1], pooled_side, pooled_side]
        if shape[1] != s[1]:
            # ...and zero channels to the shortcut.
            pads = np.array([0, 0, 0, 0, 0, s[1] - shape[1], 0, 0], np.int64)
            pooled = g.node("Pad", [pooled, g.constant(pads, "pads")], "pad")
        return g.node("Relu", [g.node("Add", [pooled, out], "residual")], "relu"), s

    x, s = conv_layer(x, [1, 3, size, size], "conv32_down", 2, True, "valid")
    x = g.node("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2])
    s = [1, s[1], (s[2] - 3) // 2 + 1, (s[3] - 3) // 2 + 1]
    for prefix in ["conv32_1", "conv32_2", "conv32_3", "conv64_down", "conv64_1", "conv64_2", "conv64_3", "conv128_down", "conv128_1", "conv128_2", "conv256_down", "conv256_1", "conv256_2", "conv256_down_out"]:
        x, s = (residual_down if prefix.endswith("down") or prefix.endswith("down_out") else residual)(x, s, prefix)
    x = g.node("ReduceMean", [x], "mean", axes=[2, 3], keepdims=0)
    fc = g.weights["fc"][0]
    g.nodes.append(helper.make_node("MatMul", [x, g.weight("fc")], ["embedding"], name="embedding"))
    return g.model(size, fc.shape[1], doc)


# ---- files ---------------------------------------------------------------------------------------------------


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def package_version(root, package):
    return json.load(open(os.path.join(root, "node_modules", package, "package.json")))["version"]


def sources(root):
    human = os.path.join(root, "node_modules", "@vladmandic", "human", "models")
    faceapi = os.path.join(root, "node_modules", "@vladmandic", "face-api", "model")
    return [
        {
            "onnx": "faceres.onnx",
            "package": "@vladmandic/human",
            "files": [os.path.join(human, "faceres.json"), os.path.join(human, "faceres.bin")],
            "build": lambda: convert_graph_model(
                json.load(open(os.path.join(human, "faceres.json"))),
                human,
                "global_pooling/Mean",
                "faceres (HSE-FaceRes via @vladmandic/human, MIT): embedding = global_pooling/Mean, 1024-d",
            ),
        },
        {
            "onnx": "faceapi-resnet.onnx",
            "package": "@vladmandic/face-api",
            "files": [
                os.path.join(faceapi, "face_recognition_model-weights_manifest.json"),
                os.path.join(faceapi, "face_recognition_model.bin"),
            ],
            "build": lambda: convert_faceapi(
                json.load(open(os.path.join(faceapi, "face_recognition_model-weights_manifest.json"))),
                faceapi,
                "face-api FaceRecognitionNet (dlib ResNet lineage via @vladmandic/face-api, MIT): 128-d",
            ),
        },
    ]


def notice(root, rows):
    lines = [
        "# Converted models",
        "",
        "Generated by `npm run models:convert` (scripts/models/convert_embeddings.py, Debian python3-onnx",
        "1.12 + python3-numpy) from the TFJS models in `node_modules`; re-running it reproduces these files byte for",
        "byte (`npm run models:convert -- --check` verifies). Weights are the sources' own values, kept in",
        "their stored precision (float16 / uint8 + scale) and dequantised by graph nodes; no retraining, no pruning",
        "beyond the outputs not needed (faceres' age and gender heads).",
        "",
        "Input `image` float32 [1, S, S, 3] NHWC RGB 0..255 (an eye-aligned crop, see src/face-embedding/), output",
        "`embedding` float32 [1, D] (compare with the cosine distance).",
        "",
        "| file | from | sha256 of the source files | sha256 of the .onnx |",
        "| ---- | ---- | -------------------------- | ------------------- |",
    ]
    for row in rows:
        src = "<br>".join(f"`{os.path.basename(f)}` {sha256(f)}" for f in row["files"])
        lines.append(f"| {row['onnx']} | {row['package']} {package_version(root, row['package'])} | {src} | {row['sha256']} |")
    lines += [
        "",
        "Licences: both packages are MIT (Vladimir Mandic), copied here as LICENSE-human and LICENSE-face-api.",
        "Origins of the weights: faceres credits HSE-FaceRes (github.com/HSE-asavchenko/HSE_FaceRec_tf); face-api's",
        "weights come from face-api.js (justadudewhohacks, MIT), a port of dlib's dlib_face_recognition_resnet_model_v1,",
        "which Davis King released into the public domain (github.com/davisking/dlib-models).",
        "",
    ]
    return "\n".join(lines)


def convert(root, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rows = []
    for row in sources(root):
        path = os.path.join(out_dir, row["onnx"])
        onnx.save(row["build"](), path)
        rows.append({**row, "sha256": sha256(path)})
        print(f"{path}: {os.path.getsize(path)} bytes, sha256 {rows[-1]['sha256']}")
    open(os.path.join(out_dir, "CONVERTED.md"), "w").write(notice(root, rows))
    for package, name in [("human", "LICENSE-human"), ("face-api", "LICENSE-face-api")]:
        text = open(os.path.join(root, "node_modules", "@vladmandic", package, "LICENSE")).read()
        open(os.path.join(out_dir, name), "w").write(text)
    return rows


def main():
    args = sys.argv[1:]
    root = os.path.abspath(next((a for a in args if not a.startswith("--")), "."))
    if "--check" not in args:
        convert(root, os.path.join(root, OUT_DIR))
        return
    with tempfile.TemporaryDirectory() as tmp:
        convert(root, tmp)
        committed = lambda f: open(os.path.join(root, OUT_DIR, f), "rb").read() if os.path.exists(os.path.join(root, OUT_DIR, f)) else None  # noqa: E731
        differ = [f for f in sorted(os.listdir(tmp)) if open(os.path.join(tmp, f), "rb").read() != committed(f)]
    if differ:
        sys.exit(f"differ from the committed files: {', '.join(differ)}")
    print("committed files reproduced byte for byte")


if __name__ == "__main__":
    try:
        main()
    except ConvertError as error:
        sys.exit(f"convert_embeddings: {error}")
