/** onnxruntime-node for every caller, with its telemetry off (./ort-telemetry) before it loads. */
import './ort-telemetry';

export * from 'onnxruntime-node';
