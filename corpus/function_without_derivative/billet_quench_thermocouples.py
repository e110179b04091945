"""Inverse heat conduction in a quenched steel billet.

A long cylindrical billet (radius R) is plunged into a quench tank; thermocouples sit in holes
drilled towards the axis, but the true depth of each hole is only known to a few millimetres. For
a fixed surface temperature the excess temperature inside is the Fourier-Bessel series

    T(r, t) = sum_n A_n J0(lambda_n r / R) exp(-lambda_n^2 alpha t / R^2)

with lambda_n the zeros of J0. Fitted: the modal amplitudes A_n, the thermal diffusivity alpha
and the radial position of every thermocouple.
"""
import math

import torch
import torch.nn as nn

RADIUS_M = 0.08
LAMBDAS = torch.tensor([2.404826, 5.520078, 8.653728, 11.791534, 14.930918, 18.071064])
NOMINAL_DEPTHS_M = torch.tensor([0.005, 0.02, 0.035, 0.05, 0.065, 0.075])


class BilletModel(nn.Module):
    def __init__(self, n_modes=len(LAMBDAS), n_sensors=len(NOMINAL_DEPTHS_M)):
        super().__init__()
        self.amplitudes = nn.Parameter(torch.zeros(n_modes))
        self.log_alpha = nn.Parameter(torch.tensor(math.log(1.0e-5)))
        # radial position of each thermocouple, as a fraction of the radius
        self.sensor_r = nn.Parameter((RADIUS_M - NOMINAL_DEPTHS_M) / RADIUS_M)


def series_temperature(model, times_s):
    decay_rate = LAMBDAS**2 * model.log_alpha.exp() / RADIUS_M**2
    decay = torch.exp(-decay_rate.unsqueeze(0) * times_s.unsqueeze(1))
    arg = LAMBDAS.unsqueeze(0) * model.sensor_r.clamp(0.0, 1.0).unsqueeze(1)
    shape = torch.special.bessel_j0(arg)
    # (time, mode) x (sensor, mode) -> (time, sensor)
    return torch.einsum("tn,n,sn->ts", decay, model.amplitudes * 100.0, shape)


def quench_loss(model, times_s, readings):
    return torch.mean((series_temperature(model, times_s) - readings) ** 2)


def quench_record(seed=4):
    g = torch.Generator().manual_seed(seed)
    truth = BilletModel()
    with torch.no_grad():
        initial_excess = 820.0
        n = torch.arange(len(LAMBDAS))
        # uniform initial temperature: A_n = 2 T0 / (lambda_n J1(lambda_n))
        truth.amplitudes.copy_(2 * initial_excess / (LAMBDAS * torch.special.bessel_j1(LAMBDAS)) / 100.0)
        truth.amplitudes.mul_(1.0 + 0.02 * torch.randn(len(n), generator=g))
        truth.log_alpha.fill_(math.log(1.2e-5))
        truth.sensor_r.add_(0.04 * torch.randn(len(NOMINAL_DEPTHS_M), generator=g))
        times = torch.linspace(5.0, 600.0, 120)
        readings = series_temperature(truth, times) + 2.0 * torch.randn(120, len(NOMINAL_DEPTHS_M), generator=g)
    return times, readings, truth


def main():
    torch.manual_seed(0)
    times, readings, truth = quench_record()
    model = BilletModel()
    optimizer = torch.optim.Adam(
        [
            {"params": [model.amplitudes], "lr": 0.05},
            {"params": [model.log_alpha], "lr": 0.01},
            {"params": [model.sensor_r], "lr": 0.002},
        ]
    )
    for epoch in range(300):
        optimizer.zero_grad()
        loss = quench_loss(model, times, readings)
        loss.backward()
        optimizer.step()
        if epoch % 60 == 0:
            depth_err_mm = 1000 * RADIUS_M * (model.sensor_r - truth.sensor_r).abs().mean().item()
            print(f"epoch {epoch:3d}  rmse {loss.sqrt().item():7.2f} K  "
                  f"alpha {model.log_alpha.exp().item():.2e}  depth error {depth_err_mm:.2f} mm")


if __name__ == "__main__":
    main()
