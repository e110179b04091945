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
EXPECTED = {
    "01_gradcam_fullhook_inplace_relu.py": {
        "crash": "is a view and is being modified inplace"},
    "01_gradcam_fullhook_inplace_relu.fixed.py": {"unchanged": []},
    "02_tied_lm_head_two_param_groups.py": {
        "crash": "some parameters appear in more than one parameter group"},
    "02_tied_lm_head_two_param_groups.fixed.py": {"unchanged": []},
    "03_kg_embedding_max_norm_shared.py": {
        "crash": "one of the variables needed for gradient computation has been modified by an inplace operation"},
    "03_kg_embedding_max_norm_shared.fixed.py": {"unchanged": []},
    "04_bias_group_as_set.py": {
        "crash": "optimizer parameters need to be organized in ordered collections"},
    "04_bias_group_as_set.fixed.py": {"unchanged": []},
    # the target network is never refreshed from the Q-network
    "05_dqn_target_sync_wrong_counter.py": {"unchanged": ["player.q_target.*"]},
    "05_dqn_target_sync_wrong_counter.fixed.py": {"unchanged": []},
    # the optimizer holds the meta-device parameters; the materialised ones never change
    "06_meta_init_optimizer_before_to_empty.py": {"unchanged": ["model.*"]},
    "06_meta_init_optimizer_before_to_empty.fixed.py": {"unchanged": []},
    # the optimizer holds the tensors replaced by load_state_dict(assign=True)
    "07_load_state_dict_assign_after_optimizer.py": {"unchanged": ["tuner.model.*"]},
    "07_load_state_dict_assign_after_optimizer.fixed.py": {"unchanged": []},
    # the periodic target sync loads target_qmix_net's own state_dict: the target mixer never changes
    "08_qmix_target_mixer_loads_itself.py": {"unchanged": ["policy.target_qmix_net.*"]},
    "08_qmix_target_mixer_loads_itself.fixed.py": {"unchanged": []},
    # the second run restores the finished warmup+cosine schedule, whose learning rate stays 0
    # (the first run's network `net` trains normally)
    "09_resume_finished_cosine_schedule.py": {"unchanged": ["model.*"]},
    "09_resume_finished_cosine_schedule.fixed.py": {"unchanged": []},
    # the item embedding is frozen on purpose in both runs
    "10_grad_stats_hook_on_frozen_embedding.py": {
        "crash": "cannot register a hook on a tensor that doesn't require gradient"},
    "10_grad_stats_hook_on_frozen_embedding.fixed.py": {"unchanged": ["model.embedding.weight"]},
    # normalised pixels written into a uint8 array are all 0: the first conv weight gets a zero gradient
    "11_normalized_pixels_stored_in_int_array.py": {"unchanged": ["model.features.0.weight"]},
    "11_normalized_pixels_stored_in_int_array.fixed.py": {"unchanged": []},
    # correct look-alikes: nothing is frozen on purpose, every parameter trains
    "c01_hyperiqa_target_net_frozen.py": {"unchanged": []},
    "c02_dann_gradient_reversal.py": {"unchanged": []},
    "c03_a2c_advantage_detach.py": {"unchanged": []},
    "c04_fixmatch_pseudo_label_no_grad.py": {"unchanged": []},
}


# ----------------------------------------------------------------------------- runner
def _run_one(script):
    import torch
    import torch.nn as nn

    script = os.path.abspath(script)
    module_internals = set(vars(nn.Module()).keys())
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
                # skip nn.Module's own bookkeeping (_parameters, _buffers, hooks, ...), but walk
                # the script's private attributes too: a layer kept in `self._layers = [...]`
                # (a plain list, so not registered) is otherwise invisible
                if n in module_internals or n == "training" or n.startswith("__"):
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
