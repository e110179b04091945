"""Matrix-factorisation recommender: user and item factor tables read through a hand-written
row gather whose backward scatters the gradient back into a dense table."""
import torch
from torch import nn


class RowGather(torch.autograd.Function):
    @staticmethod
    def forward(ctx, table, index):
        sizes = list(table.shape)
        ctx.save_for_backward(index, sizes)
        return table.index_select(0, index)

    @staticmethod
    def backward(ctx, grad_out):
        index = ctx.saved_tensors[0]
        grad_table = grad_out.new_zeros(ctx.saved_tensors[1])
        grad_table.index_add_(0, index, grad_out)
        return grad_table, None


class MatrixFactorization(nn.Module):
    def __init__(self, users, items, rank):
        super().__init__()
        self.user_factors = nn.Parameter(torch.randn(users, rank) * 0.1)
        self.item_factors = nn.Parameter(torch.randn(items, rank) * 0.1)
        self.user_bias = nn.Parameter(torch.zeros(users, 1))
        self.item_bias = nn.Parameter(torch.zeros(items, 1))
        self.global_mean = nn.Parameter(torch.tensor(3.0))

    def forward(self, users, items):
        u = RowGather.apply(self.user_factors, users)
        v = RowGather.apply(self.item_factors, items)
        bias = RowGather.apply(self.user_bias, users) + RowGather.apply(self.item_bias, items)
        return (u * v).sum(-1) + bias.squeeze(-1) + self.global_mean
