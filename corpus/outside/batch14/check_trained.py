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
    parameter but was registered with ``register_buffer`` is otherwise invisible),
    its plain floating-point tensor attributes (``self.alpha = torch.zeros(n)``; reported
    with the buffers)
    and every *leaf* tensor that requires grad and is held in a module
    attribute, list, tuple or dict.  Plain objects defined by the script (Trainer
    classes, hook holders, EMA helpers, ...) are walked too.  Each tensor is named
    by the first access path found (``model.encoder.0.weight``), deduplicated by
    identity, and a copy of its value is kept together with a reference to the
    tensor object itself.  A tensor first seen under a name that an earlier, different
    tensor already had (a layer replaced during training) is named ``path@2``, ``path@3``...
    When the script ends (or crashes) every snapshotted
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
_ONMT = ["model.encoder.*", "model.decoder.*", "model.generator.*"]
# 03: the autoencoder's decoders are not on the classification path, so they never change
# during fine-tuning, not even after the repair
_SAE_DECODERS = ["model.sae.layers.0.decode.*", "model.sae.layers.1.decode.*"]
_SAE_ENCODERS = ["model.sae.layers.0.encode.*", "model.sae.layers.1.encode.*"]

EXPECTED = {
    "01_scheduler_step_instead_of_optimizer.py": {"unchanged": ["model.*"]},
    "01_scheduler_step_instead_of_optimizer.fixed.py": {"unchanged": []},
    "02_onmt_max_grad_norm_zero.py": {"unchanged": _ONMT},
    "02_onmt_max_grad_norm_zero.fixed.py": {"unchanged": []},
    "03_sae_require_grad_typo.py": {"unchanged": _SAE_ENCODERS + _SAE_DECODERS},
    "03_sae_require_grad_typo.fixed.py": {"unchanged": _SAE_DECODERS},
    "04_darts_rnn_hidden_not_repackaged.py": {"crash": "Trying to backward through the graph a second time"},
    "04_darts_rnn_hidden_not_repackaged.fixed.py": {"unchanged": []},
    "05_cls_freeze_all_empty_param_list.py": {"crash": "optimizer got an empty parameter list"},
    "05_cls_freeze_all_empty_param_list.fixed.py": {"unchanged": []},
    # the pruned conv1/conv2 are new objects (named "@2"); the old ones trained before the prune
    "06_fasterai_prune_stale_optimizer.py": {"unchanged": ["model.conv1.weight@2", "model.conv1.bias@2",
                                                           "model.conv2.weight@2", "model.conv2.bias@2"]},
    "06_fasterai_prune_stale_optimizer.fixed.py": {"unchanged": []},
    "07_char_rnn_optimizer_on_first_instance.py": {"unchanged": ["rnn.*"]},
    "07_char_rnn_optimizer_on_first_instance.fixed.py": {"unchanged": []},
    "08_textcnn_from_pretrained_frozen.py": {"unchanged": ["model.embedding.weight"]},
    "08_textcnn_from_pretrained_frozen.fixed.py": {"unchanged": []},
    "09_espnet_amp_skip_without_update.py": {"crash": "unscale_() has already been called on this optimizer since the last update()"},
    "09_espnet_amp_skip_without_update.fixed.py": {"unchanged": []},
    "10_learnable_lag_used_as_index.py": {"unchanged": ["model.lagged.lag"]},
    "10_learnable_lag_used_as_index.fixed.py": {"unchanged": []},
    "11_argmax_between_two_models.py": {"unchanged": ["model.first_model.*"]},
    "11_argmax_between_two_models.fixed.py": {"unchanged": []},
    "12_closure_inside_no_grad_optimizer.py": {"crash": "element 0 of tensors does not require grad"},
    "12_closure_inside_no_grad_optimizer.fixed.py": {"unchanged": []},
    # correct look-alikes
    # the orthogonal parametrization keeps a constant `base` buffer by design
    "c01_parametrized_orthogonal_weight.py": {"unchanged": ["model.cell.rec.parametrizations.weight.0.base"]},
    "c02_gan_without_detach.py": {"unchanged": []},
    # the sinusoidal position table is a fixed buffer
    "c03_bert_pe_require_grad_typo.py": {"unchanged": ["bert.embedding.position.pe"]},
    # the CNN trunk is a frozen feature extractor on purpose (forward under torch.no_grad)
    "c04_cnn_lstm_frozen_cnn_no_grad.py": {"unchanged": ["model.resnet.*"]},
}


# ----------------------------------------------------------------------------- runner
def _run_one(script):
    import torch
    import torch.nn as nn

    script = os.path.abspath(script)
    state = {"snap": None, "ids": set(), "buffer_ids": set(), "paths": {}}

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
                if (isinstance(v, torch.Tensor) and not isinstance(v, nn.Parameter)
                        and not v.requires_grad and v.grad_fn is None and torch.is_floating_point(v)
                        and id(v) not in seen):
                    # a plain floating-point tensor attribute of a module (neither a parameter nor a
                    # registered buffer, and not the output of a computation such as weight_norm's
                    # recomputed `weight`): reported with the buffers, since a tensor that should have
                    # been an nn.Parameter is otherwise invisible
                    seen.add(id(v))
                    state["buffer_ids"].add(id(v))
                    if id(v) not in state["ids"]:
                        out.append((f"{path}.{n}", v))
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
            # a tensor that takes over the name of an earlier, different tensor (a layer or
            # parameter replaced during training) gets a "@2", "@3", ... suffix so that the old
            # and the new object are reported separately
            n = state["paths"].get(p, 0) + 1
            state["paths"][p] = n
            if n > 1:
                p = f"{p}@{n}"
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
