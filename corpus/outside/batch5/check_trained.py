"""Independent verification wrapper for the outside-batch-5 scripts.

    python check_trained.py SCRIPT.py      run one script under instrumentation and print a report
    python check_trained.py --all          run every script of this folder, one at a time, in a
                                           subprocess, and compare with the EXPECT table below

Instrumentation (single-script mode):
  * every nn.Module constructed while the script runs is recorded (nn.Module.__init__ is wrapped);
  * at the first autograd call (Tensor.backward / torch.autograd.backward / torch.autograd.grad),
    i.e. before any optimizer step, the recorded modules that are still alive (after gc) and all
    their submodules are tracked (plus modules found by gc that were created without __init__,
    e.g. by copy.deepcopy), and every tensor owned by a tracked module is cloned: registered
    parameters, and also unregistered tensors that require grad (plain attributes, or tensors kept
    in a list/dict attribute);
  * when the script ends (normally or with an exception) every snapshotted tensor is compared with
    torch.equal.  Modules that were replaced by another module (old child overwritten) and are no
    longer attached anywhere are reported as "orphaned" and not compared.

Names: a module that is a global of the script is named by its global name, any other root module
by its class name; children follow with a dotted path, modules held in a Python list/dict
attribute with ``attr[i]``.
"""
import json
import os
import subprocess
import sys
import traceback
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))


# --------------------------------------------------------------------------------------------
# expectations for --all
#   "crash": substring of the exception message that must be raised
#   "unchanged": name prefixes; the set of unchanged tensors must be exactly those matching
#               the prefixes (every prefix must match at least one tensor)
# --------------------------------------------------------------------------------------------
EXPECT = {
    "01_srgan_superres.py": {"crash": "modified by an inplace operation"},
    "01_srgan_superres.fixed.py": {"unchanged": []},
    "02_unsup_segmentation.py": {"unchanged": ["model.conv2", "model.bn2"]},
    "02_unsup_segmentation.fixed.py": {"unchanged": []},
    "03_sac_point_reach.py": {"crash": "is a view and is being modified inplace"},
    "03_sac_point_reach.fixed.py": {"unchanged": []},
    "04_rgcn_citation.py": {"unchanged": ["RGCN.layers.0.rel_weight", "RGCN.layers.1.rel_weight"]},
    "04_rgcn_citation.fixed.py": {"unchanged": []},
    "05_vit_dpt_depth.py": {"crash": "Inference tensors cannot be saved for backward"},
    "05_vit_dpt_depth.fixed.py": {"unchanged": ["ViTBackbone"]},
    "06_hsi_unmixing.py": {"unchanged": ["net.layer2"]},
    "06_hsi_unmixing.fixed.py": {"unchanged": []},
    "07_snn_stream_tbptt.py": {"crash": "backward through the graph a second time"},
    "07_snn_stream_tbptt.fixed.py": {"unchanged": []},
    "08_text_two_stage_finetune.py": {"unchanged": ["model.embed", "model.pos", "model.encoder"]},
    "08_text_two_stage_finetune.fixed.py": {"unchanged": []},
    "09_melu_maml_coldstart.py": {"crash": "appears to not have been used in the graph"},
    "09_melu_maml_coldstart.fixed.py": {"unchanged": []},
    "10_resnet_finetune_trainer.py": {"unchanged": ["model.fc"]},
    "10_resnet_finetune_trainer.fixed.py": {"unchanged": []},
    "11_pgd_adv_training.py": {"crash": "does not require grad and does not have a grad_fn"},
    "11_pgd_adv_training.fixed.py": {"unchanged": []},
    "12_kws_learnable_frontend.py": {"unchanged": ["KeywordSpotter.frontend"]},
    "12_kws_learnable_frontend.fixed.py": {"unchanged": []},
    "13_magnitude_pruning.py": {"crash": "leaf Variable that requires grad is being used in an in-place operation"},
    "13_magnitude_pruning.fixed.py": {"unchanged": []},
    "14_switch_moe_classifier.py": {"unchanged": ["model.layers.0.ffn.switch", "model.layers.1.ffn.switch"]},
    "14_switch_moe_classifier.fixed.py": {"unchanged": []},
    "c01_byol_pretrain.py": {"unchanged": []},
    "c02_linear_probe.py": {"unchanged": ["backbone"]},
    "c03_dcgan_blobs.py": {"unchanged": []},
    "c04_tiny_gpt_lm.py": {"unchanged": []},
}


# --------------------------------------------------------------------------------------------
# single-script instrumentation
# --------------------------------------------------------------------------------------------
def run_one(path):
    import torch
    import torch.nn as nn

    torch.set_num_threads(1)
    import gc
    import weakref

    recorded = []          # weak refs to every module constructed, creation order
    tracked = []           # strong refs to the modules alive at the snapshot (and their submodules)
    state = {"snap": None, "n_autograd_calls": 0}

    orig_init = nn.Module.__init__

    def init(self, *a, **k):
        orig_init(self, *a, **k)
        object.__setattr__(self, "_ct_replaced", False)
        recorded.append(weakref.ref(self))

    nn.Module.__init__ = init

    orig_setattr = nn.Module.__setattr__

    def setattr_(self, name, value):
        mods = self.__dict__.get("_modules")
        if mods is not None and name in mods and isinstance(mods[name], nn.Module) and mods[name] is not value:
            object.__setattr__(mods[name], "_ct_replaced", True)
        orig_setattr(self, name, value)

    nn.Module.__setattr__ = setattr_

    def owned_tensors(m):
        """(attr_name, tensor, registered) for tensors that belong directly to module m."""
        out = []
        for n, p in m._parameters.items():
            if p is not None:
                out.append((n, p, True))
        for n, v in m.__dict__.items():
            if n.startswith("_"):
                continue
            if isinstance(v, torch.Tensor) and (v.requires_grad or isinstance(v, nn.Parameter)):
                out.append((n, v, False))
            elif isinstance(v, (list, tuple)):
                for i, t in enumerate(v):
                    if isinstance(t, torch.Tensor) and (t.requires_grad or isinstance(t, nn.Parameter)):
                        out.append(("%s[%d]" % (n, i), t, False))
            elif isinstance(v, dict):
                for k, t in v.items():
                    if isinstance(t, torch.Tensor) and (t.requires_grad or isinstance(t, nn.Parameter)):
                        out.append(("%s[%r]" % (n, k), t, False))
        return out

    def take_snapshot():
        # modules that are garbage by now (e.g. a template layer deep-copied by
        # nn.TransformerEncoder, or a head replaced before training) are not tracked
        gc.collect()
        seen_ids = set()
        roots = [r() for r in recorded]
        # modules made by copy.deepcopy (EMA/target networks) never run __init__: find them with gc
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            roots += [o for o in gc.get_objects() if isinstance(o, nn.Module) and id(o) not in pre_existing]
        for m in roots:
            if m is None:
                continue
            for sub in m.modules():   # also catches deep-copied submodules
                if id(sub) not in seen_ids:
                    seen_ids.add(id(sub))
                    tracked.append(sub)
        snap = {}
        for m in tracked:
            for n, t, reg in owned_tensors(m):
                snap[id(t)] = (t, t.detach().clone(), bool(t.requires_grad))
        state["snap"] = snap

    def hook_first():
        state["n_autograd_calls"] += 1
        if state["snap"] is None:
            take_snapshot()

    orig_backward = torch.autograd.backward
    orig_grad = torch.autograd.grad

    def backward(*a, **k):
        hook_first()
        return orig_backward(*a, **k)

    def grad(*a, **k):
        hook_first()
        return orig_grad(*a, **k)

    torch.autograd.backward = backward
    torch.autograd.grad = grad

    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pre_existing = {id(o) for o in gc.get_objects() if isinstance(o, nn.Module)}
    ns = {"__name__": "__main__", "__file__": path, "__builtins__": __builtins__}
    sys.argv = [path]
    crash = None
    try:
        with open(path) as f:
            code = compile(f.read(), path, "exec")
        exec(code, ns)
    except BaseException as e:  # noqa
        crash = {"type": type(e).__name__, "message": str(e).splitlines()[0] if str(e) else "",
                 "where": traceback.extract_tb(e.__traceback__)[-1].line if e.__traceback__ else ""}
    finally:
        nn.Module.__init__ = orig_init
        nn.Module.__setattr__ = orig_setattr
        torch.autograd.backward = orig_backward
        torch.autograd.grad = orig_grad

    # ---- naming -------------------------------------------------------------------------
    parent = {}
    for m in tracked:
        for n, c in m._modules.items():
            if c is not None:
                parent[id(c)] = (m, n)
        for n, v in m.__dict__.items():
            if n.startswith("_"):
                continue
            if isinstance(v, (list, tuple)):
                for i, c in enumerate(v):
                    if isinstance(c, nn.Module):
                        parent.setdefault(id(c), (m, "%s[%d]" % (n, i)))
            elif isinstance(v, dict):
                for k, c in v.items():
                    if isinstance(c, nn.Module):
                        parent.setdefault(id(c), (m, "%s[%r]" % (n, k)))
    global_names = {}
    for k, v in ns.items():
        if isinstance(v, nn.Module) and not k.startswith("_"):
            global_names.setdefault(id(v), k)

    def name_of(m, depth=0):
        if id(m) in global_names:
            return global_names[id(m)]
        if id(m) in parent and depth < 50:
            pm, attr = parent[id(m)]
            pname = name_of(pm, depth + 1)
            return pname + ("." if not attr.startswith("[") else "") + attr
        return type(m).__name__

    report = {"script": os.path.basename(path), "crash": crash,
              "autograd_calls": state["n_autograd_calls"], "tensors": [], "orphaned": [], "new": []}
    snap = state["snap"] or {}
    seen = set()
    for m in tracked:
        is_orphan = getattr(m, "_ct_replaced", False) and id(m) not in parent
        # a module whose root ancestor is an orphan is itself orphaned
        a = m
        while not is_orphan and id(a) in parent:
            a = parent[id(a)][0]
            if getattr(a, "_ct_replaced", False) and id(a) not in parent:
                is_orphan = True
        mname = name_of(m)
        for n, t, reg in owned_tensors(m):
            if id(t) in seen:
                continue
            seen.add(id(t))
            full = mname + "." + n
            if is_orphan:
                report["orphaned"].append(full)
                continue
            if id(t) not in snap:
                if state["snap"] is not None:
                    report["new"].append(full)
                continue
            _, before, rg = snap[id(t)]
            changed = not torch.equal(before, t.detach())
            report["tensors"].append({"name": full, "changed": changed, "registered": reg,
                                      "requires_grad_at_snapshot": rg})
    tracked_ids = {id(m) for m in tracked}
    if state["snap"] is not None:
        for r in recorded:
            m = r()
            if m is not None and id(m) not in tracked_ids and not getattr(m, "_ct_replaced", False):
                for n, t, reg in owned_tensors(m):
                    report["new"].append(name_of(m) + "." + n)
    return report


def print_report(r):
    print("=" * 78)
    print("script:", r["script"])
    if r["crash"]:
        print("CRASH  %s: %s" % (r["crash"]["type"], r["crash"]["message"]))
        print("       at: %s" % r["crash"]["where"])
    else:
        print("COMPLETED")
    print("autograd calls:", r["autograd_calls"])
    if not r["tensors"]:
        print("(no snapshot taken / nothing compared)")
    unchanged = [t for t in r["tensors"] if not t["changed"]]
    changed = [t for t in r["tensors"] if t["changed"]]
    print("changed tensors: %d" % len(changed))
    print("unchanged tensors: %d" % len(unchanged))
    for t in unchanged:
        flags = []
        if not t["registered"]:
            flags.append("NOT REGISTERED")
        if not t["requires_grad_at_snapshot"]:
            flags.append("requires_grad=False at snapshot")
        print("   UNCHANGED  %s %s" % (t["name"], ("(" + ", ".join(flags) + ")") if flags else ""))
    for o in r["orphaned"]:
        print("   orphaned (replaced module, not compared): %s" % o)
    for o in r["new"]:
        print("   created after snapshot (not compared): %s" % o)


def check_expect(r, exp):
    problems = []
    if "crash" in exp:
        if not r["crash"]:
            problems.append("expected a crash containing %r, script completed" % exp["crash"])
        elif exp["crash"] not in r["crash"]["message"]:
            problems.append("crash message mismatch: %r" % r["crash"]["message"])
        return problems
    if r["crash"]:
        problems.append("unexpected crash: %s: %s" % (r["crash"]["type"], r["crash"]["message"]))
        return problems
    if not r["tensors"]:
        problems.append("no tensors compared")
    prefixes = exp["unchanged"]

    def match(name, p):
        return name == p or name.startswith(p + ".") or name.startswith(p + "[")

    for t in r["tensors"]:
        expected_unchanged = any(match(t["name"], p) for p in prefixes)
        if expected_unchanged and t["changed"]:
            problems.append("expected unchanged but changed: %s" % t["name"])
        if not expected_unchanged and not t["changed"]:
            problems.append("expected to train but unchanged: %s" % t["name"])
    for p in prefixes:
        if not any(match(t["name"], p) for t in r["tensors"]):
            problems.append("prefix matched nothing: %s" % p)
    return problems


def run_all():
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    scripts = sorted(f for f in os.listdir(HERE) if f.endswith(".py") and f != "check_trained.py")
    missing = sorted(set(EXPECT) - set(scripts))
    extra = sorted(set(scripts) - set(EXPECT))
    ok_all = True
    for s in scripts:
        if s not in EXPECT:
            continue
        p = subprocess.run([sys.executable, __file__, "--json", os.path.join(HERE, s)],
                           capture_output=True, text=True, env=env, timeout=300)
        line = [l for l in p.stdout.splitlines() if l.startswith("CHECK_RESULT ")]
        if not line:
            print("FAIL %-48s no result (rc=%d) %s" % (s, p.returncode, p.stderr[-500:]))
            ok_all = False
            continue
        r = json.loads(line[-1][len("CHECK_RESULT "):])
        probs = check_expect(r, EXPECT[s])
        n_ch = sum(t["changed"] for t in r["tensors"])
        n_un = len(r["tensors"]) - n_ch
        what = ("crash %s" % r["crash"]["type"]) if r["crash"] else "completed"
        print("%s %-48s %-22s changed=%-3d unchanged=%-3d" % ("ok  " if not probs else "FAIL", s, what, n_ch, n_un))
        for pr in probs:
            print("       -", pr)
        ok_all = ok_all and not probs
    if missing:
        print("missing scripts:", missing)
        ok_all = False
    if extra:
        print("scripts without expectation:", extra)
    print("ALL OK" if ok_all else "SOME CHECKS FAILED")
    return 0 if ok_all else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    if args == ["--all"]:
        sys.exit(run_all())
    as_json = False
    if args and args[0] == "--json":
        as_json = True
        args = args[1:]
    if len(args) != 1:
        print(__doc__)
        sys.exit(2)
    target = os.path.abspath(args[0])
    sys.path.insert(0, os.path.dirname(target))
    rep = run_one(target)
    sys.stdout.flush()
    if as_json:
        print("CHECK_RESULT " + json.dumps(rep))
    else:
        print_report(rep)
