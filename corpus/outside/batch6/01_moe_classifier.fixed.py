import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

D_IN, D_HID, N_CLASSES, N_EXPERTS = 16, 32, 4, 4


class Expert(nn.Module):
    def __init__(self, d_in, d_hidden, d_out):
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_hidden)
        self.fc2 = nn.Linear(d_hidden, d_out)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class SparseMoE(nn.Module):
    """Noisy top-k gated mixture of experts (Shazeer et al. 2017)."""

    def __init__(self, d_in, d_out, num_experts, d_hidden, k=1, noisy_gating=True):
        super().__init__()
        self.k = k
        self.num_experts = num_experts
        self.noisy_gating = noisy_gating
        self.experts = nn.ModuleList([Expert(d_in, d_hidden, d_out) for _ in range(num_experts)])
        self.w_gate = nn.Parameter(torch.zeros(d_in, num_experts))
        self.w_noise = nn.Parameter(torch.zeros(d_in, num_experts))

    def noisy_top_k_gating(self, x):
        clean_logits = x @ self.w_gate
        if self.noisy_gating and self.training:
            noise_std = F.softplus(x @ self.w_noise) + 1e-2
            logits = clean_logits + torch.randn_like(clean_logits) * noise_std
        else:
            logits = clean_logits
        probs = F.softmax(logits, dim=1)
        top_k_gates, top_indices = probs.topk(self.k, dim=1)
        return top_k_gates, top_indices

    def forward(self, x):
        gates, indices = self.noisy_top_k_gating(x)
        out = x.new_zeros(x.size(0), self.experts[0].fc2.out_features)
        for slot in range(self.k):
            for e, expert in enumerate(self.experts):
                idx = (indices[:, slot] == e).nonzero(as_tuple=True)[0]
                if idx.numel() == 0:
                    continue
                y = expert(x[idx]) * gates[idx, slot].unsqueeze(1)
                out = out.index_add(0, idx, y)
        return out


class MoEClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(D_IN, D_IN)
        self.moe = SparseMoE(D_IN, D_HID, N_EXPERTS, d_hidden=32, k=1)
        self.head = nn.Linear(D_HID, N_CLASSES)

    def forward(self, x):
        h = torch.tanh(self.embed(x))
        return self.head(F.relu(self.moe(h)))


# synthetic data: four clusters whose label depends on a region of input space
centers = torch.randn(N_CLASSES, D_IN) * 2
y_all = torch.randint(0, N_CLASSES, (1024,))
x_all = centers[y_all] + torch.randn(1024, D_IN)

model = MoEClassifier().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

for epoch in range(3):
    perm = torch.randperm(x_all.size(0))
    total, correct, running = 0, 0, 0.0
    for i in range(0, x_all.size(0), 128):
        b = perm[i:i + 128]
        xb, yb = x_all[b].to(device), y_all[b].to(device)
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item() * xb.size(0)
        correct += (logits.argmax(1) == yb).sum().item()
        total += xb.size(0)
    print(f"epoch {epoch} loss {running / total:.4f} acc {correct / total:.3f}")
