"""MiniFASNet ONNX exports (the torch.onnx files of ../shared/models/minifasnet) → models/minifasnet, rewritten for
onnxruntime's CPU kernels with the same function and weights:

- every convolution's channel count padded with zeros to a multiple of 16: onnxruntime runs a convolution in its
  blocked NCHWc layout (16 channels a block with AVX-512, 8 with AVX2) only when the channels divide by the block;
  the pruned nets have 13, 26, 52, 77, 103, 154, 231 and 308, so most layers ran the plain kernels with layout
  reorders around them (twice the time). Zero weights and biases keep the padded channels at 0, the next layer
  ignores them.
- PRelu as α·x + relu((1−α)·x) in 1×1 depthwise convolutions (onnx_graph.prelu_as_convs; every α here is < 1):
  onnxruntime's PRelu kernel has no NCHWc form (reorders around each of the 33) and is slower.

usage: convert_pad.py [--check] [--source DIR] [--out DIR]
  --check   rewrite in memory and compare byte for byte with the committed files
"""

import argparse
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model_files import sha256, write_or_check  # noqa: E402
from onnx_graph import prelu_as_convs  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT_DIR = os.path.join(ROOT, "models", "minifasnet")
SOURCE_DIR = os.path.join(ROOT, "..", "shared", "models", "minifasnet")
# The exports as shipped until this rewrite (their conversion: models/minifasnet/PROVENANCE.md).
SOURCES = {
    "2.7_80x80_MiniFASNetV2.onnx": "75c556c30ebdc2a99066945051f74c9443a63fa1ae1984d8a0e0c93f8d23caf3",
    "4_0_0_80x80_MiniFASNetV1SE.onnx": "4330a0394bde2d42f00a02f81d00866a5d7098781eca362eeb39307f2e8161a6",
}
BLOCK = 16
# Ops a padded tensor may pass through unchanged (elementwise or per channel); anything else is refused.
CHANNELWISE = {"Relu", "Sigmoid", "GlobalAveragePool", "Add", "Mul"}


class RewriteError(Exception):
    pass


def padded(channels):
    return -(-channels // BLOCK) * BLOCK


class Rewriter:
    def __init__(self, model, name):
        self.model = model
        self.name = name
        self.weights = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
        self.channels = {}  # value name → padded channel count, for values wider than the original network's
        self.nodes = []
        self.count = 0

    def constant(self, array):
        self.count += 1
        name = f"pad_w_{self.count}"
        self.weights[name] = np.ascontiguousarray(array, np.float32)
        return name

    def node(self, op_type, inputs, attrs=None):
        self.count += 1
        out = f"pad_{op_type.lower()}_{self.count}"
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **(attrs or {})))
        return out

    def conv(self, n):
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        w = self.weights[n.input[1]]
        b = self.weights[n.input[2]] if len(n.input) > 2 else np.zeros(w.shape[0], np.float32)
        group = attrs.get("group", 1)
        wide_in = self.channels.get(n.input[0])
        if group > 1:
            if group != w.shape[0] or w.shape[1] != 1:
                raise RewriteError(f"{self.name}: {n.name} is a grouped, not depthwise, convolution")
            out_c = wide_in or group
            attrs["group"] = out_c
            in_c = 1
        else:
            out_c = padded(w.shape[0])
            in_c = wide_in or w.shape[1]
        wide = np.zeros((out_c, in_c) + w.shape[2:], np.float32)
        wide[: w.shape[0], : w.shape[1]] = w
        bias = np.zeros(out_c, np.float32)
        bias[: b.size] = b
        self.nodes.append(helper.make_node("Conv", [n.input[0], self.constant(wide), self.constant(bias)],
                                           list(n.output), name=n.name, **attrs))
        if out_c != w.shape[0]:
            self.channels[n.output[0]] = out_c

    def prelu(self, n, rename):
        slope = self.weights[n.input[1]].reshape(-1)
        wide = np.zeros(self.channels.get(n.input[0], slope.size), np.float32)
        wide[: slope.size] = slope
        rename[n.output[0]] = prelu_as_convs(self.node, self.constant, n.input[0], wide, fuse_relu=True)
        if n.input[0] in self.channels:
            self.channels[rename[n.output[0]]] = wide.size

    def rewrite(self, doc):
        rename = {}
        for original in self.model.graph.node:
            n = onnx.NodeProto()
            n.CopyFrom(original)
            n.input[:] = [rename.get(v, v) for v in n.input]
            wide = [self.channels[v] for v in n.input if v in self.channels]
            if n.op_type == "Conv":
                self.conv(n)
            elif n.op_type == "PRelu":
                self.prelu(n, rename)
            elif wide and n.op_type in CHANNELWISE:
                if n.op_type in ("Add", "Mul") and len(wide) != 2:
                    raise RewriteError(f"{self.name}: {n.name} mixes a padded and an unpadded value")
                self.nodes.append(n)
                self.channels[n.output[0]] = wide[0]
            elif wide:
                raise RewriteError(f"{self.name}: padded channels reach {n.op_type} {n.name}")
            else:
                self.nodes.append(n)
        graph = self.model.graph
        used = {v for n in self.nodes for v in n.input}
        del graph.node[:]
        graph.node.extend(self.nodes)
        del graph.initializer[:]
        graph.initializer.extend(numpy_helper.from_array(v, k) for k, v in self.weights.items() if k in used)
        self.model.producer_name = "vision-service scripts/models/convert_pad.py"
        self.model.producer_version = ""
        self.model.doc_string = doc
        onnx.checker.check_model(self.model, full_check=True)
        return self.model


def convert(source_dir):
    files = {}
    for name, expected in SOURCES.items():
        path = os.path.join(source_dir, name)
        with open(path, "rb") as f:
            data = f.read()
        if sha256(data) != expected:
            raise RewriteError(f"{path} has sha256 {sha256(data)}, expected {expected}")
        doc = (f"{name} (sha256 {expected}), Silent-Face-Anti-Spoofing by Minivision, Apache-2.0; channels padded to "
               f"multiples of {BLOCK} and PRelu rewritten by vision-service scripts/models/convert_pad.py")
        files[name] = Rewriter(onnx.load_from_string(data), name).rewrite(doc).SerializeToString()
    files["SHA256SUMS"] = "".join(f"{sha256(files[n])}  {n}\n" for n in SOURCES).encode()
    return files


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--source", default=SOURCE_DIR)
    parser.add_argument("--out", default=OUT_DIR)
    args = parser.parse_args()
    try:
        files = convert(args.source)
    except (OSError, RewriteError) as e:
        print(f"models:convert-pad: {e}", file=sys.stderr)
        return 1
    return write_or_check(files, OUT_DIR, args.out, args.check, "models:convert-pad")


if __name__ == "__main__":
    sys.exit(main())
