// Reads config.json fields under each family's key names and defaults, then checks them for consistency.
package dev.strata.loader;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

final class HfConfigParser {

    private HfConfigParser() {
    }

    static HfConfig parse(JsonFields c) throws ConfigException {
        List<String> architectures = c.strings("architectures");
        String type = modelType(c, architectures);
        if (EncoderDecoderConfig.handles(type)) {
            return EncoderDecoderConfig.parse(c, type).toHfConfig(architectures, c);
        }
        int hidden = positive(c, c.requiredInt("hidden_size", "n_embd"), "hidden_size");
        int layers = positive(c, c.requiredInt("num_hidden_layers", "n_layer"), "num_hidden_layers");
        int heads = positive(c, c.requiredInt("num_attention_heads", "n_head"), "num_attention_heads");
        int kvHeads = positive(c, c.integer("num_key_value_heads").orElse(heads), "num_key_value_heads");
        if (heads % kvHeads != 0) {
            throw new ConfigException(c.source() + ": num_attention_heads " + heads
                    + " must be a multiple of num_key_value_heads " + kvHeads);
        }
        int headDim = positive(c, headDim(c, hidden, heads), "head_dim");
        int intermediate = positive(c, type.equals("gpt2")
                ? c.integer("n_inner").orElse(Math.multiplyExact(4, hidden))
                : c.requiredInt("intermediate_size"), "intermediate_size");
        int vocab = positive(c, c.requiredInt("vocab_size"), "vocab_size");
        int maxPositions = positive(c, c.requiredInt("max_position_embeddings", "n_positions"),
                "max_position_embeddings");
        double eps = normEps(c, type);
        String act = hiddenAct(c, type);
        boolean tie = c.bool("tie_word_embeddings").orElse(!isUntiedByDefault(type));
        boolean attnBias = switch (type) {
            case "qwen2", "gpt2", "bert" -> true;
            case "mistral" -> false;
            default -> c.bool("attention_bias").orElse(false);
        };
        boolean mlpBias = switch (type) {
            case "gpt2", "bert" -> true;
            default -> c.bool("mlp_bias").orElse(false);
        };
        HfConfig.RopeConfig rope = RopeParser.parse(c, maxPositions);
        return new HfConfig(type, architectures, hidden, layers, heads, kvHeads, headDim, intermediate, vocab,
                maxPositions, eps, act, tie, attnBias, mlpBias, c.integer("bos_token_id").orElse(null),
                c.integers("eos_token_id"), c.integer("pad_token_id").orElse(null), rope, c.node());
    }

    private static String modelType(JsonFields c, List<String> architectures) throws ConfigException {
        Optional<String> given = c.string("model_type");
        if (given.isPresent()) {
            return given.get().trim().toLowerCase(Locale.ROOT);
        }
        for (String arch : architectures) {
            for (String known : List.of("llama", "mistral", "qwen2", "gpt2")) {
                if (arch.toLowerCase(Locale.ROOT).startsWith(known)) {
                    return known;
                }
            }
        }
        throw new ConfigException(c.source() + ": missing required key model_type (architectures "
                + architectures + " do not name a known family)");
    }

    private static int headDim(JsonFields c, int hidden, int heads) throws ConfigException {
        Optional<Integer> explicit = c.integer("head_dim");
        if (explicit.isPresent()) {
            return explicit.get();
        }
        if (hidden % heads != 0) {
            throw new ConfigException(c.source() + ": hidden_size " + hidden + " is not a multiple of "
                    + "num_attention_heads " + heads + " and no head_dim is given");
        }
        return hidden / heads;
    }

    private static double normEps(JsonFields c, String type) throws ConfigException {
        for (String key : List.of("rms_norm_eps", "layer_norm_epsilon", "layer_norm_eps")) {
            Optional<Double> v = c.number(key);
            if (v.isPresent()) {
                if (!(v.get() > 0) || v.get().isInfinite()) {
                    throw new ConfigException(c.source() + ": key '" + key + "' must be a positive number; got "
                            + v.get());
                }
                return v.get();
            }
        }
        return switch (type) {
            case "llama", "mistral", "qwen2" -> 1e-6;
            case "gpt2" -> 1e-5;
            case "bert" -> 1e-12;
            default -> throw new ConfigException(c.source() + ": missing required key rms_norm_eps or "
                    + "layer_norm_epsilon or layer_norm_eps");
        };
    }

    private static String hiddenAct(JsonFields c, String type) throws ConfigException {
        Optional<String> given = c.string("hidden_act");
        if (given.isEmpty()) {
            given = c.string("activation_function");
        }
        if (given.isPresent()) {
            return given.get();
        }
        return switch (type) {
            case "llama", "mistral", "qwen2" -> "silu";
            case "gpt2" -> "gelu_new";
            default -> throw new ConfigException(c.source() + ": missing required key hidden_act or "
                    + "activation_function");
        };
    }

    /** LlamaConfig, MistralConfig and Qwen2Config default to an untied lm_head; PretrainedConfig ties. */
    private static boolean isUntiedByDefault(String type) {
        return switch (type) {
            case "llama", "mistral", "qwen2" -> true;
            default -> false;
        };
    }

    static int positive(JsonFields c, int value, String key) throws ConfigException {
        if (value <= 0) {
            throw new ConfigException(c.source() + ": key '" + key + "' must be a positive integer; got " + value);
        }
        return value;
    }
}
