#!/usr/bin/env python3
"""PyTorch reference figures for the Strata GPU check (bench/gpu-check.sh, stage e).

Prints one JSON line per figure on stdout: {"source":"torch","name":..,"metric":..,"value":..,"ms":..}
plus "formula"/"note" keys where they say how a figure was counted. Method (GPU-HOST.md): CUDA
events around each call, 3 warm-ups, the median of 20 timed calls, random normal inputs.

Figures: device-to-device copy of 1 GiB (GB/s, read+write bytes); causal SDPA prefill
B4 H32 S4096 D128 bf16 (TFLOP/s, flops = 4*B*H*S^2*D/2); GQA SDPA decode B64 32q/8kv L4096 D128
bf16 (GB/s of K+V read once); bf16 GEMV x[1,4096] @ W[14336,4096]^T (GB/s of weight bytes);
HF transformers eager decode of the given model dir at batch 1 and 32 (tokens/s over 32
single-token steps after a 16-token prompt, median of 3 runs); the model's weight bytes per token.

Every section runs on its own: a failing one prints {"name":..,"error":..} and the rest go on.
Needs torch (CUDA) and, for the decode section, transformers. Progress goes to stderr.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time
import traceback

WARMUP = 3
TIMED = 20


def log(*a):
    print("[torch_reference]", *a, file=sys.stderr, flush=True)


def emit(**kw):
    kw.setdefault("source", "torch")
    print(json.dumps(kw, sort_keys=False), flush=True)


def section(name):
    """Decorator: run the function, turn any exception into an error line, free GPU memory after."""
    def wrap(fn):
        def run(*args, **kwargs):
            t0 = time.time()
            log(f"{name} ...")
            try:
                return fn(*args, **kwargs)
            except Exception as e:  # noqa: BLE001 - every failure becomes a JSON line
                traceback.print_exc(file=sys.stderr)
                emit(name=name, error=f"{type(e).__name__}: {e}"[:500])
                return None
            finally:
                try:
                    import gc
                    import torch
                    gc.collect()
                    torch.cuda.synchronize()
                    torch.cuda.empty_cache()
                except Exception:  # noqa: BLE001
                    pass
                log(f"{name} done in {time.time() - t0:.1f} s")
        return run
    return wrap


def time_call(torch, fn, warmup=WARMUP, timed=TIMED):
    """Median milliseconds of fn() over `timed` calls, each bracketed by CUDA events."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(timed):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def rel_err(torch, actual, expected):
    a = actual.float()
    e = expected.float()
    return float((a - e).abs().max() / e.abs().max().clamp_min(1e-30))


@section("copy_1GiB")
def copy_bandwidth(torch, dev):
    n = (1 << 30) // 4  # 1 GiB of float32
    src = torch.randn(n, device=dev, dtype=torch.float32)
    dst = torch.empty_like(src)
    ms = time_call(torch, lambda: dst.copy_(src))
    ok = bool(torch.equal(dst[:1 << 20], src[:1 << 20])) and bool(torch.equal(dst[-(1 << 20):], src[-(1 << 20):]))
    nbytes = 2 * n * 4
    emit(name="copy_1GiB", metric="GB/s", value=round(nbytes / (ms * 1e-3) / 1e9, 2), ms=round(ms, 4),
         formula="bytes = 2 * 1 GiB (read + write)", check="exact" if ok else "MISMATCH")
    del src, dst


@section("prefill_attention_sdpa_causal_bf16_b4_h32_s4096_d128")
def prefill_attention(torch, dev):
    import torch.nn.functional as F
    b, h, s, d = 4, 32, 4096, 128
    q = torch.randn(b, h, s, d, device=dev, dtype=torch.bfloat16)
    k = torch.randn(b, h, s, d, device=dev, dtype=torch.bfloat16)
    v = torch.randn(b, h, s, d, device=dev, dtype=torch.bfloat16)
    ms = time_call(torch, lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
    flops = 4 * b * h * s * s * d / 2
    # spot check against the math backend on one batch/head slice (small)
    o = F.scaled_dot_product_attention(q[:1, :1, :512], k[:1, :1, :512], v[:1, :1, :512], is_causal=True)
    ref = F.scaled_dot_product_attention(q[:1, :1, :512].float(), k[:1, :1, :512].float(), v[:1, :1, :512].float(), is_causal=True)
    emit(name="prefill_attention_sdpa_causal_bf16_b4_h32_s4096_d128", metric="TFLOP/s",
         value=round(flops / (ms * 1e-3) / 1e12, 2), ms=round(ms, 4),
         formula="flops = 4*B*H*S^2*D/2 (causal half)",
         check=f"max rel err vs f32 (S512 slice) {rel_err(torch, o, ref):.1e}")
    del q, k, v, o, ref


@section("decode_attention_sdpa_gqa_bf16_b64_h32_kv8_l4096_d128")
def decode_attention(torch, dev):
    import torch.nn.functional as F
    b, hq, hkv, L, d = 64, 32, 8, 4096, 128
    q = torch.randn(b, hq, 1, d, device=dev, dtype=torch.bfloat16)
    k = torch.randn(b, hkv, L, d, device=dev, dtype=torch.bfloat16)
    v = torch.randn(b, hkv, L, d, device=dev, dtype=torch.bfloat16)
    how = "enable_gqa=True"
    try:
        fn = lambda: F.scaled_dot_product_attention(q, k, v, enable_gqa=True)  # noqa: E731
        out = fn()
    except Exception as e:  # noqa: BLE001 - older torch: repeat K/V per q head (extra traffic counted as zero)
        log(f"enable_gqa failed ({e}); using repeat_interleave")
        how = "repeat_interleave k/v inside the timed call"
        fn = lambda: F.scaled_dot_product_attention(q, k.repeat_interleave(hq // hkv, dim=1),  # noqa: E731
                                                    v.repeat_interleave(hq // hkv, dim=1))
        out = fn()
    ms = time_call(torch, fn)
    ref = F.scaled_dot_product_attention(q[:2].float(), k[:2].float().repeat_interleave(hq // hkv, dim=1),
                                         v[:2].float().repeat_interleave(hq // hkv, dim=1))
    nbytes = b * L * hkv * d * 2 * 2  # K and V, bf16, read once
    emit(name="decode_attention_sdpa_gqa_bf16_b64_h32_kv8_l4096_d128", metric="GB/s",
         value=round(nbytes / (ms * 1e-3) / 1e9, 2), ms=round(ms, 4),
         formula="bytes = B*L*8*128*2 bytes * 2 (K and V read once)", gqa=how,
         check=f"max rel err vs f32 (B2) {rel_err(torch, out[:2], ref):.1e}")
    del q, k, v, out, ref


@section("gemv_bf16_14336x4096")
def gemv(torch, dev):
    n, k = 14336, 4096
    w = torch.randn(n, k, device=dev, dtype=torch.bfloat16)
    x = torch.randn(1, k, device=dev, dtype=torch.bfloat16)
    ms = time_call(torch, lambda: torch.matmul(x, w.t()))
    y = torch.matmul(x, w.t())
    ref = torch.matmul(x.float(), w.float().t())
    emit(name="gemv_bf16_14336x4096", metric="GB/s", value=round(n * k * 2 / (ms * 1e-3) / 1e9, 2), ms=round(ms, 4),
         formula="bytes = 14336*4096*2 (weights read once)", op="torch.matmul(x[1,4096], W[14336,4096].t())",
         check=f"max rel err vs f32 {rel_err(torch, y, ref):.1e}")
    del w, x, y, ref


def weight_bytes_from_config(cfg):
    """Parameter bytes of a Llama config (tied embeddings once), bf16 unless torch_dtype says float32."""
    h = cfg["hidden_size"]
    layers = cfg["num_hidden_layers"]
    heads = cfg["num_attention_heads"]
    kvh = cfg.get("num_key_value_heads", heads)
    hd = cfg.get("head_dim") or h // heads
    inter = cfg["intermediate_size"]
    vocab = cfg["vocab_size"]
    tied = cfg.get("tie_word_embeddings", False)
    per_layer = h * heads * hd + 2 * h * kvh * hd + heads * hd * h + 3 * h * inter + 2 * h
    params = vocab * h * (1 if tied else 2) + layers * per_layer + h
    elt = 4 if str(cfg.get("torch_dtype", "bfloat16")) in ("float32", "torch.float32") else 2
    return params, params * elt


# Llama-3.2-1B's shape, the same as RandomLlama.LLAMA_1B_SHAPE; used only when the model dir is missing.
LLAMA_1B_SHAPE = dict(hidden_size=2048, num_hidden_layers=16, num_attention_heads=32, num_key_value_heads=8,
                      intermediate_size=8192, vocab_size=128256, max_position_embeddings=8192, rms_norm_eps=1e-5,
                      rope_theta=500000.0, tie_word_embeddings=True, hidden_act="silu", torch_dtype="bfloat16",
                      attention_bias=False, bos_token_id=1, eos_token_id=2)


@section("hf_eager_decode")
def hf_decode(torch, dev, model_dir, steps, prompt_len, runs, batches):
    cfg_path = os.path.join(model_dir, "config.json") if model_dir else None
    if cfg_path and os.path.isfile(cfg_path):
        with open(cfg_path) as f:
            cfg = json.load(f)
        origin = model_dir
    else:
        cfg = dict(LLAMA_1B_SHAPE)
        origin = "config-only (model dir missing: random init of the Llama-3.2-1B shape)"
    params, wbytes = weight_bytes_from_config(cfg)
    emit(name="weight_bytes_per_token", metric="bytes", value=wbytes, params=params, model=origin,
         formula="sum of parameter bytes, tied embeddings once (from config.json)")

    import transformers
    from transformers import LlamaConfig, LlamaForCausalLM
    log(f"transformers {transformers.__version__}; loading {origin}")
    t0 = time.time()
    if origin == model_dir:
        try:
            model = LlamaForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16, attn_implementation="eager")
        except TypeError:  # transformers < 4.56 spells it torch_dtype
            model = LlamaForCausalLM.from_pretrained(model_dir, torch_dtype=torch.bfloat16, attn_implementation="eager")
        model = model.to(dev)
    else:
        conf = LlamaConfig(**{k: v for k, v in cfg.items() if k != "torch_dtype"})
        conf._attn_implementation = "eager"
        torch.manual_seed(0)
        with torch.device(dev):
            model = LlamaForCausalLM(conf).to(torch.bfloat16)
    model.eval()
    load_s = time.time() - t0
    counted = {}
    for p in model.parameters():  # parameters() yields a tied tensor once
        counted[p.data_ptr()] = p.numel() * p.element_size()
    emit(name="weight_bytes_per_token_loaded", metric="bytes", value=sum(counted.values()),
         params=sum(p.numel() for p in model.parameters()), load_s=round(load_s, 1),
         formula="sum over model.parameters() (tied tensors once)")
    vocab = model.config.vocab_size
    gen = torch.Generator(device=dev)
    gen.manual_seed(1)

    for b in batches:
        try:
            def one_run():
                ids = torch.randint(3, vocab, (b, prompt_len), device=dev, generator=gen)
                out = model(input_ids=ids, use_cache=True)
                pkv = out.past_key_values
                nxt = out.logits[:, -1, :].argmax(dim=-1, keepdim=True)
                torch.cuda.synchronize()
                t = time.perf_counter()
                for _ in range(steps):
                    out = model(input_ids=nxt, past_key_values=pkv, use_cache=True)
                    pkv = out.past_key_values
                    nxt = out.logits[:, -1, :].argmax(dim=-1, keepdim=True)
                torch.cuda.synchronize()
                return time.perf_counter() - t

            with torch.inference_mode():
                one_run()  # warm-up
                secs = [one_run() for _ in range(runs)]
            med = statistics.median(secs)
            emit(name=f"hf_eager_decode_b{b}", metric="tok/s", value=round(b * steps / med, 2),
                 ms=round(med / steps * 1e3, 4), batch=b, steps=steps, prompt=prompt_len, runs=runs,
                 note="ms = per decode step; tokens/s = batch*steps/median time; greedy argmax on device; "
                      "transformers " + transformers.__version__)
        except Exception as e:  # noqa: BLE001
            traceback.print_exc(file=sys.stderr)
            emit(name=f"hf_eager_decode_b{b}", error=f"{type(e).__name__}: {e}"[:500])
        finally:
            torch.cuda.empty_cache()
    del model


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None, help="model dir (config.json + model.safetensors) for the HF decode")
    ap.add_argument("--steps", type=int, default=32)
    ap.add_argument("--prompt", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--skip", default="", help="comma list of sections to skip: copy,prefill,decode,gemv,hf")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    t0 = time.time()
    try:
        import torch
    except Exception as e:  # noqa: BLE001
        emit(name="torch", error=f"import torch failed: {e}")
        return 1
    if not torch.cuda.is_available():
        emit(name="torch", error="torch.cuda.is_available() is False")
        return 1
    dev = torch.device("cuda")
    torch.manual_seed(0)
    name = torch.cuda.get_device_name(0)
    emit(name="environment", torch=torch.__version__, cuda=torch.version.cuda, device=name,
         method=f"CUDA events per call, {WARMUP} warm-ups, median of {TIMED} timed calls, random normal inputs")

    if "copy" not in skip:
        copy_bandwidth(torch, dev)
    if "prefill" not in skip:
        prefill_attention(torch, dev)
    if "decode" not in skip:
        decode_attention(torch, dev)
    if "gemv" not in skip:
        gemv(torch, dev)
    if "hf" not in skip:
        hf_decode(torch, dev, args.model, args.steps, args.prompt, args.runs,
                  [int(x) for x in args.batches.split(",") if x])
    log(f"all done in {time.time() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
