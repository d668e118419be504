// Launch plan for fused attention: kv_append (cached only), then either the split-KV decode
// kernel, whose last block per KV head merges the splits (one new token per sequence, cached),
// or a flash-style prefill kernel: on tensor cores (attention_mma.cu, BF16/F16 products with F32
// accumulation) where the spec's compute dtype is 16-bit, the head size is 64 or 128 and the
// device has the shared memory, else in F32 on CUDA cores (attention.cu). By default
// (strata.cuda.prefillAttention=auto) the tensor-core path first rounds the layer's keys and values
// once into 16-bit scratch (kv_to16) and runs a kernel variant that copies those straight into
// shared memory (half the K/V bytes, no per-tile rounding pass), picked by shape: kv16w32 or
// kv16nm without mask and bias, kv16 with them (PrefillMode); =staged keeps the variant that stages
// F32 tiles and rounds them per tile.
// Decode splits are fixed by the cache capacity, not the current length, so a captured CUDA
// graph stays valid as sequences grow; empty splits exit early.
package dev.strata.cuda;

import dev.strata.engine.ops.Attention;
import dev.strata.engine.ops.AttentionSpec;
import dev.strata.engine.tensor.DType;
import java.util.ArrayList;
import java.util.List;

final class AttentionCuda {
    /** Query rows per prefill block (must match BLOCK_Q in attention.cu). */
    static final int PREFILL_BLOCK_Q = 64;
    /** attention_prefill_f32 requires exactly 256 threads (it traps otherwise). */
    static final int PREFILL_THREADS = 256;
    /** Decode block: ≤ 256 and a multiple of 32; 256 measured faster than 128 (H200, 32/8 heads, 4096 keys). */
    static final int DECODE_THREADS = 256;
    /** Largest prefill dynamic shared memory (head_dim 256): set once per function as its opt-in limit. */
    static final int PREFILL_MAX_SHARED = prefillSharedBytes(256);

    /** 4·(HD·64 + HD·BK + BK·68) bytes, HD = head_dim rounded up to 64/128/256, BK = 64 (HD ≤ 128) or 32. */
    static int prefillSharedBytes(int headDim) {
        int hd = headDim <= 64 ? 64 : headDim <= 128 ? 128 : 256;
        int bk = hd <= 128 ? 64 : 32;
        return 4 * (hd * PREFILL_BLOCK_Q + hd * bk + bk * 68);
    }
    /** Query rows per tensor-core prefill block (MMA_BQ in attention_mma.cu) and its threads. */
    static final int MMA_BLOCK_Q = 128, MMA_THREADS = 256;

    /** attention_prefill_mma_* dynamic shared memory: F32 K and V tiles [64][hd] plus their 16-bit copies [64][hd+8]. */
    static int mmaSharedBytes(int headDim) { return 2 * 64 * headDim * Float.BYTES + 2 * 64 * (headDim + 8) * 2; }

    /** attention_prefill_mma_kv16_* dynamic shared memory: two stages of 16-bit K and V tiles [64][hd+8]. */
    static int mmaKv16SharedBytes(int headDim) { return 2 * 2 * 64 * (headDim + 8) * 2; }

    /** attention_prefill_mma_kv16w32_*: the kv16 stages, then the block's 16-bit Q [128][hd+8]. */
    static int mmaKv16W32SharedBytes(int headDim) { return mmaKv16SharedBytes(headDim) + MMA_BLOCK_Q * (headDim + 8) * 2; }

    /** Threads of an attention_prefill_mma_kv16w32_* block: 4 warps of two m16 tiles. */
    static final int MMA_W32_THREADS = 128;

    /** Keys each kv_to16 block rounds (KEYS in attention_mma.cu). */
    static final int KV16_KEYS_PER_BLOCK = 32;

    /** Largest 16-bit K/V scratch (both halves) the kv16 path takes; beyond it the F32-staging kernel runs. */
    static final long KV16_MAX_SCRATCH = 1L << 30;

    /**
     * Which prefill kernel 16-bit compute may take (system property strata.cuda.prefillAttention).
     * All but STAGED and F32 run the tensor-core kernel on K/V rounded once per layer into 16-bit
     * scratch (the F32-staging one where that scratch would pass KV16_MAX_SCRATCH):
     * AUTO (the default) picks by shape from the measurements below: attention without a padding
     *   mask or position bias takes KV16W32 at head dim 128 and KV16NM at head dim 64; with either, KV16.
     * KV16: 8 warps of one m16 tile, Q's fragments in registers, mask and bias compiled in.
     * KV16NM: KV16's kernel compiled without mask and bias (only where there are none).
     * KV16W32: 4 warps of 32 rows (two m16 tiles, Q in shared memory), so each K/V fragment read
     *   from shared memory serves two m tiles; no mask or bias (only where there are none).
     * STAGED: F32 K/V tiles staged and rounded per tile. F32: every prefill on the F32 kernel.
     * H200, 2026-11-27 (bench/RESULTS.md), causal BF16 B4 H32 S4096: head dim 128, KV16 118.3,
     * STAGED 96.8, KV16NM 191.4, KV16W32 240.9 TFLOP/s (SDPA 559.6 in the same run); head dim 64
     * (8 KV heads), KV16 74.6, KV16NM 203.5, KV16W32 199.2. pp512 of the 1B shape (head dim 64)
     * is within its run-to-run spread for every mode (attention is a small part of it).
     */
    enum PrefillMode { AUTO, KV16, KV16NM, KV16W32, STAGED, F32 }

    static final PrefillMode PREFILL_MODE = prefillMode(System.getProperty("strata.cuda.prefillAttention", "auto"));

    static PrefillMode prefillMode(String value) {
        return switch (value) {
            case "auto" -> PrefillMode.AUTO;
            case "kv16" -> PrefillMode.KV16;
            case "kv16nm" -> PrefillMode.KV16NM;
            case "kv16w32" -> PrefillMode.KV16W32;
            case "staged" -> PrefillMode.STAGED;
            case "f32" -> PrefillMode.F32;
            default -> throw new IllegalArgumentException("strata.cuda.prefillAttention: '" + value + "'; expected auto, kv16, kv16nm, kv16w32, staged or f32");
        };
    }

    /**
     * The tensor-core prefill kernel for this spec on a device with `sharedOptIn` bytes (capacity:
     * the KV cache's, when cached; masked: a padding mask or position bias is given, which the
     * kv16w32 and kv16nm kernels do not take), or null for the F32 one.
     */
    static String mmaKernel(AttentionSpec s, int sharedOptIn, PrefillMode mode, int capacity, boolean masked) {
        if (mode == PrefillMode.F32 || s.compute() == DType.F32 || (s.headDim() != 64 && s.headDim() != 128) || mmaSharedBytes(s.headDim()) > sharedOptIn) return null;
        boolean kv16 = mode != PrefillMode.STAGED && kv16ScratchBytes(s, capacity) <= KV16_MAX_SCRATCH;
        boolean w32Fits = mmaKv16W32SharedBytes(s.headDim()) <= sharedOptIn;
        boolean w32 = kv16 && !masked && w32Fits && (mode == PrefillMode.KV16W32 || (mode == PrefillMode.AUTO && s.headDim() == 128));
        boolean unmasked = kv16 && !masked && !w32 && (mode == PrefillMode.KV16NM || mode == PrefillMode.AUTO);
        return "attention_prefill_mma_" + (w32 ? "kv16w32_" : unmasked ? "kv16nm_" : kv16 ? "kv16_" : "") + (s.compute() == DType.BF16 ? "bf16" : "f16")
                + "_d" + s.headDim();
    }

    /** Keys per (sequence, KV head) in the kv16 scratch: the cache capacity when cached, else kvLen. */
    private static int kv16Keys(AttentionSpec s, int capacity) { return s.cached() ? capacity : s.kvLen(); }

    /** Bytes of the kv16 scratch: 16-bit K, then V, each [batch][kvHeads][keys][headDim]. */
    static long kv16ScratchBytes(AttentionSpec s, int capacity) { return 2L * 2 * s.batch() * s.kvHeads() * kv16Keys(s, capacity) * s.headDim(); }

    /**
     * Up to which batch a decode step's KV append runs inside the decode attention kernel
     * (attention_decode_append_f32: split 0 of each sequence and KV head writes the step's row, and
     * every block reads that key from the step's k/v instead of the cache), one launch less per
     * layer. System property strata.cuda.fusedKvAppend: auto (the default: batches up to
     * AUTO_APPEND_MAX_BATCH; on an H100 the fused kernel was 0.1-1.1% faster at batch 1, 0.4-0.8%
     * at batch 8 and 2.9% slower at batch 32), on (every batch) or off.
     */
    static final int FUSED_KV_APPEND_MAX_BATCH = fusedKvAppendMaxBatch(System.getProperty("strata.cuda.fusedKvAppend", "auto"));

    static final int AUTO_APPEND_MAX_BATCH = 8;

    static int fusedKvAppendMaxBatch(String value) {
        return switch (value.trim()) {
            case "off" -> 0;
            case "on" -> Integer.MAX_VALUE;
            case "auto" -> AUTO_APPEND_MAX_BATCH;
            default -> throw new IllegalArgumentException("strata.cuda.fusedKvAppend: '" + value + "'; expected off, on or auto");
        };
    }

    /**
     * Cache capacity per decode split at least (each split then takes its share of the current
     * length); at most MAX_SPLITS splits. System property strata.cuda.decodeKeysPerSplit (16 to
     * 4096, default 256), for A/B timing: a cache of 129 rows (`strata bench -n 128`) gets one split
     * at 256, so its 8 KV heads run as 8 blocks at batch 1.
     */
    static final int KEYS_PER_SPLIT = keysPerSplit(System.getProperty("strata.cuda.decodeKeysPerSplit", "256"));
    static final int MAX_SPLITS = 64;

    static int keysPerSplit(String value) { return CudaSwitches.intInRange("strata.cuda.decodeKeysPerSplit", value, 16, 4096); }

    private AttentionCuda() {}

    /** Splits per (sequence, KV head): enough blocks to fill the GPU's multiprocessors twice, at most one per keysPerSplit cache rows. */
    static int splits(int capacity, int batch, int kvHeads, int keysPerSplit, int multiprocessors) {
        int byLength = Math.max(1, (capacity + keysPerSplit - 1) / keysPerSplit);
        int blocks = batch * kvHeads;
        int wanted = Math.max(1, (multiprocessors * 2 + blocks - 1) / blocks);
        return Math.min(MAX_SPLITS, Math.min(byLength, Math.max(1, wanted)));
    }

    static List<Launch> plan(Attention a, PlanContext c, DevTensor out) { return plan(a, c, out, PREFILL_MODE); }

    static List<Launch> plan(Attention a, PlanContext c, DevTensor out, PrefillMode mode) {
        return plan(a, c, out, mode, a.spec().batch() <= FUSED_KV_APPEND_MAX_BATCH);
    }

    static List<Launch> plan(Attention a, PlanContext c, DevTensor out, PrefillMode mode, boolean fusedAppend) {
        AttentionSpec s = a.spec();
        DevTensor q = c.tensor(a.q()), k = c.tensor(a.k()), v = c.tensor(a.v());
        DevTensor past = c.tensor(a.past()), slots = c.tensor(a.slots());
        DevTensor mask = a.mask() == null ? null : c.tensor(a.mask());
        Launch.Ptr maskPtr = mask == null ? new Launch.Ptr(0) : mask.ptr();
        int maskStride = mask == null ? 0 : mask.stride(), maskCols = mask == null ? 0 : mask.cols();
        DevTensor bias = a.bias() == null ? null : c.tensor(a.bias());
        Launch.Ptr biasPtr = bias == null ? new Launch.Ptr(0) : bias.ptr();
        int biasStride = bias == null ? 0 : bias.stride(), biasKeyCols = a.biasKeyCols();
        List<Launch> plan = new ArrayList<>();
        Launch.Ptr kc = new Launch.Ptr(0), vc = new Launch.Ptr(0);
        int capacity = 0;
        boolean decode = s.cached() && s.seqLen() == 1;
        if (s.cached()) {
            capacity = c.kvSpec().capacity();
            kc = new Launch.Ptr(c.kvKeys(s.cacheLayer()));
            vc = new Launch.Ptr(c.kvValues(s.cacheLayer()));
            int width = s.kvHeads() * s.headDim();
            if (!(decode && fusedAppend)) {
                plan.add(Launch.Kernel.of("attention", "kv_append_f32", s.batch() * s.seqLen(), ElementwiseCuda.BLOCK,
                        k.ptr(), k.stride(), v.ptr(), v.stride(), past.ptr(), slots.ptr(), kc, vc, capacity, width, s.seqLen()));
            }
        }
        if (decode) {
            int splits = splits(capacity, s.batch(), s.kvHeads(), KEYS_PER_SPLIT, c.multiprocessors());
            long partial = c.scratch("attention_partial", (long) s.batch() * s.heads() * splits * (s.headDim() + 2) * Float.BYTES);
            long counters = c.zeroedScratch("attention_split_counters", (long) s.batch() * s.kvHeads() * Integer.BYTES);
            List<Object> head = fusedAppend ? List.of(q.ptr(), q.stride(), k.ptr(), k.stride(), v.ptr(), v.stride()) : List.of(q.ptr(), q.stride());
            List<Object> args = new ArrayList<>(head);
            args.addAll(List.of(kc, vc, capacity, past.ptr(), slots.ptr(), maskPtr, maskStride, maskCols,
                    biasPtr, biasStride, biasKeyCols, new Launch.Ptr(partial), splits, s.heads(), s.kvHeads(), s.headDim(), s.scale(),
                    out.ptr(), out.stride(), new Launch.Ptr(counters)));
            plan.add(new Launch.Kernel("attention", fusedAppend ? "attention_decode_append_f32" : "attention_decode_f32", splits, s.kvHeads(), s.batch(),
                    DECODE_THREADS, 0, List.copyOf(args)));
            return plan;
        }
        List<Object> args = List.of(q.ptr(), q.stride(), k.ptr(), k.stride(), v.ptr(), v.stride(), kc, vc, capacity, s.cached() ? 1 : 0,
                past.ptr(), slots.ptr(), maskPtr, maskStride, maskCols, biasPtr, biasStride, biasKeyCols, out.ptr(), out.stride(),
                s.seqLen(), s.kvLen(), s.heads(), s.kvHeads(), s.headDim(), s.scale(), s.causal() ? 1 : 0);
        String mma = mmaKernel(s, c.sharedOptIn(), mode, capacity, mask != null || bias != null);
        if (mma != null && mma.contains("kv16")) {
            // kv_to16 rounds the keys and values once into [batch][kvHeads][keys][headDim] halves of one scratch
            int keys = kv16Keys(s, capacity);
            long half = kv16ScratchBytes(s, capacity) / 2;
            long k16 = c.scratch("attention_kv16", 2 * half);
            Launch.Ptr k16Ptr = new Launch.Ptr(k16), v16Ptr = new Launch.Ptr(k16 + half);
            String type = s.compute() == DType.BF16 ? "bf16" : "f16";
            plan.add(new Launch.Kernel("attention_mma", "kv_to16_" + type, (keys + KV16_KEYS_PER_BLOCK - 1) / KV16_KEYS_PER_BLOCK, s.kvHeads(), s.batch(),
                    ElementwiseCuda.BLOCK, 0, List.of(k.ptr(), k.stride(), v.ptr(), v.stride(), kc, vc, capacity, s.cached() ? 1 : 0, past.ptr(), slots.ptr(),
                    k16Ptr, v16Ptr, keys, s.seqLen(), s.kvLen(), s.kvHeads(), s.headDim())));
            boolean w32 = mma.contains("kv16w32");
            plan.add(new Launch.Kernel("attention_mma", mma, (s.seqLen() + MMA_BLOCK_Q - 1) / MMA_BLOCK_Q, s.heads(), s.batch(),
                    w32 ? MMA_W32_THREADS : MMA_THREADS, w32 ? mmaKv16W32SharedBytes(s.headDim()) : mmaKv16SharedBytes(s.headDim()), List.of(q.ptr(), q.stride(), k16Ptr, v16Ptr, keys, s.cached() ? 1 : 0, past.ptr(), maskPtr,
                    maskStride, maskCols, biasPtr, biasStride, biasKeyCols, out.ptr(), out.stride(), s.seqLen(), s.kvLen(), s.heads(), s.kvHeads(),
                    s.headDim(), s.scale(), s.causal() ? 1 : 0)));
            return plan;
        }
        if (mma != null) {
            plan.add(new Launch.Kernel("attention_mma", mma, (s.seqLen() + MMA_BLOCK_Q - 1) / MMA_BLOCK_Q, s.heads(), s.batch(), MMA_THREADS,
                    mmaSharedBytes(s.headDim()), args));
            return plan;
        }
        int qBlocks = (s.seqLen() + PREFILL_BLOCK_Q - 1) / PREFILL_BLOCK_Q;
        plan.add(new Launch.Kernel("attention", "attention_prefill_f32", qBlocks, s.heads(), s.batch(), PREFILL_THREADS, prefillSharedBytes(s.headDim()), args));
        return plan;
    }
}
