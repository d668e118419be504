// One constant per op of the closed op set.
package dev.strata.engine.ops;

public enum OpKind { EMBEDDING, MATMUL, RMS_NORM, LAYER_NORM, ROPE, ATTENTION, SOFTMAX, ACTIVATE, GATED_ACTIVATE, ADD, SCALE, ARGMAX, SAMPLE }
