#!/usr/bin/env python
"""Independent checker: which parameters of a training script never change?

Usage
    python check_trained.py SCRIPT.py          # run one script, print a report
    python check_trained.py --json SCRIPT.py   # same, machine readable (last line)
    python check_trained.py --all              # run every script in this folder and
                                               # compare with the EXPECTED table below

How it works
    The script is executed in-process with ``runpy`` (as ``__main__``).  Every
    call of ``torch.autograd.backward`` (which ``Tensor.backward`` goes through) or
    ``torch.autograd.grad`` triggers a snapshot of the tensors not seen before, so
    each tensor is copied at the first backward after which it exists (modules
    built after a pre-training phase, lazily created parameters, ...): every frame
    of the script on the stack is inspected (its globals first, then its locals,
    outermost frame first) and every reachable ``nn.Module`` is walked.  For each module we record its
    parameters, its floating-point buffers (a tensor that should have been a
    parameter but was registered with ``register_buffer`` is otherwise invisible)
    and every *leaf* tensor that requires grad and is held in a module
    attribute, list, tuple or dict.  Plain objects defined by the script (Trainer
    classes, hook holders, EMA helpers, ...) are walked too.  Each tensor is named
    by the first access path found (``model.encoder.0.weight``), deduplicated by
    identity, and a copy of its value is kept together with a reference to the
    tensor object itself.  When the script ends (or crashes) every snapshotted
    tensor object is compared with its copy; those that are bit-identical are
    reported as unchanged (buffers in their own group, so constant buffers such
    as position grids or frozen BatchNorm statistics must be listed as well).
    With ``--all`` a script matches its EXPECTED entry when
    the unchanged tensors are exactly the listed ones (no tensor under a listed
    pattern may have changed) or, for a crash, when the error text contains the
    expected message.
"""
import json
import os
import runpy
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
MARK = "@@CHECK_TRAINED@@"

# --------------------------------------------------------------------------------------
# Expected outcome for every script.
#   "crash":     substring expected in "<ExceptionType>: <message>"
#   "unchanged": exact set of parameter paths expected to stay bit-identical
#                (a trailing ".*" matches every tensor under that prefix)
# Intentionally frozen parameters appear in "unchanged" for the faulty AND fixed runs.
# --------------------------------------------------------------------------------------
# slot attention: the soft position-embedding grids are constant buffers by design
_SLOT_GRIDS = ["model.encoder_pos_embedding.grid", "model.decoder_pos_embedding.grid"]
# GPT-1 port: the causal attention masks are constant buffers
_GPT_MASKS = ["model.h.0.attn.b", "model.h.1.attn.b"]
# DenseNet fine-tuning: stem, denseblock1, transition1 and denseblock2 are frozen on purpose (their
# BatchNorm running statistics still move in train mode, so only weights/biases are listed)
_DENSENET_FROZEN = (["model.features.conv0.weight", "model.features.norm0.weight", "model.features.norm0.bias",
                     "model.features.transition1.0.weight", "model.features.transition1.0.bias",
                     "model.features.transition1.2.weight"]
                    + [f"model.features.denseblock{b}.{l}.{m}" for b in (1, 2) for l in (0, 1)
                       for m in ("norm1.weight", "norm1.bias", "conv1.weight", "norm2.weight", "norm2.bias",
                                 "conv2.weight")])
# BPPNet: the perceptual VGG is frozen, the GAN label buffers are constants, and the power-iteration
# vector of the 1-output spectral-norm conv is a unit scalar that never changes
_BPPNET_CONST = ["DUNet.content_loss.vgg.*", "DUNet.adversarial_loss.real_label",
                 "DUNet.adversarial_loss.fake_label", "DUNet.discriminator.conv5.weight_u"]

EXPECTED = {
    "01_rqvae_semantic_ids_ste_codebook.py": {"unchanged": [
        "model.layers.0.embedding.weight", "model.layers.1.embedding.weight", "model.layers.2.embedding.weight"]},
    "01_rqvae_semantic_ids_ste_codebook.fixed.py": {"unchanged": []},
    "02_slot_attention_learned_slot_init.py": {"unchanged": _SLOT_GRIDS + [
        "model.slot_attention.slots_mu", "model.slot_attention.slots_log_sigma"]},
    "02_slot_attention_learned_slot_init.fixed.py": {"unchanged": _SLOT_GRIDS},
    "03_speechbrain_weighted_ssl_finetune.py": {"unchanged": ["ssl_model.model.*"]},
    "03_speechbrain_weighted_ssl_finetune.fixed.py": {"unchanged": []},
    "04_deepxde_deeponet_antiderivative.py": {"unchanged": ["net.b"]},
    "04_deepxde_deeponet_antiderivative.fixed.py": {"unchanged": []},
    # `x_adv` are the PGD adversarial inputs: leaf input tensors with requires_grad, not parameters
    "05_robust_moe_router_adversarial.py": {"unchanged": ["net.router.gate.*", "x_adv"]},
    "05_robust_moe_router_adversarial.fixed.py": {"unchanged": ["x_adv"]},
    "06_jorldy_ddpg_soft_target_update.py": {"unchanged": ["agent.target_actor.*"]},
    "06_jorldy_ddpg_soft_target_update.fixed.py": {"unchanged": []},
    "07_openai_gpt_rocstories_finetune.py": {"unchanged": _GPT_MASKS + ["clf_head.linear.*"]},
    "07_openai_gpt_rocstories_finetune.fixed.py": {"unchanged": _GPT_MASKS},
    "08_pytorch_warmup_emnist_adamw.py": {"unchanged": ["model.*"]},
    "08_pytorch_warmup_emnist_adamw.fixed.py": {"unchanged": []},
    "09_maml_fewshot_logistics_regression.py": {"unchanged": ["model.network.*"]},
    "09_maml_fewshot_logistics_regression.fixed.py": {"unchanged": []},
    "10_pet_fewshot_gradient_accumulation.py": {"unchanged": ["wrapper.model.*"]},
    "10_pet_fewshot_gradient_accumulation.fixed.py": {"unchanged": []},
    "11_densenet_partial_freeze_classification.py": {"crash": "ValueError: optimizer got an empty parameter list"},
    "11_densenet_partial_freeze_classification.fixed.py": {"unchanged": _DENSENET_FROZEN},
    "12_grit_caption_freeze_backbone.py": {"crash": (
        "RuntimeError: Tensor.__contains__ only supports Tensor or scalar, but you passed in a <class 'str'>")},
    # the detector backbone is frozen on purpose for the first (freezing) XE epochs
    "12_grit_caption_freeze_backbone.fixed.py": {"unchanged": ["detector.backbone.*"]},
    "13_bppnet_dehazing_gan.py": {"crash": (
        "RuntimeError: one of the variables needed for gradient computation has been modified by an inplace operation")},
    "13_bppnet_dehazing_gan.fixed.py": {"unchanged": _BPPNET_CONST},
    "14_minicpmv_tune_vision_frozen_llm.py": {"crash": (
        "RuntimeError: a view of a leaf Variable that requires grad is being used in an in-place operation")},
    # --tune_llm false: the language model is frozen on purpose
    "14_minicpmv_tune_vision_frozen_llm.fixed.py": {"unchanged": ["model.llm.*"]},
    # look-alikes: correct scripts
    "c01_byol_ema_target_network.py": {"unchanged": []},
    # the pretrained ViT is only evaluated (linear probe protocol); its parameters keep requires_grad=True
    "c02_dino_linear_probe_frozen_vit.py": {"unchanged": ["model.*"]},
    "c03_vqvae_ema_codebook.py": {"unchanged": []},
    "c04_td3_delayed_policy_targets.py": {"unchanged": []},
}


# ----------------------------------------------------------------------------- runner
def _run_one(script):
    import torch
    import torch.nn as nn

    script = os.path.abspath(script)
    state = {"snap": None, "ids": set(), "buffer_ids": set()}

    def walk(obj, path, out, seen, depth):
        if depth > 8 or id(obj) in seen:
            return
        if isinstance(obj, torch.Tensor):
            if isinstance(obj, nn.Parameter) or (obj.requires_grad and obj.is_leaf):
                seen.add(id(obj))
                if id(obj) not in state["ids"]:
                    out.append((path, obj))
            return
        if isinstance(obj, torch.optim.Optimizer):
            return
        seen.add(id(obj))
        if isinstance(obj, nn.Module):
            for n, p in obj._parameters.items():
                if p is not None:
                    walk(p, f"{path}.{n}", out, seen, depth + 1)
            for n, b in obj._buffers.items():
                if isinstance(b, torch.Tensor) and torch.is_floating_point(b) and id(b) not in seen:
                    seen.add(id(b))
                    state["buffer_ids"].add(id(b))
                    if id(b) not in state["ids"]:
                        out.append((f"{path}.{n}", b))
            for n, m in obj._modules.items():
                if m is not None:
                    walk(m, f"{path}.{n}", out, seen, depth + 1)
            for n, v in list(vars(obj).items()):
                if n.startswith("_") or n == "training":
                    continue
                walk(v, f"{path}.{n}", out, seen, depth + 1)
        elif isinstance(obj, (list, tuple)):
            for i, v in enumerate(obj):
                walk(v, f"{path}.{i}", out, seen, depth + 1)
        elif isinstance(obj, dict):
            for k, v in list(obj.items()):
                if isinstance(k, (str, int)):
                    walk(v, f"{path}.{k}", out, seen, depth + 1)
        elif type(obj).__module__ == "__main__" and hasattr(obj, "__dict__") and not isinstance(obj, type):
            for n, v in list(vars(obj).items()):
                if not n.startswith("__"):
                    walk(v, f"{path}.{n}", out, seen, depth + 1)

    def take_snapshot():
        frames = []
        f = sys._getframe()
        while f is not None:
            if os.path.abspath(f.f_code.co_filename) == script:
                frames.append(f)
            f = f.f_back
        frames.reverse()  # outermost first
        out, seen = [], set()
        scopes = []
        if frames:
            scopes.append(frames[0].f_globals)
        for fr in frames:
            if fr.f_locals is not fr.f_globals:
                scopes.append(fr.f_locals)
        for scope in scopes:
            for name, val in list(scope.items()):
                if name.startswith("__"):
                    continue
                if isinstance(val, (nn.Module, torch.Tensor, list, tuple, dict)) or (
                        type(val).__module__ == "__main__" and not isinstance(val, type)
                        and hasattr(val, "__dict__")):
                    walk(val, name, out, seen, 0)
        if state["snap"] is None:
            state["snap"] = []
        for p, t in out:
            state["ids"].add(id(t))
            state["snap"].append((p, t, t.detach().clone(), bool(t.requires_grad),
                                  id(t) in state["buffer_ids"]))

    orig_backward = torch.autograd.backward
    orig_grad = torch.autograd.grad

    def backward(*a, **k):
        take_snapshot()
        return orig_backward(*a, **k)

    def grad(*a, **k):
        take_snapshot()
        return orig_grad(*a, **k)

    torch.autograd.backward = backward
    torch.autograd.grad = grad

    error = None
    sys.argv = [script]
    try:
        runpy.run_path(script, run_name="__main__")
    except BaseException as e:  # noqa: BLE001
        error = f"{type(e).__name__}: {e}"
        tb = traceback.format_exc().strip().splitlines()
        print("\n".join(tb[-6:]), file=sys.stderr)
    finally:
        torch.autograd.backward = orig_backward
        torch.autograd.grad = orig_grad

    result = {"script": os.path.basename(script), "error": error,
              "snapshot": state["snap"] is not None, "tracked": 0,
              "unchanged": [], "unchanged_frozen": [], "unchanged_buffers": [], "changed": []}
    if state["snap"] is not None:
        result["tracked"] = len(state["snap"])
        for path, t, old, rg, is_buffer in state["snap"]:
            cur = t.detach()
            same = cur.shape == old.shape and torch.equal(cur, old)
            if same:
                if is_buffer:
                    result["unchanged_buffers"].append(path)
                else:
                    (result["unchanged"] if rg else result["unchanged_frozen"]).append(path)
            else:
                result["changed"].append(path)
    return result


def _matches(pattern, path):
    if pattern.endswith(".*"):
        return path.startswith(pattern[:-1])
    return path == pattern


def _compare(res, exp):
    """Return a list of problems (empty = as expected)."""
    problems = []
    if "crash" in exp:
        if res["error"] is None:
            problems.append("expected a crash, script finished")
        elif exp["crash"] not in res["error"]:
            problems.append(f"unexpected error: {res['error']}")
        return problems
    if res["error"] is not None:
        return [f"unexpected crash: {res['error']}"]
    if not res["snapshot"]:
        return ["no backward call was seen"]
    unchanged = res["unchanged"] + res["unchanged_frozen"] + res.get("unchanged_buffers", [])
    pats = exp["unchanged"]
    extra = [p for p in unchanged if not any(_matches(q, p) for q in pats)]
    missing = [q for q in pats if not any(_matches(q, p) for p in unchanged)]
    # a ".*" pattern must cover *only* unchanged tensors: anything under it that changed is a miss
    changed_under = [p for p in res.get("changed", []) if any(_matches(q, p) for q in pats)]
    if changed_under:
        problems.append(f"changed although listed as unchanged: {changed_under}")
    if extra:
        problems.append(f"unexpectedly unchanged: {extra}")
    if missing:
        problems.append(f"expected unchanged but changed (or absent): {missing}")
    return problems


def _print_report(res):
    print(f"== {res['script']}")
    if res["error"]:
        print(f"   CRASH  {res['error'].splitlines()[0][:200]}")
    if not res["snapshot"]:
        print("   (no backward reached: nothing snapshotted)")
        return
    print(f"   tracked tensors: {res['tracked']}")
    if res["unchanged"]:
        print("   UNCHANGED (requires_grad=True):")
        for p in res["unchanged"]:
            print(f"     - {p}")
    if res["unchanged_frozen"]:
        print("   unchanged (requires_grad=False, frozen):")
        for p in res["unchanged_frozen"]:
            print(f"     - {p}")
    if res.get("unchanged_buffers"):
        print("   unchanged buffers:")
        for p in res["unchanged_buffers"]:
            print(f"     - {p}")
    if not res["unchanged"] and not res["unchanged_frozen"] and not res.get("unchanged_buffers"):
        print("   every tracked tensor changed")


def _run_subprocess(script):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--json", script],
                          cwd=HERE, capture_output=True, text=True, timeout=300, env=env)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    return {"script": os.path.basename(script), "error": f"checker failed: {proc.stderr[-500:]}",
            "snapshot": False, "tracked": 0, "unchanged": [], "unchanged_frozen": [],
            "unchanged_buffers": [], "changed": []}


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if argv[0] == "--json":
        res = _run_one(argv[1])
        sys.stdout.flush()
        print(MARK + json.dumps(res))
        return 0
    if argv[0] == "--all":
        scripts = sorted(f for f in os.listdir(HERE)
                         if f.endswith(".py") and (f[:2].isdigit() or f.startswith("c0")))
        failures = 0
        for s in scripts:
            res = _run_subprocess(os.path.join(HERE, s))
            exp = EXPECTED.get(s)
            if exp is None:
                print(f"?? {s}: no expectation in EXPECTED")
                failures += 1
                continue
            problems = _compare(res, exp)
            if "crash" in exp:
                what = f"crash  [{(res['error'] or '').splitlines()[0][:90] if res['error'] else 'none'}]"
            else:
                n_same = len(res['unchanged']) + len(res['unchanged_frozen']) + len(res.get('unchanged_buffers', []))
                what = f"unchanged={n_same}/{res['tracked']}"
            status = "OK  " if not problems else "FAIL"
            print(f"{status} {s:45s} {what}")
            for p in problems:
                print(f"       {p}")
            failures += bool(problems)
        missing = [k for k in EXPECTED if k not in scripts]
        for k in missing:
            print(f"FAIL {k}: listed in EXPECTED but file is missing")
        failures += len(missing)
        print(f"\n{failures} problem(s)" if failures else f"\nall {len(scripts)} scripts behave as expected")
        return 1 if failures else 0
    res = _run_one(argv[0])
    sys.stdout.flush()
    _print_report(res)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
