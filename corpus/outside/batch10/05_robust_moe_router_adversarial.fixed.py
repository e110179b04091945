"""Robust mixture-of-experts (top-1 routed ResNet experts) with PGD adversarial training
and the expert-robustification (ER) KL term on each sample's second-best expert.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

parser = argparse.ArgumentParser(description="Robust MoE training (RT_ER)")
parser.add_argument("--lr", default=1e-3, type=float)
parser.add_argument("--bs", default=8, type=int)
parser.add_argument("--size", default=16, type=int)
parser.add_argument("--n_steps", default=6, type=int)
parser.add_argument("--beta", default=6, type=int, help="weight of the expert robustification term")
parser.add_argument("--noamp", action="store_true")
args = parser.parse_args()
use_amp = (not args.noamp) and torch.cuda.is_available()


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNetSmall(nn.Module):
    def __init__(self, num_classes=10, width=8):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = BasicBlock(width, width)
        self.layer2 = BasicBlock(width, 2 * width, stride=2)
        self.linear = nn.Linear(2 * width, num_classes)

    def forward(self, x):
        out = self.layer2(self.layer1(F.relu(self.bn1(self.conv1(x)))))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


class Router(nn.Module):
    def __init__(self, num_experts, size):
        super().__init__()
        self.gate = nn.Linear(3 * size * size, num_experts)

    def forward(self, x):
        # Top-1 strategy
        gate_logits = self.gate(x.view(x.size(0), -1))
        gate_probs = F.softmax(gate_logits, dim=1)
        top1_prob, top1_expert = gate_probs.max(dim=1)
        return top1_expert, top1_prob

    def get_second_expert(self, x):
        gate_logits = self.gate(x.view(x.size(0), -1))
        _, top2_indices = torch.topk(gate_logits, k=2, dim=1)
        return top2_indices[:, 1]


class ResnetExpert(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = ResNetSmall()

    def forward(self, x):
        return self.net(x)


class MOE_Resnet18(nn.Module):
    def __init__(self, num_experts, num_classes, size):
        super().__init__()
        self.num_classes = num_classes
        self.experts = nn.ModuleList([ResnetExpert() for _ in range(num_experts)])
        self.router = Router(num_experts, size)

    def forward(self, x):
        batch_size = x.size(0)
        top1_expert_indices, top1_probs = self.router(x)
        outputs = torch.zeros(batch_size, self.num_classes).to(x.device)
        for i in range(batch_size):
            expert_output = self.experts[top1_expert_indices[i]](x[i].unsqueeze(0))
            outputs[i] = expert_output * top1_probs[i]
        return outputs


class PGD:
    """L_inf PGD in pixel space for inputs that are already mean/std normalized."""

    def __init__(self, eps, sigma, nb_iter, mean, std):
        self.eps, self.sigma, self.nb_iter = eps / std, sigma / std, nb_iter
        self.lo, self.hi = (0 - mean) / std, (1 - mean) / std

    def attack(self, net, inp, label):
        x_adv = torch.max(torch.min(inp + (torch.rand_like(inp) * 2 - 1) * self.eps, self.hi), self.lo).detach()
        for _ in range(self.nb_iter):
            x_adv.requires_grad_(True)
            loss = F.cross_entropy(net(x_adv), label)
            grad, = torch.autograd.grad(loss, x_adv)
            x_adv = x_adv.detach() + self.sigma * grad.sign()
            x_adv = torch.min(torch.max(x_adv, inp - self.eps), inp + self.eps)
            x_adv = torch.max(torch.min(x_adv, self.hi), self.lo).detach()
        return x_adv


net = MOE_Resnet18(num_experts=4, num_classes=10, size=args.size).to(device)
criterion = nn.CrossEntropyLoss()
criterion_kl = nn.KLDivLoss(reduction="sum")
optimizer = optim.Adam(net.parameters(), lr=args.lr)
scheduler = torch.optim.lr_scheduler.CyclicLR(optimizer, base_lr=args.lr / 2, step_size_up=500, max_lr=args.lr)
scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
MEAN = torch.tensor([0.4802, 0.4481, 0.3975]).view(1, 3, 1, 1)
STD = torch.tensor([0.2770, 0.2691, 0.2821]).view(1, 3, 1, 1)
pgd_train = PGD(eps=8 / 255, sigma=2 / 255, nb_iter=2, mean=MEAN.to(device), std=STD.to(device))

pixels = torch.rand(64, 3, args.size, args.size)
labels = (pixels.mean(dim=(1, 2, 3)) * 40).long() % 10
images = (pixels - MEAN) / STD  # the loader hands out normalized images

net.train()
for step in range(args.n_steps):
    idx = torch.randint(0, len(images), (args.bs,))
    inputs, targets = images[idx].to(device), labels[idx].to(device)
    with torch.autocast(device_type="cuda", enabled=use_amp):
        outputs = net(inputs)
        inputs_adv = pgd_train.attack(net=net, inp=inputs, label=targets)
        outputs_adv = net(inputs_adv)
        loss_model = criterion(outputs_adv, targets)
        second_best_expert_indices = net.router.get_second_expert(inputs)
        loss_expert = 0.0
        for expert_id, expert in enumerate(net.experts):
            selected_mask = second_best_expert_indices == expert_id
            if selected_mask.sum() == 0:
                continue
            selected_inputs, selected_targets = inputs[selected_mask].detach(), targets[selected_mask].detach()
            expert_inputs_adv = pgd_train.attack(net=expert, inp=selected_inputs, label=selected_targets)
            loss_expert += criterion_kl(F.log_softmax(expert(expert_inputs_adv), dim=1),
                                        F.softmax(expert(selected_inputs), dim=1))
        loss = loss_model + args.beta * (1.0 / args.bs) * loss_expert
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    optimizer.zero_grad()
    scheduler.step()
    acc = outputs.argmax(1).eq(targets).float().mean().item()
    print(f"step {step}: loss={loss.item():.4f} clean acc={acc:.2f} "
          f"experts used={sorted(set(net.router.gate(inputs.flatten(1)).argmax(1).tolist()))}")
