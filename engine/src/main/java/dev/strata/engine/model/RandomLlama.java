// Writes a random-weight Llama-shaped model directory (config.json, generation_config.json,
// model.safetensors, tokenizer.json) — the embedded default model and the benchmark models.
// Deterministic for a given spec and seed. Its output is meaningless text: it exercises the
// whole path (tokenizer, loader, graph, kernels, sampler) without a download.
package dev.strata.engine.model;

import dev.strata.loader.SafetensorsDtype;
import dev.strata.loader.SafetensorsWriter;
import dev.strata.loader.WritableTensor;
import dev.strata.loader.tokenizer.ByteLevelBpeGenerator;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

public final class RandomLlama {
    /** Shape of the generated model; dtype is F32 or BF16; tokenizer: also write a tokenizer.json. */
    public record Spec(String name, int hidden, int layers, int heads, int kvHeads, int intermediate, int vocab,
                       int maxPositions, boolean tied, SafetensorsDtype dtype, boolean tokenizer) {
        public long parameterCount() {
            int hd = hidden / heads;
            long attn = (long) hidden * heads * hd * 2 + (long) hidden * kvHeads * hd * 2;
            long perLayer = attn + 3L * hidden * intermediate + 2L * hidden;
            return (long) vocab * hidden * (tied ? 1 : 2) + layers * perLayer + hidden;
        }
    }

    /** The embedded default: ~4M parameters, answers instantly on any machine. */
    public static final Spec TINY = new Spec("strata-tiny-llama-random", 256, 4, 8, 4, 688, 2048, 2048, false, SafetensorsDtype.F32, true);
    /** The end-to-end benchmark model: ~100M parameters, Llama-shaped (GQA 12/4). */
    public static final Spec BENCH_100M = new Spec("strata-llama-100m-random", 768, 8, 12, 4, 2048, 32000, 2048, false, SafetensorsDtype.F32, true);
    /** Llama-3.2-1B's shape in BF16 (hidden 2048, 16 layers, 32/8 heads, ffn 8192, vocab 128256, tied): the GPU benchmark. */
    public static final Spec LLAMA_1B_SHAPE = new Spec("strata-llama-1b-shape-random-bf16", 2048, 16, 32, 8, 8192, 128256, 8192, true, SafetensorsDtype.BF16, false);

    private RandomLlama() {}

    /** Writes the model into dir (created if needed) unless a complete copy is already there. */
    public static Path ensure(Path dir, Spec spec, long seed) throws IOException {
        Path marker = dir.resolve(".complete");
        String stamp = spec + " seed=" + seed;
        if (Files.isRegularFile(marker) && Files.readString(marker).equals(stamp)) return dir;
        Files.createDirectories(dir);
        write(dir, spec, seed);
        Files.writeString(marker, stamp);
        return dir;
    }

    public static void write(Path dir, Spec s, long seed) throws IOException {
        if (s.hidden() % s.heads() != 0 || s.heads() % s.kvHeads() != 0) throw new IllegalArgumentException("inconsistent head counts in " + s);
        int hd = s.hidden() / s.heads();
        Files.writeString(dir.resolve("config.json"), config(s));
        Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\": 1, \"eos_token_id\": 2}\n");
        if (s.tokenizer()) ByteLevelBpeGenerator.write(dir.resolve("tokenizer.json"), s.vocab());
        SplittableRandom rnd = new SplittableRandom(seed);
        try (Arena arena = Arena.ofConfined()) {
            Map<String, WritableTensor> t = new LinkedHashMap<>();
            float init = 0.02f;
            t.put("model.embed_tokens.weight", random(arena, s.dtype(), rnd, init, s.vocab(), s.hidden()));
            for (int l = 0; l < s.layers(); l++) {
                String p = "model.layers." + l;
                t.put(p + ".input_layernorm.weight", ones(arena, s.dtype(), s.hidden()));
                t.put(p + ".self_attn.q_proj.weight", random(arena, s.dtype(), rnd, init, s.heads() * hd, s.hidden()));
                t.put(p + ".self_attn.k_proj.weight", random(arena, s.dtype(), rnd, init, s.kvHeads() * hd, s.hidden()));
                t.put(p + ".self_attn.v_proj.weight", random(arena, s.dtype(), rnd, init, s.kvHeads() * hd, s.hidden()));
                t.put(p + ".self_attn.o_proj.weight", random(arena, s.dtype(), rnd, init, s.hidden(), s.heads() * hd));
                t.put(p + ".post_attention_layernorm.weight", ones(arena, s.dtype(), s.hidden()));
                t.put(p + ".mlp.gate_proj.weight", random(arena, s.dtype(), rnd, init, s.intermediate(), s.hidden()));
                t.put(p + ".mlp.up_proj.weight", random(arena, s.dtype(), rnd, init, s.intermediate(), s.hidden()));
                t.put(p + ".mlp.down_proj.weight", random(arena, s.dtype(), rnd, init, s.hidden(), s.intermediate()));
            }
            t.put("model.norm.weight", ones(arena, s.dtype(), s.hidden()));
            if (!s.tied()) t.put("lm_head.weight", random(arena, s.dtype(), rnd, init, s.vocab(), s.hidden()));
            SafetensorsWriter.write(dir.resolve("model.safetensors"), t, Map.of("format", "pt", "generator", "strata RandomLlama seed " + seed));
        }
    }

    private static String config(Spec s) {
        return String.format(Locale.ROOT, """
                {
                  "architectures": ["LlamaForCausalLM"],
                  "model_type": "llama",
                  "_name_or_path": "%s",
                  "hidden_size": %d,
                  "num_hidden_layers": %d,
                  "num_attention_heads": %d,
                  "num_key_value_heads": %d,
                  "intermediate_size": %d,
                  "vocab_size": %d,
                  "max_position_embeddings": %d,
                  "hidden_act": "silu",
                  "rms_norm_eps": 1e-05,
                  "rope_theta": 500000.0,
                  "rope_scaling": null,
                  "tie_word_embeddings": %b,
                  "attention_bias": false,
                  "bos_token_id": 1,
                  "eos_token_id": 2,
                  "torch_dtype": "%s"
                }
                """, s.name(), s.hidden(), s.layers(), s.heads(), s.kvHeads(), s.intermediate(), s.vocab(), s.maxPositions(), s.tied(),
                s.dtype() == SafetensorsDtype.BF16 ? "bfloat16" : "float32");
    }

    private static WritableTensor random(Arena arena, SafetensorsDtype dtype, SplittableRandom rnd, float std, int rows, int cols) {
        long n = (long) rows * cols;
        MemorySegment seg = arena.allocate(n * dtype.byteSize(), 64);
        double a = std * Math.sqrt(3);
        for (long i = 0; i < n; i++) put(seg, dtype, i, (float) ((rnd.nextDouble() * 2 - 1) * a));
        return new WritableTensor(dtype, new long[] {rows, cols}, seg);
    }

    private static WritableTensor ones(Arena arena, SafetensorsDtype dtype, int n) {
        MemorySegment seg = arena.allocate((long) n * dtype.byteSize(), 64);
        for (long i = 0; i < n; i++) put(seg, dtype, i, 1f);
        return new WritableTensor(dtype, new long[] {n}, seg);
    }

    private static void put(MemorySegment seg, SafetensorsDtype dtype, long i, float v) {
        switch (dtype) {
            case F32 -> seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v);
            case BF16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits(v) + 0x8000 >>> 16));
            case F16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(v));
            default -> throw new IllegalArgumentException("random weights need F32, F16 or BF16; got " + dtype);
        }
    }
}
