"""TFLite graph → ONNX graph. 4-D activations are kept NCHW inside ("p" form) wherever an op allows it, so
convolutions run without per-layer transposes; 4-D graph inputs (images) are NCHW too, so the caller writes planar
crops and the graph starts without a Transpose; outputs keep the TFLite layout; names are the TFLite ones."""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tflite import ConvertError

OPSET = 17  # LayerNormalization
NHWC_TO_NCHW = [0, 3, 1, 2]
NCHW_TO_NHWC = [0, 2, 3, 1]
# Native (NHWC) axis → axis of the NCHW copy.
AXIS_TO_NCHW = {0: 0, 1: 2, 2: 3, 3: 1}
ONNX_TYPES = {np.float32: TensorProto.FLOAT, np.int32: TensorProto.INT32, np.int64: TensorProto.INT64}
# fused_activation_function: NONE=0, RELU=1, RELU_N1_TO_1=2, RELU6=3, TANH=4.
ACTIVATIONS = {0: None, 1: ("Relu", {}), 2: ("Clip", (-1.0, 1.0)), 3: ("Clip", (0.0, 6.0)), 4: ("Tanh", {})}
UNARY = {"RELU": "Relu", "LOGISTIC": "Sigmoid", "NEG": "Neg", "SQRT": "Sqrt", "TANH": "Tanh"}
BINARY = {"ADD": "Add", "SUB": "Sub", "MUL": "Mul", "DIV": "Div"}


def _compose(outer, inner):
    """transpose(transpose(x, inner), outer) == transpose(x, composed)."""
    return [inner[i] for i in outer]


def _same_pads(size, kernel, stride, dilation):
    """TFLite SAME padding: the odd pixel goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def prelu_as_convs(node, constant, x, slope, fuse_relu=False):
    """PRelu of NCHW `x` with the per-channel `slope` [C] as two 1×1 depthwise convolutions onnxruntime fuses with
    the Relu and the Add. Its PRelu kernel is slower and input dependent (mesh 22 vs 16 ms on a face vs zeros). fuse_relu (every α < 1): α·x + relu((1−α)·x), the Relu fused into
    its convolution, one pass less (MiniFASNet 12 % faster). node(op_type, inputs, attrs) and constant(array) add
    to the graph."""
    channels = slope.size
    slope = slope.reshape(channels, 1, 1, 1)
    attrs = {"group": channels, "kernel_shape": [1, 1]}
    if fuse_relu:
        if not np.all(slope < 1):
            raise ValueError("prelu_as_convs: fuse_relu needs every slope < 1")
        rest = node("Relu", [node("Conv", [x, constant(1 - slope)], attrs)])
        return node("Add", [node("Conv", [x, constant(slope)], attrs), rest])
    # x + sign(1−α)·relu(−|1−α|·x): a 1×1 depthwise convolution with the Relu fused, then a signed one with the
    # Add fused, two passes over x in onnxruntime's blocked layout (mesh, one thread, real face: PRelu kernel
    # 24.4 ms, α·x + (1−α)·relu(x) in three passes 10.6 ms, this form 9.4 ms).
    slope = slope.astype(np.float32)
    negative = node("Relu", [node("Conv", [x, constant(-np.abs(1 - slope))], attrs)])
    sign = np.where(slope > 1, -1, 1).astype(np.float32)
    return node("Add", [x, node("Conv", [negative, constant(sign)], attrs)])


class Converter:
    def __init__(self, graph, name):
        self.g = graph
        self.name = name
        self.nodes = []
        self.initializers = {}  # name → TensorProto
        self.by_content = {}  # (dtype, shape, bytes) → name: one initializer per distinct constant
        self.consts = {t.index: t.data for t in graph.tensors if t.data is not None}
        self.values = {}  # tensor index → {form: onnx value name}
        self.origin = {}  # value name → (source value, perm) for values made by Transpose
        self.count = 0

    # ---- naming and constants -------------------------------------------------------------------------------
    def fresh(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def constant(self, array, hint="const"):
        array = np.ascontiguousarray(array)
        if array.dtype.type not in ONNX_TYPES:
            raise ConvertError(f"{self.name}: constant of dtype {array.dtype} has no ONNX mapping")
        key = (array.dtype.str, array.shape, array.tobytes())
        if key not in self.by_content:
            name = self.fresh(hint)
            self.by_content[key] = name
            self.initializers[name] = numpy_helper.from_array(array, name)
        return self.by_content[key]

    def node(self, op_type, inputs, attrs=None, hint=None):
        out = self.fresh(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=f"{op_type}_{self.count}", **(attrs or {})))
        return out

    def transpose(self, value, perm):
        if value in self.origin:
            source, inner = self.origin[value]
            value, perm = source, _compose(perm, inner)
        if perm == list(range(len(perm))):
            return value
        out = self.node("Transpose", [value], {"perm": perm})
        self.origin[out] = (value, perm)
        return out

    # ---- tensor access --------------------------------------------------------------------------------------
    def shape(self, index):
        return self.g.tensors[index].shape

    def const_of(self, index):
        return self.consts.get(index)

    def has_form(self, index, form):
        return form in self.values.get(index, {})

    def value(self, index, form):
        """ONNX value for a TFLite tensor in layout form 'n' (as in TFLite) or 'p' (4-D stored NCHW)."""
        data = self.const_of(index)
        if data is not None:
            if data.dtype == np.float16:
                raise ConvertError(f"{self.name}: float16 tensor {self.g.tensors[index].name!r} used without DEQUANTIZE")
            return self.const_value(data, form)
        forms = self.values.get(index)
        if not forms:
            raise ConvertError(f"{self.name}: tensor {self.g.tensors[index].name!r} used before it is produced")
        if form not in forms:
            source = forms["n" if form == "p" else "p"]
            forms[form] = self.transpose(source, NHWC_TO_NCHW if form == "p" else NCHW_TO_NHWC)
        return forms[form]

    def const_value(self, data, form):
        if form == "p":  # broadcast like NHWC, then lay out as NCHW
            if data.ndim > 4:
                raise ConvertError(f"{self.name}: constant of rank {data.ndim} broadcast into NCHW")
            data = np.transpose(data.reshape((1,) * (4 - data.ndim) + data.shape), NHWC_TO_NCHW)
        return self.constant(data, "w")

    def set(self, index, form, value):
        self.values[index] = {form: value}

    def pick_form(self, inputs, output):
        """NCHW when every non-constant input and the output are 4-D and one input already is NCHW."""
        activations = [i for i in inputs if i >= 0 and self.const_of(i) is None]
        if len(self.shape(output)) != 4 or any(len(self.shape(i)) != 4 for i in activations):
            return "n"
        return "p" if any(self.has_form(i, "p") for i in activations) else "n"

    def activation(self, value, code):
        if code not in ACTIVATIONS:
            raise ConvertError(f"{self.name}: fused activation {code} not supported")
        spec = ACTIVATIONS[code]
        if spec is None:
            return value
        op_type, arg = spec
        if op_type == "Clip":
            lo, hi = (self.constant(np.array(v, np.float32), "clip") for v in arg)
            return self.node("Clip", [value, lo, hi])
        return self.node(op_type, [value])

    # ---- ops ------------------------------------------------------------------------------------------------
    def handler(self, op):
        if op.name in UNARY:
            return self.unary
        if op.name in BINARY:
            return self.binary
        return getattr(self, "op_" + op.name.lower(), None)

    def op_dequantize(self, op):
        data = self.const_of(op.inputs[0])
        if data is None:
            raise ConvertError(f"{self.name}: DEQUANTIZE of a non-constant tensor")
        self.consts[op.outputs[0]] = data.astype(np.float32)

    def unary(self, op):
        form = self.pick_form(op.inputs, op.outputs[0])
        self.set(op.outputs[0], form, self.node(UNARY[op.name], [self.value(op.inputs[0], form)]))

    def op_rsqrt(self, op):
        form = self.pick_form(op.inputs, op.outputs[0])
        root = self.node("Sqrt", [self.value(op.inputs[0], form)])
        self.set(op.outputs[0], form, self.node("Reciprocal", [root]))

    def op_relu6(self, op):
        form = self.pick_form(op.inputs, op.outputs[0])
        self.set(op.outputs[0], form, self.activation(self.value(op.inputs[0], form), 3))

    def binary(self, op):
        form = self.pick_form(op.inputs, op.outputs[0])
        a, b = (self.value(i, form) for i in op.inputs)
        out = self.node(BINARY[op.name], [a, b])
        act = op.options.byte(0) if op.options is not None else 0
        self.set(op.outputs[0], form, self.activation(out, act))

    def op_squared_difference(self, op):
        form = self.pick_form(op.inputs, op.outputs[0])
        diff = self.node("Sub", [self.value(i, form) for i in op.inputs])
        self.set(op.outputs[0], form, self.node("Mul", [diff, diff]))

    def op_prelu(self, op):
        x, alpha = op.inputs
        slope = self.const_of(alpha)
        if slope is None:
            raise ConvertError(f"{self.name}: PRELU with a non-constant slope")
        channels = self.shape(x)[3]
        slope = np.broadcast_to(slope, self.shape(x)[1:])
        if len(self.shape(x)) != 4 or not np.all(slope == slope.reshape(-1, channels)[:1]):
            raise ConvertError(f"{self.name}: PRELU slope is not per channel")
        out = prelu_as_convs(self.node, lambda a: self.constant(a, "w"), self.value(x, "p"), slope.reshape(-1, channels)[0])
        self.set(op.outputs[0], "p", out)

    def _window(self, op, kernel_h, kernel_w, stride_h, stride_w, padding, dil_h=1, dil_w=1):
        _, in_h, in_w, _ = self.shape(op.inputs[0])
        if padding == 0:  # SAME
            top, bottom = _same_pads(in_h, kernel_h, stride_h, dil_h)
            left, right = _same_pads(in_w, kernel_w, stride_w, dil_w)
        else:  # VALID
            top = bottom = left = right = 0
        return {"kernel_shape": [kernel_h, kernel_w], "strides": [stride_h, stride_w], "pads": [top, left, bottom, right]}

    def _conv(self, op, weights, group, padding, stride_w, stride_h, dil_w, dil_h, act):
        x = self.value(op.inputs[0], "p")
        attrs = self._window(op, weights.shape[2], weights.shape[3], stride_h, stride_w, padding, dil_h, dil_w)
        attrs.update(dilations=[dil_h, dil_w], group=group)
        inputs = [x, self.constant(weights, "w")]
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            inputs.append(self.value(op.inputs[2], "n"))
        self.set(op.outputs[0], "p", self.activation(self.node("Conv", inputs, attrs), act))

    def op_conv_2d(self, op):
        o = op.options  # padding, stride_w, stride_h, activation, dilation_w, dilation_h
        w = self.const_of(op.inputs[1])
        if w is None:
            raise ConvertError(f"{self.name}: CONV_2D with non-constant weights")
        in_c = self.shape(op.inputs[0])[3]
        group = in_c // w.shape[3]
        if w.shape[1:3] == (1, 1) and group == 1 and o.int(1) == o.int(2) == 1 and not self.has_form(op.inputs[0], "p"):
            # A 1×1 convolution of an NHWC tensor is a MatMul over channels: no layout change (the blendshape MLP).
            out = self.node("MatMul", [self.value(op.inputs[0], "n"), self.constant(w.reshape(w.shape[0], in_c).T.copy(), "w")])
            if len(op.inputs) > 2 and op.inputs[2] >= 0:
                out = self.node("Add", [out, self.value(op.inputs[2], "n")])
            self.set(op.outputs[0], "n", self.activation(out, o.byte(3)))
            return
        self._conv(op, np.transpose(w, [0, 3, 1, 2]), group, o.byte(0), o.int(1), o.int(2), o.int(4, 1), o.int(5, 1),
                   o.byte(3))

    def op_depthwise_conv_2d(self, op):
        o = op.options  # padding, stride_w, stride_h, depth_multiplier, activation, dilation_w, dilation_h
        w = self.const_of(op.inputs[1])
        if w is None:
            raise ConvertError(f"{self.name}: DEPTHWISE_CONV_2D with non-constant weights")
        in_c = self.shape(op.inputs[0])[3]
        self._conv(op, np.transpose(w, [3, 0, 1, 2]), in_c, o.byte(0), o.int(1), o.int(2), o.int(5, 1), o.int(6, 1),
                   o.byte(4))

    def op_max_pool_2d(self, op):
        o = op.options  # padding, stride_w, stride_h, filter_width, filter_height, activation
        attrs = self._window(op, o.int(4), o.int(3), o.int(2), o.int(1), o.byte(0))
        out = self.node("MaxPool", [self.value(op.inputs[0], "p")], attrs)
        self.set(op.outputs[0], "p", self.activation(out, o.byte(5)))

    def op_concatenation(self, op):
        rank = len(self.shape(op.outputs[0]))
        axis = op.options.int(0) % rank
        form = self.pick_form(op.inputs, op.outputs[0])
        out = self.node("Concat", [self.value(i, form) for i in op.inputs],
                        {"axis": AXIS_TO_NCHW[axis] if form == "p" else axis})
        self.set(op.outputs[0], form, self.activation(out, op.options.byte(1)))

    def op_pad(self, op):
        pads = self.const_of(op.inputs[1])
        if pads is None:
            raise ConvertError(f"{self.name}: PAD with non-constant paddings")
        form = self.pick_form(op.inputs[:1], op.outputs[0])
        shape = self.shape(op.inputs[0])
        if form == "p" and len(shape) == 4 and not pads[:3].any():
            # Zero channels appended (BlazeFace's residual widening) as a 1×1 convolution by [I; 0]: a Pad would
            # make onnxruntime leave its blocked NCHWc layout twice per block, the Conv fuses the Add and Relu.
            channels = shape[3]
            eye = np.zeros((channels + int(pads[3].sum()), channels, 1, 1), np.float32)
            eye[int(pads[3][0]) + np.arange(channels), np.arange(channels)] = 1
            self.set(op.outputs[0], "p", self.node("Conv", [self.value(op.inputs[0], "p"), self.constant(eye, "w")]))
            return
        if form == "p":
            pads = pads[NHWC_TO_NCHW]
        flat = np.concatenate([pads[:, 0], pads[:, 1]]).astype(np.int64)
        out = self.node("Pad", [self.value(op.inputs[0], form), self.constant(flat, "pads")])
        self.set(op.outputs[0], form, out)

    def op_reshape(self, op):
        shape = np.array(self.shape(op.outputs[0]), np.int64)
        out = self.node("Reshape", [self.value(op.inputs[0], "n"), self.constant(shape, "shape")])
        self.set(op.outputs[0], "n", out)

    def op_transpose(self, op):
        perm = self.const_of(op.inputs[1])
        if perm is None:
            raise ConvertError(f"{self.name}: TRANSPOSE with a non-constant permutation")
        self.set(op.outputs[0], "n", self.transpose(self.value(op.inputs[0], "n"), [int(v) for v in perm]))

    def _reduce(self, op, op_type):
        axes = self.const_of(op.inputs[1])
        if axes is None:
            raise ConvertError(f"{self.name}: {op.name} with non-constant axes")
        rank = len(self.shape(op.inputs[0]))
        keep = op.options.bool(0) if op.options is not None else False
        form = self.pick_form(op.inputs[:1], op.outputs[0]) if keep else "n"
        axes = sorted(AXIS_TO_NCHW[int(a) % rank] if form == "p" else int(a) % rank for a in axes.reshape(-1))
        x = self.value(op.inputs[0], form)
        if op_type == "ReduceSum":  # opset 13: axes is an input
            out = self.node(op_type, [x, self.constant(np.array(axes, np.int64), "axes")], {"keepdims": int(keep)})
        else:
            out = self.node(op_type, [x], {"axes": axes, "keepdims": int(keep)})
        self.set(op.outputs[0], form, out)

    def op_mean(self, op):
        self._reduce(op, "ReduceMean")

    def op_sum(self, op):
        self._reduce(op, "ReduceSum")

    def op_strided_slice(self, op):
        o = op.options  # begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask, offset
        if o.int(2) or o.int(3) or (o.has(5) and o.bool(5)):
            raise ConvertError(f"{self.name}: STRIDED_SLICE with ellipsis/new-axis/offset masks")
        begin, end, strides = (self.const_of(i) for i in op.inputs[1:4])
        if begin is None or end is None or strides is None:
            raise ConvertError(f"{self.name}: STRIDED_SLICE with non-constant bounds")
        dims = self.shape(op.inputs[0])
        starts, ends, steps, squeeze = [], [], [], []
        for axis, size in enumerate(dims):
            step = int(strides[axis])
            if step <= 0:
                raise ConvertError(f"{self.name}: STRIDED_SLICE with stride {step}")
            start = 0 if o.int(0) >> axis & 1 else int(begin[axis])
            stop = size if o.int(1) >> axis & 1 else int(end[axis])
            start, stop = (v + size if v < 0 else v for v in (start, stop))
            if o.int(4) >> axis & 1:
                stop = start + 1
                squeeze.append(axis)
            starts.append(start)
            ends.append(min(stop, size))
            steps.append(step)
        form = "p" if not squeeze and len(dims) == 4 and self.has_form(op.inputs[0], "p") else "n"
        axes = list(range(len(dims)))
        if form == "p":
            starts, ends, steps = ([v[a] for a in NHWC_TO_NCHW] for v in (starts, ends, steps))
        ints = [self.constant(np.array(v, np.int64), "slice") for v in (starts, ends, axes, steps)]
        out = self.node("Slice", [self.value(op.inputs[0], form)] + ints)
        if squeeze:
            out = self.node("Squeeze", [out, self.constant(np.array(squeeze, np.int64), "axes")])
        self.set(op.outputs[0], form, out)

    # ---- graph ----------------------------------------------------------------------------------------------
    def build(self, doc):
        g = self.g
        inputs = []
        for i in g.inputs:
            t = g.tensors[i]
            shape = list(t.shape)
            if len(shape) == 4:  # an image: NCHW (the mesh's input Transpose cost 0.27 of 10.2 ms)
                self.values[i] = {"p": t.name}
                shape = [shape[a] for a in NHWC_TO_NCHW]
            else:
                self.values[i] = {"n": t.name}
            inputs.append(helper.make_tensor_value_info(t.name, ONNX_TYPES[t.dtype], shape))
        unknown = sorted({op.name for op in g.ops if self.handler(op) is None})
        if unknown:
            raise ConvertError(f"{self.name}: no ONNX mapping for TFLite op(s) {', '.join(unknown)}")
        for op in g.ops:
            self.handler(op)(op)
        outputs = []
        for i in g.outputs:
            t = g.tensors[i]
            self._rename(self.value(i, "n"), t.name)
            outputs.append(helper.make_tensor_value_info(t.name, ONNX_TYPES[t.dtype], t.shape))
        self._fuse_layer_norms()
        self._prune([o.name for o in outputs])
        graph = helper.make_graph(self.nodes, self.name, inputs, outputs,
                                  list(self.initializers.values()))
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="vision-service scripts/models", doc_string=doc)
        model.ir_version = 8
        onnx.checker.check_model(model, full_check=True)
        return model

    def _fuse_layer_norms(self):
        """TFLite's decomposed layer norm over the last axis, (x − mean)·γ/√(var + ε) written as
        x·s + (−mean)·s with s = γ/√(var + ε) (12 ops, the blendshape model's 9 of them), as one LayerNormalization:
        onnxruntime spends a few µs per node whatever its size, so that model was mostly overhead."""
        producer = {o: n for n in self.nodes for o in n.output}
        consts = {k: numpy_helper.to_array(v) for k, v in self.initializers.items()}
        ranks = {}  # value name → rank, from ONNX shape inference over the graph so far
        if any(n.op_type == "ReduceMean" for n in self.nodes):
            inputs = [helper.make_tensor_value_info(self.g.tensors[i].name, ONNX_TYPES[self.g.tensors[i].dtype], None)
                      for i in self.g.inputs]
            probe = helper.make_model(helper.make_graph(self.nodes, "probe", inputs, [], list(self.initializers.values())),
                                      opset_imports=[helper.make_opsetid("", OPSET)])
            for v in onnx.shape_inference.infer_shapes(probe).graph.value_info:
                ranks[v.name] = len(v.type.tensor_type.shape.dim)

        def made(value, op_type):
            n = producer.get(value)
            return n if n is not None and n.op_type == op_type else None

        def last_axis_mean(n, x):
            axes = [a.ints for a in n.attribute if a.name == "axes"]
            return n.input[0] == x and axes and x in ranks and list(axes[0]) == [ranks[x] - 1]

        replaced = {}
        for add in self.nodes:
            if add.op_type != "Add":
                continue
            left, right = (made(v, "Mul") for v in add.input)
            if left is None or right is None:
                continue
            neg = made(right.input[0], "Neg")
            if neg is None:
                continue
            x, scale = left.input
            mean = made(neg.input[0], "ReduceMean")
            scaled = made(scale, "Mul")
            if mean is None or scaled is None or right.input[1] != scale or not last_axis_mean(mean, x):
                continue
            recip, gamma = scaled.input
            root = made(recip, "Reciprocal") and made(made(recip, "Reciprocal").input[0], "Sqrt")
            plus = root and made(root.input[0], "Add")
            var = plus and made(plus.input[0], "ReduceMean")
            square = var and made(var.input[0], "Mul")
            diff = square and made(square.input[0], "Sub")
            if not (var and square.input[0] == square.input[1] and diff and list(diff.input) == [x, mean.output[0]]
                    and last_axis_mean(var, square.output[0]) and plus.input[1] in consts and gamma in consts):
                continue
            ln = helper.make_node("LayerNormalization", [x, self.constant(consts[gamma].reshape(-1).astype(np.float32), "w")],
                                  [add.output[0]], name=f"LayerNormalization_{add.name}", axis=-1,
                                  epsilon=float(consts[plus.input[1]].reshape(-1)[0]))
            replaced[id(add)] = ln
        self.nodes = [replaced.get(id(n), n) for n in self.nodes]

    def _rename(self, old, new):
        for n in self.nodes:
            for seq in (n.input, n.output):
                for k, v in enumerate(seq):
                    if v == old:
                        seq[k] = new

    def _prune(self, outputs):
        """Drop nodes and constants nothing reaches (transposes superseded by a composed one)."""
        needed = set(outputs)
        kept = []
        for n in reversed(self.nodes):
            if any(o in needed for o in n.output):
                kept.append(n)
                needed.update(n.input)
        self.nodes = list(reversed(kept))
        self.initializers = {k: v for k, v in self.initializers.items() if k in needed}


def convert_graph(graph, name, doc):
    return Converter(graph, name).build(doc)
