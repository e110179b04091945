"""Relocate the events of a microseismic catalogue against a dense surface array.

The real-time catalogue locates every event within a couple of hundred metres; the relocation
refines all hypocentres jointly from the manual P picks (seconds) with straight rays in a
homogeneous half-space. Coordinates are in metres (easting, northing, depth). The origin time of
each event is eliminated by demeaning its residuals, the usual trick, so only the positions are
fitted.
"""
import math
import random
from collections import namedtuple

import torch
from torch import optim

torch.set_default_dtype(torch.float64)

VP = 5800.0          # m/s
PICK_SIGMA = 0.004   # s
Station = namedtuple("Station", "code east north elev")


def make_array(n=16, aperture=12_000.0, seed=1):
    rnd = random.Random(seed)
    return [Station(f"MS{i:02d}", rnd.uniform(0, aperture), rnd.uniform(0, aperture), 0.0) for i in range(n)]


def travel_times(hypo, stations):
    """hypo: (E, 3) positions -> (E, S) P travel times along straight rays."""
    rec = torch.tensor([[s.east, s.north, -s.elev] for s in stations])
    dist = torch.linalg.vector_norm(hypo[:, None, :] - rec[None, :, :], dim=-1)
    return dist / VP


def demeaned_residuals(picks, hypo, stations):
    r = picks - travel_times(hypo, stations)
    return r - r.mean(dim=1, keepdim=True)


def synthetic_catalogue(stations, n_events=8, seed=2):
    g = torch.Generator().manual_seed(seed)
    true = torch.stack([
        4000 + 4000 * torch.rand(n_events, generator=g),
        4000 + 4000 * torch.rand(n_events, generator=g),
        2500 + 1500 * torch.rand(n_events, generator=g),
    ], dim=1)
    origin = 60.0 * torch.rand(n_events, 1, generator=g)
    picks = origin + travel_times(true, stations) + PICK_SIGMA * torch.randn(n_events, len(stations), generator=g)
    catalogue = true + torch.tensor([150.0, 150.0, 300.0]) * torch.randn(n_events, 3, generator=g)
    return picks, catalogue, true


def relocate(picks, catalogue, stations, rounds=4):
    hypo = catalogue.clone().requires_grad_(True)
    optimizer = optim.LBFGS([hypo], lr=1, max_iter=30, tolerance_grad=1e-5, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        misfit = demeaned_residuals(picks, hypo, stations).pow(2).mean()
        misfit.backward()
        return misfit

    for k in range(rounds):
        misfit = optimizer.step(closure)
        print(f"iteration {k}: rms residual {math.sqrt(misfit.item()) * 1e3:.2f} ms")
    return hypo.detach()


def location_error(est, true):
    d = est - true
    return d[:, :2].norm(dim=1).mean().item(), d[:, 2].abs().mean().item()


def main():
    stations = make_array()
    picks, catalogue, true = synthetic_catalogue(stations)
    h, z = location_error(catalogue, true)
    print(f"catalogue:  mean epicentral error {h:6.1f} m, depth error {z:6.1f} m")
    relocated = relocate(picks, catalogue, stations)
    h, z = location_error(relocated, true)
    print(f"relocated:  mean epicentral error {h:6.1f} m, depth error {z:6.1f} m")


if __name__ == "__main__":
    main()
