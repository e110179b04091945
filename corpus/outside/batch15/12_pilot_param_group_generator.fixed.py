# Report: https://github.com/LAMDA-CL/LAMDA-PILOT/issues/38
# "Optimizer reinit necessary for performance on DualPrompt": when a new task starts,
# init_prompts() creates the new task's prompt and then "adapts" the existing optimizer with
# `optimizer.param_groups[0]['params'] = model.parameters()`. That stores a one-shot generator
# in the param group: the first optimizer.zero_grad() exhausts it, and from then on
# optimizer.step() iterates over nothing. Without reinit_optimizer nothing is trained in the
# second task (accuracy collapses after task 1 in the report).
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

args = {"dim": 16, "prompt_len": 4, "init_cls": 2, "increment": 2, "nb_tasks": 2,
        "epochs": 2, "lr": 1e-2, "reinit_optimizer": False}


class ViTLite(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.patch = nn.Linear(8, dim)
        self.block = nn.TransformerEncoderLayer(dim, 2, 2 * dim, 0.0, batch_first=True)
        for p in self.parameters():          # frozen pre-trained backbone, as in DualPrompt
            p.requires_grad = False

    def forward(self, x, prompt):
        tokens = torch.cat([prompt.expand(x.size(0), -1, -1), self.patch(x)], dim=1)
        return self.block(tokens)


class DualPromptNet(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.backbone = ViTLite(a["dim"])
        self.e_prompt = nn.Parameter(torch.randn(1, a["prompt_len"], a["dim"]) * 0.02)
        self.head = nn.Linear(a["dim"], a["init_cls"] + a["increment"] * (a["nb_tasks"] - 1))

    def forward(self, x):
        return self.head(self.backbone(x, self.e_prompt)[:, 0])


class Learner:
    def __init__(self, a):
        self.args = a
        self.model = DualPromptNet(a).to(device)
        self.optimizer = None
        self.cur_task = -1

    def build_optimizer(self):
        return torch.optim.Adam(filter(lambda p: p.requires_grad, self.model.parameters()),
                                lr=self.args["lr"])

    def init_prompts(self):
        # a fresh prompt for the new task (the previous one is kept for old tasks)
        self.model.e_prompt = nn.Parameter(torch.randn(1, self.args["prompt_len"], self.args["dim"],
                                                       device=device) * 0.02)
        self.optimizer = self.build_optimizer()

    def incremental_train(self, x, y):
        self.cur_task += 1
        if self.cur_task == 0 or self.args["reinit_optimizer"]:
            self.optimizer = self.build_optimizer()
        if self.cur_task > 0:
            self.init_prompts()
        for epoch in range(self.args["epochs"]):
            for i in range(0, len(x), 8):
                loss = F.cross_entropy(self.model(x[i:i + 8]), y[i:i + 8])
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
        print("task", self.cur_task, "loss", loss.item())


learner = Learner(args)
for task in range(args["nb_tasks"]):
    g = torch.Generator().manual_seed(task)
    x = torch.randn(32, 6, 8, generator=g)
    y = torch.randint(0, 2, (32,), generator=g) + task * args["increment"]
    learner.incremental_train(x.to(device), y.to(device))
