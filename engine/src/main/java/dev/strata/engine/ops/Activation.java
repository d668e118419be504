// Elementwise activation functions, with the HF config names that select them.
package dev.strata.engine.ops;

public enum Activation {
    SILU, GELU_ERF, GELU_TANH, RELU, TANH;

    /** Maps HF `hidden_act` / `activation_function` values. */
    public static Activation fromHf(String name) {
        return switch (name) {
            case "silu", "swish" -> SILU;
            case "gelu", "gelu_python" -> GELU_ERF;
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> GELU_TANH;
            case "relu" -> RELU;
            case "tanh" -> TANH;
            default -> throw new IllegalArgumentException("unsupported activation '" + name + "'; expected silu, gelu, gelu_new, gelu_pytorch_tanh, relu or tanh");
        };
    }

    public double apply(double x) {
        return switch (this) {
            case SILU -> x / (1 + Math.exp(-x));
            case GELU_ERF -> 0.5 * x * (1 + Erf.erf(x / Math.sqrt(2)));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case RELU -> Math.max(0, x);
            case TANH -> Math.tanh(x);
        };
    }
}
