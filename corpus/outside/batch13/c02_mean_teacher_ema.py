# Correct look-alike modelled on: https://github.com/CuriousAI/mean-teacher/blob/master/pytorch/main.py
# Looks suspicious: ema_model's parameters are detached (param.detach_()), it is not in the
# optimizer and its outputs are wrapped in no-grad tensors for the consistency loss. This is
# the Mean Teacher method: the teacher is an exponential moving average of the student,
# updated by update_ema_variables() after every optimizer step, never by gradients.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

args = {"lr": 0.05, "momentum": 0.9, "ema_decay": 0.99, "consistency": 10.0, "epochs": 3,
        "batch_size": 32, "labeled_per_batch": 8, "consistency_rampup": 2}
NO_LABEL = -1


class Net(nn.Module):
    def __init__(self, d=16, n_cls=3):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(d, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 64), nn.ReLU())
        self.fc = nn.Linear(64, n_cls)

    def forward(self, x):
        return self.fc(self.body(x))


def create_model(ema=False):
    model = Net().to(device)
    if ema:
        for param in model.parameters():
            param.detach_()
    return model


def update_ema_variables(model, ema_model, alpha, global_step):
    # Use the true average until the exponential average is more correct
    alpha = min(1 - 1 / (global_step + 1), alpha)
    for ema_param, param in zip(ema_model.parameters(), model.parameters()):
        ema_param.data.mul_(alpha).add_(param.data, alpha=1 - alpha)


def sigmoid_rampup(current, rampup_length):
    current = np.clip(current, 0.0, rampup_length)
    phase = 1.0 - current / rampup_length
    return float(np.exp(-5.0 * phase * phase))


def softmax_mse_loss(input_logits, target_logits):
    return F.mse_loss(F.softmax(input_logits, dim=1), F.softmax(target_logits, dim=1), reduction="sum") / input_logits.size(1)


def make_loader(n=192):
    x = torch.randn(n, 16)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    y_semi = y.clone()
    y_semi[torch.rand(n) > 0.3] = NO_LABEL
    return [(x[i:i + args["batch_size"]], y_semi[i:i + args["batch_size"]]) for i in range(0, n, args["batch_size"])]


def train(loader, model, ema_model, optimizer, epoch, global_step):
    class_criterion = nn.CrossEntropyLoss(reduction="sum", ignore_index=NO_LABEL)
    model.train()
    ema_model.train()
    for i, (x, target) in enumerate(loader):
        x, target = x.to(device), target.to(device)
        ema_input = x + 0.1 * torch.randn_like(x)        # differently-noised teacher view
        student_input = x + 0.1 * torch.randn_like(x)
        ema_logit = ema_model(ema_input).detach()
        model_out = model(student_input)
        minibatch_size = len(target)
        labeled_minibatch_size = max(int(target.ne(NO_LABEL).sum()), 1)
        class_loss = class_criterion(model_out, target) / minibatch_size
        consistency_weight = args["consistency"] * sigmoid_rampup(epoch + i / len(loader), args["consistency_rampup"])
        consistency_loss = consistency_weight * softmax_mse_loss(model_out, ema_logit) / minibatch_size
        loss = class_loss + consistency_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        global_step += 1
        update_ema_variables(model, ema_model, args["ema_decay"], global_step)
    print(f"epoch {epoch}: class {class_loss.item():.4f} consistency {consistency_loss.item():.4f} "
          f"(labeled {labeled_minibatch_size}/{minibatch_size})")
    return global_step


model = create_model()
ema_model = create_model(ema=True)
optimizer = torch.optim.SGD(model.parameters(), args["lr"], momentum=args["momentum"], nesterov=True)
loader = make_loader()
global_step = 0
for epoch in range(args["epochs"]):
    global_step = train(loader, model, ema_model, optimizer, epoch, global_step)
