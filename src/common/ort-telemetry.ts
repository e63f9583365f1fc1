/**
 * onnxruntime-node's official builds since 1.29 send 1DS telemetry from Linux too (DNS lookups of
 * mobile.events.data.microsoft.com from its own threads during a flow) unless ORT_DISABLE_TELEMETRY=1 is in the
 * process environment when it initialises. Imported by ./onnxruntime (loads in this thread) and by the worker pool:
 * only the main thread's process.env reaches the real environment, which worker threads' native code reads.
 */
process.env.ORT_DISABLE_TELEMETRY = '1';
