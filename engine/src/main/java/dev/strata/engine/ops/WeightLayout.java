// How a matmul weight is stored: OUT_IN is torch.nn.Linear's [out, in]; IN_OUT is GPT-2's
// Conv1D [in, out]. Kernels read either as stored, so weights stay memory-mapped.
package dev.strata.engine.ops;

public enum WeightLayout { OUT_IN, IN_OUT }
