"""Residuals shared by the heat-conduction models: the transient heat equation in a plate,
u_t = k (u_xx + u_yy) + q, with the derivatives of the model's temperature taken by autograd at
the collocation points (x, y, t)."""
import torch


def derivatives(u, *coords):
    return torch.autograd.grad(u, coords, grad_outputs=torch.ones_like(u), create_graph=True, materialize_grads=True)


def second_derivative(u_c, c):
    return torch.autograd.grad(u_c, c, grad_outputs=torch.ones_like(u_c), create_graph=True)[0]


def heat_residual(model, x, y, t, k, source):
    u = model(x, y, t)
    u_x, u_y, u_t = derivatives(u, x, y, t)
    u_xx = second_derivative(u_x, x)
    u_yy = second_derivative(u_y, y)
    return u_t - k * (u_xx + u_yy) - source(x, y)
