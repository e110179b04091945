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
    parameters and every *leaf* tensor that requires grad and is held in a module
    attribute, list, tuple or dict.  Plain objects defined by the script (Trainer
    classes, hook holders, EMA helpers, ...) are walked too.  Each tensor is named
    by the first access path found (``model.encoder.0.weight``), deduplicated by
    identity, and a copy of its value is kept together with a reference to the
    tensor object itself.  When the script ends (or crashes) every snapshotted
    tensor object is compared with its copy; those that are bit-identical are
    reported as unchanged.  With ``--all`` a script matches its EXPECTED entry when
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
# open_clip: patch embedding, class/positional embeddings, ln_pre and the first two blocks of the
# image tower are locked on purpose (--lock-image-unlocked-groups 3) in both runs
_OPENCLIP_LOCKED = ["model.visual.conv1.*", "model.visual.class_embedding", "model.visual.positional_embedding",
                    "model.visual.ln_pre.*", "model.visual.transformer.resblocks.0.*",
                    "model.visual.transformer.resblocks.1.*"]
# ESRGAN: the perceptual-loss feature extractor is a frozen (pretrained) network
_ESRGAN_FROZEN = ["feature_criterion.feature_extractor.*"]
# Valley: the CLIP vision tower is frozen on purpose in stage-2 tuning
_VALLEY_FROZEN = ["model.model.vision_tower.*"]

EXPECTED = {
    "01_openclip_locked_tower_gradckpt.py": {"unchanged": _OPENCLIP_LOCKED + [
        "model.visual.transformer.resblocks.2.*", "model.visual.transformer.resblocks.3.*"]},
    "01_openclip_locked_tower_gradckpt.fixed.py": {"unchanged": _OPENCLIP_LOCKED},
    "02_awl_multitask_landmark_seg.py": {"unchanged": ["awl.params"]},
    "02_awl_multitask_landmark_seg.fixed.py": {"unchanged": []},
    "03_spirl_skill_prior_decoder_init.py": {"unchanged": [
        "model.decoder_input_initalizer.val", "model.decoder_hidden_initalizer.val"]},
    "03_spirl_skill_prior_decoder_init.fixed.py": {"unchanged": []},
    # the resumed network never moves; the optimizer holds the unpickled copies of the old
    # parameters, which get no gradient either
    "04_opensoundscape_resume_from_checkpoint.py": {"unchanged": [
        "resumed_model.network.*", "resumed_model.optimizer_params.*"]},
    "04_opensoundscape_resume_from_checkpoint.fixed.py": {"unchanged": []},
    "05_esrgan_gan_stage.py": {"unchanged": _ESRGAN_FROZEN + ["d_model.*"]},
    "05_esrgan_gan_stage.fixed.py": {"unchanged": _ESRGAN_FROZEN},
    # sparse embedding tables are stepped in backward and do change; the dense part never steps
    "06_tzrec_din_optimizer_wrapper.py": {"unchanged": [
        "model.din_attn.*", "model.towers.*", "model.output_mlp.*"]},
    "06_tzrec_din_optimizer_wrapper.fixed.py": {"unchanged": []},
    "07_valley_video_llm_projector.py": {"unchanged": _VALLEY_FROZEN + ["model.model.mm_projector.*"]},
    "07_valley_video_llm_projector.fixed.py": {"unchanged": _VALLEY_FROZEN},
    "08_higher_maml_sinusoid.py": {"unchanged": ["net.*"]},
    "08_higher_maml_sinusoid.fixed.py": {"unchanged": []},
    "09_hetero_han_learnable_node_embeddings.py": {"unchanged": ["model.embeddings.*"]},
    "09_hetero_han_learnable_node_embeddings.fixed.py": {"unchanged": []},
    "10_stn_cluttered_mnist.py": {"unchanged": ["model.loc_conv.*", "model.loc_fc1.*", "model.loc_fc2.*"]},
    "10_stn_cluttered_mnist.fixed.py": {"unchanged": []},
    "11_minimind_grpo_rollout.py": {"crash": "RuntimeError: Inference tensors cannot be saved for backward"},
    # the reference policy for the KL term is a frozen copy on purpose
    "11_minimind_grpo_rollout.fixed.py": {"unchanged": ["ref_model.*"]},
    "12_snntorch_scnn_encoder_classifier.py": {"crash": "RuntimeError: Trying to backward through the graph a second time"},
    "12_snntorch_scnn_encoder_classifier.fixed.py": {"unchanged": []},
    "13_pydens_poisson_lbfgs.py": {"crash": "TypeError: LBFGS.step() missing 1 required positional argument: 'closure'"},
    # `xs` are the collocation points: input leaves with requires_grad=True (for u_x, u_xx), not parameters
    "13_pydens_poisson_lbfgs.fixed.py": {"unchanged": ["xs"]},
    "14_insightface_arcface_bn_groups.py": {"crash": "ValueError: some parameters appear in more than one parameter group"},
    "14_insightface_arcface_bn_groups.fixed.py": {"unchanged": []},
    # look-alikes: correct scripts
    "c01_medt_gated_axial_warmup.py": {"unchanged": []},
    "c02_grip_trainable_graph.py": {"unchanged": []},
    "c03_deepseek_moe_aux_loss.py": {"unchanged": []},
    "c04_dat_deformable_offsets.py": {"unchanged": []},
}


# ----------------------------------------------------------------------------- runner
def _run_one(script):
    import torch
    import torch.nn as nn

    script = os.path.abspath(script)
    state = {"snap": None, "ids": set()}

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
            state["snap"].append((p, t, t.detach().clone(), bool(t.requires_grad)))

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
              "unchanged": [], "unchanged_frozen": [], "changed": []}
    if state["snap"] is not None:
        result["tracked"] = len(state["snap"])
        for path, t, old, rg in state["snap"]:
            cur = t.detach()
            same = cur.shape == old.shape and torch.equal(cur, old)
            if same:
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
    unchanged = res["unchanged"] + res["unchanged_frozen"]
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
    if not res["unchanged"] and not res["unchanged_frozen"]:
        print("   every tracked tensor changed")


def _run_subprocess(script):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--json", script],
                          cwd=HERE, capture_output=True, text=True, timeout=300, env=env)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    return {"script": os.path.basename(script), "error": f"checker failed: {proc.stderr[-500:]}",
            "snapshot": False, "tracked": 0, "unchanged": [], "unchanged_frozen": [], "changed": []}


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
                what = f"unchanged={len(res['unchanged']) + len(res['unchanged_frozen'])}/{res['tracked']}"
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
