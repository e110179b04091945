import torch
import torch.nn as nn


class UncertaintyWeightedLoss(nn.Module):
    """Multi-task loss with learned homoscedastic uncertainty (Kendall et al., 2018)."""

    def __init__(self, num_tasks):
        super().__init__()
        self.log_vars = nn.Parameter(torch.zeros(num_tasks))

    def forward(self, task_losses):
        total = 0.0
        for i, loss in enumerate(task_losses):
            total = total + torch.exp(-self.log_vars[i]) * loss + self.log_vars[i]
        return total
