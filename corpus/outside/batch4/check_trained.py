#!/usr/bin/env python
"""check_trained.py -- run a training script and report which parameters never changed.

Usage
    python check_trained.py SCRIPT.py [--json]      # run one script, print a report
    python check_trained.py --suite [DIR]           # run every script listed in DIR/expected.json
                                                    # (each in its own subprocess, OMP_NUM_THREADS=1)
                                                    # and compare with the expectations there

How it works (independent of any other tool):
  * nn.Module.__init__ is wrapped so that every module the script creates is recorded;
  * torch.optim.Optimizer.__init__ is wrapped so that every tensor handed to an optimizer
    is recorded too (covers bare tensors such as latent codes or soft prompts);
  * torch.autograd.backward (used by Tensor.backward) is wrapped: at each call, every recorded
    parameter / tensor that has not been snapshotted yet is cloned *before* the backward runs,
    i.e. before any optimizer step could touch it.  For parameters that exist at the first
    backward this is the snapshot "at the first backward"; modules created later (e.g. layers
    built inside forward()) are snapshotted at the first backward that follows their creation.
    Leaf tensors with requires_grad held in the script's global variables are tracked as well;
  * tensors of top-level modules that are never called and not attached to any other module
    (e.g. the template layer nn.TransformerEncoder deep-copies) are left out of the report;
  * the script is executed with __name__ == "__main__"; any exception is caught and recorded;
  * at the end each snapshot is compared with the current value using torch.equal.

Names: a top-level module is named by the script's global variable that holds it if there is
one, otherwise by its class name (suffixed #k when several unnamed top-level modules share a
class).  A module that is not registered in any parent but is kept in a plain list/dict/tuple
attribute of a registered module is named Parent.attr[key].  Parameters are then named
<top-level name>.<qualified parameter name>.
"""
import json
import os
import subprocess
import sys
import traceback

import torch
import torch.nn as nn

_modules = []          # every nn.Module instance created, in creation order
_opt_tensors = []      # tensors handed to any optimizer
_snap = {}             # id(tensor) -> (tensor, clone at snapshot time, backward index)
_state = {"backward_calls": 0, "globals": None}


def _install_hooks():
    orig_mod_init = nn.Module.__init__

    def mod_init(self, *args, **kwargs):
        orig_mod_init(self, *args, **kwargs)
        _modules.append(self)

    nn.Module.__init__ = mod_init

    orig_call = nn.Module.__call__

    def mod_call(self, *args, **kwargs):
        if not self.__dict__.get("_ct_called"):
            self.__dict__["_ct_called"] = True
        return orig_call(self, *args, **kwargs)

    nn.Module.__call__ = mod_call

    orig_opt_init = torch.optim.Optimizer.__init__

    def opt_init(self, params, defaults, *args, **kwargs):
        orig_opt_init(self, params, defaults, *args, **kwargs)
        for g in self.param_groups:
            for p in g["params"]:
                _opt_tensors.append(p)

    torch.optim.Optimizer.__init__ = opt_init

    orig_backward = torch.autograd.backward

    def backward(*args, **kwargs):
        _take_snapshots()
        _state["backward_calls"] += 1
        return orig_backward(*args, **kwargs)

    torch.autograd.backward = backward


def _tracked_tensors():
    g = _state["globals"]
    if g:   # modules made without __init__ (copy.deepcopy) but kept in a global
        known = {id(m) for m in _modules}
        for v in list(g.values()):
            if isinstance(v, nn.Module) and id(v) not in known:
                _modules.append(v)
    for m in list(_modules):
        for p in m.parameters():     # recursive: also reaches deep-copied children
            yield p
    for t in list(_opt_tensors):
        yield t
    if g:
        for v in list(g.values()):
            if isinstance(v, torch.Tensor) and v.requires_grad and v.is_leaf:
                yield v


def _take_snapshots():
    k = _state["backward_calls"]
    for t in _tracked_tensors():
        if id(t) not in _snap:
            _snap[id(t)] = (t, t.detach().clone(), k)


def _names():
    """Return {id(tensor): name} and {id(tensor): owner class name}."""
    g = _state["globals"] or {}
    gname = {}
    for k, v in g.items():
        if isinstance(v, (nn.Module, torch.Tensor)) and not k.startswith("__"):
            gname.setdefault(id(v), k)

    children = set()
    for m in _modules:
        for _, c in m.named_modules():
            if c is not m:
                children.add(id(c))
    roots = [m for m in _modules if id(m) not in children]

    # unregistered modules kept in plain containers of a registered module
    holder = {}
    for m in _modules:
        for attr, val in vars(m).items():
            if attr.startswith("_"):
                continue
            items = []
            if isinstance(val, (list, tuple)):
                items = [(f"[{i}]", x) for i, x in enumerate(val)]
            elif isinstance(val, dict):
                items = [(f"[{key!r}]", x) for key, x in val.items()]
            for key, x in items:
                if isinstance(x, nn.Module):
                    holder.setdefault(id(x), (m, f"{attr}{key}"))

    root_label = {}
    counts = {}
    for r in roots:
        if id(r) in gname:
            continue
        counts[type(r).__name__] = counts.get(type(r).__name__, 0) + 1
    seen = {}

    def label_of(r, depth=0):
        if id(r) in root_label:
            return root_label[id(r)]
        if id(r) in gname:
            lab = gname[id(r)]
        elif id(r) in holder and depth < 5:
            parent, attr = holder[id(r)]
            plabel = _module_label(parent, depth + 1)
            lab = f"{plabel}.{attr}"
        else:
            cls = type(r).__name__
            if counts.get(cls, 0) > 1:
                seen[cls] = seen.get(cls, 0) + 1
                lab = f"{cls}#{seen[cls]}"
            else:
                lab = cls
        root_label[id(r)] = lab
        return lab

    # label for any module (root or child): root label + path
    path_of = {}
    for r in roots:
        for qn, c in r.named_modules():
            path_of.setdefault(id(c), (r, qn))

    def _module_label(m, depth=0):
        r, qn = path_of.get(id(m), (m, ""))
        base = label_of(r, depth)
        return f"{base}.{qn}" if qn else base

    names, owner, ignored = {}, {}, set()
    for r in roots:
        base = label_of(r)
        used = any(c.__dict__.get("_ct_called") for c in r.modules())
        if not used:   # e.g. the template layer that nn.TransformerEncoder deep-copies
            ignored.update(id(p) for p in r.parameters())
        for qn, c in r.named_modules(remove_duplicate=False):
            for pn, p in c.named_parameters(recurse=False):
                full = f"{base}.{qn}.{pn}" if qn else f"{base}.{pn}"
                names.setdefault(id(p), full)
                owner.setdefault(id(p), type(c).__name__)
    n = 0
    for t in _opt_tensors:
        if id(t) not in names:
            if id(t) in gname:
                names[id(t)] = gname[id(t)]
            else:
                n += 1
                names[id(t)] = f"<optimizer tensor #{n} {tuple(t.shape)}>"
            owner[id(t)] = "Tensor"
    for k, v in g.items():
        if isinstance(v, torch.Tensor) and id(v) not in names:
            names[id(v)] = k
            owner[id(v)] = "Tensor"
    keep = {id(t) for t in _opt_tensors} | {id(v) for v in g.values() if isinstance(v, torch.Tensor)}
    return names, owner, ignored - keep


def run_script(path):
    _install_hooks()
    path = os.path.abspath(path)
    sys.argv = [path]
    sys.path.insert(0, os.path.dirname(path))
    g = {"__name__": "__main__", "__file__": path, "__builtins__": __builtins__}
    _state["globals"] = g
    exc = None
    try:
        with open(path) as f:
            code = compile(f.read(), path, "exec")
        exec(code, g)
    except BaseException as e:  # noqa: BLE001 - we want to record everything
        tb = traceback.extract_tb(e.__traceback__)
        where = None
        for fr in reversed(tb):
            if os.path.abspath(fr.filename) == path:
                where = f"line {fr.lineno}: {fr.line}"
                break
        exc = {"type": type(e).__name__, "message": str(e).splitlines()[0] if str(e) else "",
               "where": where}
    names, owner, ignored = _names()
    params, n_ignored = [], 0
    for tid, (t, before, k) in _snap.items():
        if tid in ignored:
            n_ignored += 1
            continue
        try:
            changed = not torch.equal(t.detach(), before)
        except Exception:  # shape / dtype changed
            changed = True
        params.append({"name": names.get(tid, f"<tensor {tuple(t.shape)}>"),
                       "owner": owner.get(tid, "?"), "numel": t.numel(),
                       "changed": changed, "snap_at_backward": k,
                       "requires_grad": bool(t.requires_grad)})
    params.sort(key=lambda d: d["name"])
    return {"script": os.path.basename(path), "exception": exc,
            "backward_calls": _state["backward_calls"],
            "modules_created": len(_modules), "ignored_never_called": n_ignored,
            "params": params}


def print_report(res):
    print(f"== {res['script']}")
    e = res["exception"]
    if e:
        print(f"   EXCEPTION {e['type']}: {e['message']}")
        if e["where"]:
            print(f"   raised from {e['where']}")
    else:
        print("   finished without exception")
    print(f"   backward() calls: {res['backward_calls']}, modules created: {res['modules_created']}")
    if res.get("ignored_never_called"):
        print(f"   ({res['ignored_never_called']} tensors of never-called, unattached modules ignored)")
    ps = res["params"]
    if not ps:
        print("   no parameter was snapshotted (no backward() reached)")
        return
    unchanged = [p for p in ps if not p["changed"]]
    changed = [p for p in ps if p["changed"]]
    print(f"   tracked tensors: {len(ps)}  changed: {len(changed)}  unchanged: {len(unchanged)}")
    if unchanged:
        print("   UNCHANGED:")
        for p in unchanged:
            rg = "" if p["requires_grad"] else "  (requires_grad=False)"
            print(f"     - {p['name']}  [{p['owner']}]{rg}")
    if changed:
        print("   changed:")
        for p in changed:
            print(f"     + {p['name']}  [{p['owner']}]")


def _matches(name, prefixes):
    return any(name == pr or name.startswith(pr + ".") or name.startswith(pr + "[")
               or (pr.endswith("#") and name.startswith(pr)) for pr in prefixes)


def run_suite(folder):
    with open(os.path.join(folder, "expected.json")) as f:
        spec = json.load(f)
    ok_all = True
    for script, exp in spec.items():
        proc = subprocess.run([sys.executable, os.path.abspath(__file__),
                               os.path.join(folder, script), "--json"],
                              capture_output=True, text=True, timeout=300, cwd=folder,
                              env=dict(os.environ, OMP_NUM_THREADS="1"))
        try:
            res = json.loads(proc.stdout.strip().splitlines()[-1])
        except Exception:
            print(f"FAIL {script}: checker produced no JSON\n{proc.stderr[-2000:]}")
            ok_all = False
            continue
        problems = []
        e = res["exception"]
        if "exception" in exp:
            etype, esub = exp["exception"]
            if not e:
                problems.append(f"expected {etype} but script finished")
            elif e["type"] != etype or esub not in e["message"]:
                problems.append(f"expected {etype}('{esub}') got {e['type']}('{e['message']}')")
        elif e:
            problems.append(f"unexpected exception {e['type']}: {e['message']}")
        if "unchanged" in exp:
            prefixes = exp["unchanged"]
            unchanged = {p["name"] for p in res["params"] if not p["changed"]}
            expected = {p["name"] for p in res["params"] if _matches(p["name"], prefixes)}
            if not res["params"]:
                problems.append("no parameters tracked")
            if unchanged != expected:
                extra = sorted(unchanged - expected)
                missing = sorted(expected - unchanged)
                if extra:
                    problems.append(f"unexpectedly unchanged: {extra[:6]}{' ...' if len(extra) > 6 else ''}")
                if missing:
                    problems.append(f"expected unchanged but changed: {missing[:6]}")
            for pr in prefixes:
                if not any(_matches(p["name"], [pr]) for p in res["params"]):
                    problems.append(f"prefix {pr!r} matched no tracked tensor")
        n_unch = sum(1 for p in res["params"] if not p["changed"])
        summary = (f"{e['type']}" if e else "ran") + \
                  f", tracked={len(res['params'])}, unchanged={n_unch}"
        if problems:
            ok_all = False
            print(f"FAIL {script}: {summary}")
            for pb in problems:
                print(f"      {pb}")
        else:
            print(f"ok   {script}: {summary}")
    print("ALL OK" if ok_all else "SOME CHECKS FAILED")
    return ok_all


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        sys.exit(2)
    if args[0] == "--suite":
        folder = args[1] if len(args) > 1 else os.path.dirname(os.path.abspath(__file__))
        sys.exit(0 if run_suite(folder) else 1)
    as_json = "--json" in args
    script = [a for a in args if not a.startswith("--")][0]
    real_stdout = sys.stdout
    if as_json:
        sys.stdout = open(os.devnull, "w")
    result = run_script(script)
    sys.stdout = real_stdout
    if as_json:
        print(json.dumps(result))
    else:
        print_report(result)
